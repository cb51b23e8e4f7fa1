"""Failed sign-ins and voter-code attempts, and the growing delay that slows guessing.

Failures are counted per *scope* and *subject*: an officer name typed at sign-in
(``officer``), the client that typed it (``officer_client``), and for voter codes the
browser session (``code_session``) and the client (``code_client``), and for receipt codes
checked on /receipt likewise (``receipt_session``, ``receipt_client``). Each scope allows a
few failures free; after that every failure starts a delay of ``2 ** (failures - free)``
seconds (1 s, 2 s, 4 s, ...) capped at ``MAX_DELAY``, and an attempt before the delay is
over is refused without being checked (so it costs no password hashing and is not counted).
Nothing ever sleeps: the caller refuses early attempts and says how long to wait.

A client address is shared by everyone behind one router (a meeting room's Wi-Fi), so the
client scopes allow more failures than a name or a session. Counts are forgotten after
``FORGET_AFTER`` without failures; a success clears the scopes the caller names (the
officer's name, the resident's session). Each delay that starts is appended to the audit
log (``attempts_delayed``); a client address or session there is a pseudonym, since the log
is never edited, while the table itself (which officers see) holds the address and is
pruned as rows go quiet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from budgeting.store.audit import append_entry
from budgeting.store.connection import Connection, read_cursor, utc_now, write_transaction
from budgeting.store.models import StoreError

FREE_FAILURES = {
    "officer": 5,
    "officer_client": 10,
    "code_session": 5,
    "code_client": 20,
    "receipt_session": 5,
    "receipt_client": 20,
}
"""Failures each scope allows before delays start."""
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)
SUBJECT_CHARS = 200
_NAMED_SCOPES = ("officer",)  # the audit log names these subjects; others get a pseudonym

AttemptKey = tuple[str, str]
"""(scope, subject), e.g. ``("officer", "alice")`` or ``("code_client", "203.0.113.7")``."""


@dataclass(frozen=True)
class AttemptDelay:
    """A scope and subject that is waiting: how many failures, and until when (naive UTC)."""

    scope: str
    subject: str
    failures: int
    blocked_until: datetime


def delay_after(scope: str, failures: int) -> timedelta:
    """The delay that the ``failures``-th failure in a row starts (zero while still free)."""
    free = _free_failures(scope)
    if failures < free:
        return timedelta(0)
    exponent = failures - free
    if exponent >= 20:  # 2 ** 20 s is far beyond the cap
        return MAX_DELAY
    return min(timedelta(seconds=2**exponent), MAX_DELAY)


def pseudonym(subject: str) -> str:
    """A short stand-in for a client address or session, as the audit log records it."""
    return hashlib.sha256(subject.encode("utf-8")).hexdigest()[:12]


def _free_failures(scope: str) -> int:
    try:
        return FREE_FAILURES[scope]
    except KeyError:
        raise StoreError(f"unknown attempt scope {scope!r}") from None


def _checked(keys: Sequence[AttemptKey]) -> list[AttemptKey]:
    checked = []
    for scope, subject in keys:
        _free_failures(scope)
        checked.append((scope, subject[:SUBJECT_CHARS]))
    return checked


def _any_of(keys: Sequence[AttemptKey]) -> tuple[str, list[str]]:
    """A condition matching the rows of any of ``keys`` (at least one), and its parameters:
    one query for all of them."""
    condition = " OR ".join(["(scope = ? AND subject = ?)"] * len(keys))
    return condition, [part for key in keys for part in key]


def _wait(blocked_until: datetime | None, now: datetime) -> timedelta:
    return max(blocked_until - now, timedelta(0)) if blocked_until is not None else timedelta(0)


def attempt_wait(
    conn: Connection, keys: Sequence[AttemptKey], *, now: datetime | None = None
) -> timedelta:
    """How long until an attempt under all of ``keys`` may be checked (zero: now)."""
    now = utc_now() if now is None else now
    checked = _checked(keys)
    if not checked:
        return timedelta(0)
    condition, params = _any_of(checked)
    with read_cursor(conn) as cursor:
        rows = cursor.execute(
            f"SELECT max(blocked_until) FROM attempt_failures WHERE {condition}", params
        ).fetchall()
    return _wait(rows[0][0], now)


def record_failure(
    conn: Connection,
    keys: Sequence[AttemptKey],
    *,
    round_id: str | None = None,
    now: datetime | None = None,
) -> timedelta:
    """Count one failed attempt under each key; the wait it starts (zero while still free).

    Every delay that starts is audited (``attempts_delayed``, under ``round_id`` for a
    round's voter codes). Rows quiet for ``FORGET_AFTER`` are dropped on the way.
    """
    now = utc_now() if now is None else now
    wait = timedelta(0)
    with write_transaction(conn) as cursor:
        cursor.execute(
            "DELETE FROM attempt_failures WHERE last_failure_at < ?"
            " AND coalesce(blocked_until, last_failure_at) < ?",
            [now - FORGET_AFTER, now],
        )
        for scope, subject in _checked(keys):
            rows = cursor.execute(
                "SELECT failures FROM attempt_failures WHERE scope = ? AND subject = ?",
                [scope, subject],
            ).fetchall()
            failures = (rows[0][0] if rows else 0) + 1
            delay = delay_after(scope, failures)
            blocked_until = now + delay if delay else None
            if rows:
                cursor.execute(
                    "UPDATE attempt_failures SET failures = ?, last_failure_at = ?,"
                    " blocked_until = ? WHERE scope = ? AND subject = ?",
                    [failures, now, blocked_until, scope, subject],
                )
            else:
                cursor.execute(
                    "INSERT INTO attempt_failures VALUES (?, ?, ?, ?, ?)",
                    [scope, subject, failures, now, blocked_until],
                )
            if blocked_until is not None:
                wait = max(wait, delay)
                append_entry(
                    cursor,
                    round_id,
                    "attempts_delayed",
                    {
                        "scope": scope,
                        "subject": subject if scope in _NAMED_SCOPES else pseudonym(subject),
                        "failures": failures,
                        "delay_seconds": int(delay.total_seconds()),
                        "blocked_until": blocked_until.isoformat(),
                    },
                )
    return wait


def _any_failures(conn: Connection, keys: Sequence[AttemptKey]) -> bool:
    """Whether any of ``keys`` has failures counted (read only, no write transaction)."""
    condition, params = _any_of(keys)
    with read_cursor(conn) as cursor:
        found = cursor.execute(
            f"SELECT count(*) FROM attempt_failures WHERE {condition}", params
        ).fetchall()
    return bool(found[0][0])


def record_success(conn: Connection, keys: Sequence[AttemptKey]) -> None:
    """Forget the failures under ``keys`` (the officer signed in, the code was right).
    Nothing is written when there are none, the usual case: a resident's first code."""
    checked = _checked(keys)
    if not checked or not _any_failures(conn, checked):
        return
    with write_transaction(conn) as cursor:
        for scope, subject in checked:
            cursor.execute(
                "DELETE FROM attempt_failures WHERE scope = ? AND subject = ?", [scope, subject]
            )


def attempt_delays(conn: Connection, *, now: datetime | None = None) -> list[AttemptDelay]:
    """Every delay of the last ``FORGET_AFTER`` (a wait of seconds is over before an
    officer looks), latest first; ``blocked_until`` after ``now`` is still waiting."""
    now = utc_now() if now is None else now
    with read_cursor(conn) as cursor:
        rows = cursor.execute(
            "SELECT scope, subject, failures, blocked_until FROM attempt_failures"
            " WHERE blocked_until IS NOT NULL AND last_failure_at >= ?"
            " ORDER BY blocked_until DESC, scope, subject",
            [now - FORGET_AFTER],
        ).fetchall()
    return [AttemptDelay(*row) for row in rows]
