"""Checking a receipt code on /receipt: whether that ballot counts, was replaced, or does not
exist, and nothing else about it.

The answer never carries the ballot's contents (its allocation or project choices) nor
anything about voter codes: a receipt that is unknown gets the same answer whatever was
typed. Guessing is slowed down per session and per client address (``receipt_session``,
``receipt_client``), as voter codes are on /vote: while either is on hold the receipt is
not looked up at all. A receipt found clears only the session's failures, since anyone can
hold one good receipt. The last unknown receipt is remembered, so the page running again
(switching language, pressing the button twice) does not count it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import streamlit as st

from budgeting import store
from budgeting.store.codes import normalise_code
from budgeting.ui import state

RECEIPT_KEY = "receipt_code"
CHECK_KEY = "check_receipt"
UNKNOWN_KEY = "receipt_unknown"
LOCAL_TIME = ZoneInfo("Europe/London")
"""Residents read times in the council's own time (GMT or BST); the store keeps UTC."""

Status = Literal["counted", "replaced", "unknown", "wait"]


@dataclass(frozen=True)
class ReceiptAnswer:
    """What the page may say about a receipt: its status, and for a ballot found, its round's
    name, how it came in (``"web"`` or ``"paper"``) and when (local time)."""

    status: Status
    wait: timedelta = timedelta(0)
    round_name: str = ""
    channel: str = ""
    received: datetime | None = None


def local_time(moment: datetime) -> datetime:
    """A stored (naive UTC) time in the council's local time."""
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_TIME)


def check_receipt(conn: store.Connection, typed: str) -> ReceiptAnswer | None:
    """The answer for a receipt as typed; None when nothing that could be a code was typed."""
    wanted = normalise_code(typed)
    if not wanted:
        return None
    if st.session_state.get(UNKNOWN_KEY) == wanted:
        return ReceiptAnswer("unknown")
    session = ("receipt_session", state.session_id())
    keys = [session, ("receipt_client", state.client_id())]
    wait = store.attempt_wait(conn, keys, now=state.now())
    if wait:
        return ReceiptAnswer("wait", wait)
    found = store.ballot_by_receipt(conn, wanted)
    if found is None:
        wait = store.record_failure(conn, keys, now=state.now())
        st.session_state[UNKNOWN_KEY] = wanted
        return ReceiptAnswer("unknown", wait)
    store.record_success(conn, [session])
    st.session_state.pop(UNKNOWN_KEY, None)
    voting_round = store.get_round(conn, found.round_id)
    return ReceiptAnswer(
        "replaced" if found.superseded else "counted",
        round_name=voting_round.name if voting_round is not None else found.round_id,
        channel=found.channel,
        received=local_time(found.submitted_at),
    )
