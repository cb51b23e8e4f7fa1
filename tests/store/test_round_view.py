"""The round as pages read it on every rerun (``store.round_view``): kept for a moment, but
never stale after a change made through this process, and fresh within ``FRESH_SECONDS``
after a change made by another process."""

from __future__ import annotations

from fractions import Fraction

import pytest

from budgeting import store
from budgeting.store import round_cache as kept
from tests.store.conftest import open_round, raw_rows

PROJECTS_CSV = """id,name,description,cost,area,category,name_cy
A,Play area,New swings,"6,000",North,Play,Ardal chwarae
D,Pond,A wildlife pond,"1,000",South,Green,
"""


class Clock:
    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock()
    monkeypatch.setattr(kept, "_now", frozen)
    return frozen


def change_elsewhere(conn: store.Connection, round_id: str, name: str) -> None:
    """What another app process's write looks like from here: the table changes, and
    nothing in this process is told."""
    cursor = conn.cursor()
    try:
        cursor.execute("UPDATE rounds SET name = ? WHERE id = ?", [name, round_id])
    finally:
        cursor.close()


def test_the_view_is_the_round_as_stored(conn):
    round_id = open_round(conn)
    view = store.round_view(conn, round_id, "cy")
    assert view is not None
    assert view.round == store.get_round(conn, round_id)
    assert list(view.services) == store.list_services(conn, round_id, "cy")
    assert list(view.projects) == store.list_projects(conn, round_id, "cy")
    assert store.round_view(conn, "no-such-round") is None


def test_a_change_through_this_process_shows_at_once(conn, clock):
    round_id = open_round(conn)
    assert store.round_view(conn, round_id, "cy").round.status == "open"
    store.update_round(conn, round_id, name="Renamed ward", project_budget=Fraction(9_000))
    view = store.round_view(conn, round_id)
    assert (view.round.name, view.round.project_budget) == ("Renamed ward", 9_000)
    assert store.round_view(conn, round_id, "cy").round.name == "Renamed ward"
    store.import_projects_csv(conn, round_id, PROJECTS_CSV)
    welsh = store.round_view(conn, round_id, "cy")
    assert [(p.id, p.name) for p in welsh.projects] == [("A", "Ardal chwarae"), ("D", "Pond")]
    store.update_round(conn, round_id, status="closed")
    assert store.round_view(conn, round_id, "cy").round.status == "closed"


def test_a_change_by_another_process_shows_within_the_fresh_time(conn, clock):
    round_id = open_round(conn)
    assert store.round_view(conn, round_id).round.name == "Test ward"
    change_elsewhere(conn, round_id, "Changed elsewhere")
    clock.at += kept.FRESH_SECONDS / 2
    assert store.round_view(conn, round_id).round.name == "Test ward"  # kept, not re-read
    clock.at += kept.FRESH_SECONDS / 2
    assert store.round_view(conn, round_id).round.name == "Changed elsewhere"


def test_a_read_overtaken_by_a_change_is_not_kept(conn, clock, monkeypatch):
    """A page that read the round just before a write committed must not keep that old
    copy for everyone after the write has said to forget it."""
    round_id = open_round(conn)
    reads = []
    real_get_round = store.rounds.get_round

    def get_round_then_change(connection, wanted):
        found = real_get_round(connection, wanted)
        if not reads:  # the write lands while the first page is still reading
            store.update_round(conn, round_id, name="Renamed while read")
        reads.append(wanted)
        return found

    monkeypatch.setattr(store.rounds, "get_round", get_round_then_change)
    assert store.round_view(conn, round_id).round.name == "Test ward"
    assert store.round_view(conn, round_id).round.name == "Renamed while read"
    assert len(reads) == 2


def test_rounds_on_different_databases_are_kept_apart(conn, clock):
    round_id = open_round(conn)
    other = store.connect(":memory:")
    try:
        assert store.round_view(other, round_id) is None
        assert store.round_view(conn, round_id) is not None
    finally:
        other.close()
    assert raw_rows(conn, "SELECT count(*) FROM rounds") == [(1,)]


def test_a_change_through_another_connection_to_the_same_file_shows_at_once(tmp_path, clock):
    """The app reads through its own connection; an officer's change may come through
    another one in the same process (the tests' own, say): both are one database."""
    path = str(tmp_path / "shared.duckdb")
    pages, officer = store.connect(path), store.connect(path)
    try:
        round_id = open_round(officer)
        assert store.round_view(pages, round_id).round.status == "open"
        store.update_round(officer, round_id, status="closed")
        assert store.round_view(pages, round_id).round.status == "closed"
    finally:
        pages.close()
        officer.close()


def test_only_fresh_views_of_rounds_that_exist_are_kept(conn, clock):
    """Anyone can type an address: made-up rounds must not fill the server's memory."""
    round_id = open_round(conn)
    for number in range(50):
        assert store.round_view(conn, f"made-up-{number}") is None
    store.round_view(conn, round_id)
    assert list(kept._for(conn).kept) == [(round_id, ("view", None))]
    clock.at += kept.FRESH_SECONDS
    store.round_view(conn, round_id, "cy")
    assert list(kept._for(conn).kept) == [(round_id, ("view", "cy"))]
