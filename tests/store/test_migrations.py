"""Schema by numbered migrations: recorded, idempotent, and the database location rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from budgeting import store
from budgeting.store.connection import DEFAULT_DB_PATH, available_migrations, database_path, migrate
from budgeting.store.postgres import PostgresConnection
from tests.store.conftest import raw_rows


def test_every_migration_is_recorded_once(conn):
    versions = [version for version, _, _ in available_migrations()]
    assert versions == sorted(versions) and versions[0] == 1
    recorded = raw_rows(conn, "SELECT version, name FROM schema_migrations ORDER BY version")
    assert [row[0] for row in recorded] == versions
    assert store.schema_version(conn) == versions[-1]


def test_migrating_again_changes_nothing(conn):
    round_id = store.create_round(conn, name="Kept")
    assert migrate(conn) == []
    assert migrate(conn) == []
    assert len(raw_rows(conn, "SELECT * FROM schema_migrations")) == len(available_migrations())
    assert store.get_round(conn, round_id) is not None


BALLOT_LOOKUPS = {
    "ballot_allocations_by_ballot",
    "ballot_project_scores_by_ballot",
    "ballots_by_code",
}


def test_a_ballots_rows_are_indexed_on_postgresql_only(conn):
    """PostgreSQL would read every ballot's rows to find one ballot's; DuckDB's zone maps
    find them without an index it would have to hold in memory."""
    if isinstance(conn, PostgresConnection):
        names = {name for (name,) in raw_rows(conn, "SELECT indexname FROM pg_indexes")}
        assert names >= BALLOT_LOOKUPS
    else:
        names = {name for (name,) in raw_rows(conn, "SELECT index_name FROM duckdb_indexes()")}
        assert not BALLOT_LOOKUPS & names


def test_reopening_a_file_keeps_data_and_runs_no_migration(tmp_path: Path):
    path = str(tmp_path / "budget.duckdb")
    first = store.connect(path)
    round_id = store.create_round(first, name="Persisted")
    first.close()
    second = store.connect(path)
    assert migrate(second) == []
    assert store.get_round(second, round_id).name == "Persisted"
    second.close()


def test_budget_db_overrides_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "nested" / "override.duckdb"
    monkeypatch.setenv("BUDGET_DB", str(target))
    assert database_path() == str(target)
    conn = store.connect()
    store.create_round(conn, name="Via env")
    conn.close()
    assert target.exists()
    monkeypatch.delenv("BUDGET_DB")
    assert database_path() == str(DEFAULT_DB_PATH)
    assert database_path(":memory:") == ":memory:"
