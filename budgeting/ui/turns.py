"""Residents' ballot steps take turns, first come first served, within one app process.

Streamlit runs each visitor's script in a thread of its own, and Python runs one thread at
a time, switching every 5 ms (the GIL; ``sys.getswitchinterval``): when a room of a
hundred presses Continue within a second or two, every step in flight shares the process
evenly, so each finishes only when nearly all of them have; the first to press waits as
long as the last.
Taking turns in the order the steps arrived, a step waits only for those before it, and the
work done is the same (less, without the switching): the room's burst is served as a queue,
not as a crowd. Measured with ``bench/load.py`` (README, Performance).

Only the ballot's steps take turns (``pages/vote.py``): they are short (tens of
milliseconds of CPU), so a queue of them moves fast. The projector, the officers' pages and
whatever else the process serves are not held up by the queue, and share the process with
it as before; they can hold it up, though, as a ballot step may wait on the database
behind an officer's import. So a step that waits longer than ``LONGEST_WAIT_S`` goes ahead
without its turn rather than wait any longer, and while the turn has been held that long
(its holder stuck) steps arriving go ahead at once, as they did before there were turns.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

LONGEST_WAIT_S = 10.0
"""The longest a step waits for its turn before it runs anyway."""


class Turns:
    """A first-come, first-served turn for one thread at a time. A thread that holds the
    turn and asks again goes on at once: no ballot step does today, but one that did would
    otherwise wait the longest wait for itself."""

    def __init__(self, longest_wait: float = LONGEST_WAIT_S) -> None:
        self._longest_wait = longest_wait
        self._lock = threading.Lock()
        self._holder: int | None = None
        self._held_since = 0.0
        self._waiting: deque[tuple[int, threading.Event]] = deque()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait for this thread's turn (at most the longest wait), run, then hand the turn to
        the thread that has waited longest. While the turn has been held for longer than
        the longest wait, run at once without it."""
        me = threading.get_ident()
        # The holder becomes this thread only while it waits in the queue, and stops being
        # it only in its own ``_hand_on``: read here, it is this thread only when it holds.
        if self._holder == me:
            yield
            return
        handed = threading.Event()
        with self._lock:
            if self._holder is None and not self._waiting:
                self._take(me)
                handed.set()
                queued = False
            else:
                queued = time.monotonic() - self._held_since <= self._longest_wait
                if queued:  # else the holder is stuck: go ahead without a turn
                    self._waiting.append((me, handed))
        if queued and not handed.wait(self._longest_wait):
            with self._lock:
                if not handed.is_set():  # not handed over while the wait ran out
                    self._waiting.remove((me, handed))
        try:
            yield
        finally:
            if handed.is_set():
                self._hand_on()

    def _take(self, holder: int) -> None:
        self._holder, self._held_since = holder, time.monotonic()

    def _hand_on(self) -> None:
        with self._lock:
            if self._waiting:
                holder, handed = self._waiting.popleft()
                self._take(holder)
                handed.set()
            else:
                self._holder = None


ballot_steps = Turns()
"""The turn the resident ballot's steps take, one per app process."""
