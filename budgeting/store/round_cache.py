"""What residents' pages and the projectors read about a round on every rerun, kept in
memory for a moment per database, so that a room of residents tapping at once, and every
projector refreshing, does not ask the database the same questions each time: the round
with its services and projects (``rounds.round_view``), and the projector's live counts
(``queries.shared_projector_snapshot``).

Every write to a round's settings, services, projects or areas through this process forgets
what is kept of the round at once, on every connection to that database (``forget``, called
by ``budgeting.store.rounds`` after it commits), so DuckDB, one process per file, never
shows a stale round. Several app processes sharing a PostgreSQL database see each other's
changes within ``FRESH_SECONDS``; new ballots reach the live counts within it too. A ballot
is checked against the round as stored when it is submitted, never against this copy.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

from budgeting.store.connection import Connection, shared_database
from budgeting.store.models import Project, Round, Service

FRESH_SECONDS = 1.0
"""How long what was read for one page may be shown on another without reading it again."""

Kept = TypeVar("Kept")


@dataclass(frozen=True)
class RoundView:
    """A round with its services and projects, their texts in one language."""

    round: Round
    services: Sequence[Service]
    projects: Sequence[Project]


@dataclass
class _Database:
    """What is kept of one database's rounds, by (round id, what)."""

    kept: dict[tuple[str, Hashable], tuple[float, object]]
    generation: int = 0
    """Counts ``forget`` calls: a read that began before one is not kept."""


_lock = threading.Lock()
_by_database: dict[str, _Database] = {}
_by_connection: weakref.WeakKeyDictionary[Connection, _Database] = weakref.WeakKeyDictionary()
"""In-memory databases, each its connection's own."""


def _now() -> float:
    return time.monotonic()


def _for(conn: Connection) -> _Database:
    database = shared_database(conn)
    if database is None:
        return _by_connection.setdefault(conn, _Database({}))
    return _by_database.setdefault(database, _Database({}))


def kept_a_moment(
    conn: Connection, round_id: str, what: Hashable, read: Callable[[], Kept | None]
) -> Kept | None:
    """What was kept of ``round_id`` under ``what`` when younger than ``FRESH_SECONDS``,
    else ``read()``, kept unless the round was forgotten while it was being read. Nothing
    is kept for a round that does not exist (``None``: anyone can type an address), nor
    once stale."""
    key = (round_id, what)
    with _lock:
        database = _for(conn)
        found = database.kept.get(key)
        if found is not None and _now() - found[0] < FRESH_SECONDS:
            return cast(Kept, found[1])
        generation = database.generation
    started = _now()
    value = read()
    with _lock:
        for stale in [k for k, (at, _) in database.kept.items() if _now() - at >= FRESH_SECONDS]:
            del database.kept[stale]
        if database.generation == generation and value is not None:
            database.kept[key] = (started, value)
    return value


def forget(conn: Connection, round_id: str) -> None:
    """Drop what is kept of ``round_id`` on ``conn`` (after a write to it has committed)."""
    with _lock:
        database = _for(conn)
        database.generation += 1
        for key in [key for key in database.kept if key[0] == round_id]:
            del database.kept[key]
