"""A round as residents' pages and the projector read it on every rerun (its settings,
services and projects), kept in memory for a moment per database, so that a room of
residents tapping at once does not ask the database the same three questions on every tap.

Every write to a round's settings, services, projects or areas through this process forgets
the round at once, on every connection to that database (``forget``, called by
``budgeting.store.rounds`` after it commits), so DuckDB, one process per file, never shows
a stale round. Several app processes sharing a
PostgreSQL database see each other's changes within ``FRESH_SECONDS``. Ballots are not part
of the view: they are always read from the database, and a ballot is checked against the
round as stored when it is submitted, never against this copy.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from budgeting.store.connection import Connection, shared_database
from budgeting.store.models import Project, Round, Service

FRESH_SECONDS = 1.0
"""How long a round read for one page may be shown on another without reading it again."""


@dataclass(frozen=True)
class RoundView:
    """A round with its services and projects, their texts in one language."""

    round: Round
    services: Sequence[Service]
    projects: Sequence[Project]


@dataclass
class _Kept:
    views: dict[tuple[str, str | None], tuple[float, RoundView | None]]
    generation: int = 0
    """Counts ``forget`` calls: a read that began before one is not kept."""


_lock = threading.Lock()
_by_database: dict[str, _Kept] = {}
_by_connection: weakref.WeakKeyDictionary[Connection, _Kept] = weakref.WeakKeyDictionary()
"""In-memory databases, each its connection's own."""


def _now() -> float:
    return time.monotonic()


def _for(conn: Connection) -> _Kept:
    database = shared_database(conn)
    if database is None:
        return _by_connection.setdefault(conn, _Kept({}))
    return _by_database.setdefault(database, _Kept({}))


def cached_view(
    conn: Connection,
    round_id: str,
    language: str | None,
    read: Callable[[], RoundView | None],
) -> RoundView | None:
    """The view kept for ``(round_id, language)`` when younger than ``FRESH_SECONDS``, else
    ``read()``, kept unless the round was forgotten while it was being read. A round that
    does not exist is never kept (anyone can type an address), nor is a view once stale."""
    key = (round_id, language)
    with _lock:
        kept = _for(conn)
        found = kept.views.get(key)
        if found is not None and _now() - found[0] < FRESH_SECONDS:
            return found[1]
        generation = kept.generation
    started = _now()
    view = read()
    with _lock:
        for stale in [k for k, (at, _) in kept.views.items() if _now() - at >= FRESH_SECONDS]:
            del kept.views[stale]  # only fresh views stay: the address names the round
        if kept.generation == generation and view is not None:
            kept.views[key] = (started, view)
    return view


def forget(conn: Connection, round_id: str) -> None:
    """Drop what is kept of ``round_id`` on ``conn`` (after a write to it has committed)."""
    with _lock:
        kept = _for(conn)
        kept.generation += 1
        for key in [key for key in kept.views if key[0] == round_id]:
            del kept.views[key]
