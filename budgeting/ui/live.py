"""The projector's live view: the round decided by its own rules over the ballots so far
("if voting closed now"), worked out away from the page's refresh.

Deciding a round runs its allocation and selection rules over every ballot, which takes
seconds at 100,000 ballots; the projector refreshes every few seconds for every viewer. So
one ``LiveDecisions`` per server keeps the last finished decision of each round and, when
the ballot count has moved, works out the next one in a background thread. Every viewer
reads the last finished one at once, with the count it was made over; nothing is computed
twice for two viewers, and a refresh never waits for the rules (except, briefly, the very
first time a round is shown).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import streamlit as st

from budgeting import store
from budgeting.results import decide

FIRST_WAIT_SECONDS = 2.0
"""How long the first view of a round waits for its first decision before showing that it
is being worked out (a small round is decided well within it)."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveView:
    """A round decided over the ``ballots`` current when the work started."""

    ballots: int
    decision: decide.Decision


class LiveDecisions:
    """The last decision of each round, recomputed in the background when ballots arrive."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Keyed by connection too: one server has one database, but tests run many.
        self._views: dict[tuple[store.Connection, str], LiveView] = {}
        self._working: dict[tuple[store.Connection, str], Future[None]] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-decision")

    def latest(
        self,
        conn: store.Connection,
        round_id: str,
        ballot_count: int,
        *,
        wait: float = 0.0,
    ) -> LiveView | None:
        """The last finished decision of the round (``None`` before the first), starting
        the next one when ``ballot_count`` differs from the count it was made over. With
        ``wait``, and no decision yet, wait up to that many seconds for the first."""
        key = (conn, round_id)
        with self._lock:
            view = self._views.get(key)
            running = self._working.get(key)
            if running is None and (view is None or view.ballots != ballot_count):
                running = self._working[key] = self._pool.submit(self._decide, conn, round_id)
        if view is None and running is not None and wait > 0:
            with contextlib.suppress(FutureTimeout):
                running.result(timeout=wait)
            with self._lock:
                view = self._views.get(key)
        return view

    def _decide(self, conn: store.Connection, round_id: str) -> None:
        try:
            decision = decide.decide_round(conn, round_id)
        except Exception:  # a broken round must not stop the projector's other figures
            logger.exception("Could not decide round %s for the live view", round_id)
            decision = None
        with self._lock:
            if decision is not None:
                self._views[conn, round_id] = LiveView(decision.ballots, decision)
            self._working.pop((conn, round_id), None)


@st.cache_resource(show_spinner=False)
def live_decisions() -> LiveDecisions:
    """The server's one ``LiveDecisions``, shared by every session."""
    return LiveDecisions()
