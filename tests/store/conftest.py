"""Store fixtures: an in-memory database and a small open round with services and projects."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import pytest

from budgeting import store
from tests.postgres_server import fresh_database

SERVICES_CSV = """id,name,description,unit_cost_text,current_spend,floor,ceiling
parks,Parks,Green spaces,£40 plants a tree,"6,000","2,000","8,000"
libraries,Libraries,Books and computers,£25 buys ten books,"4,000","1,000","6,000"
"""

PROJECTS_CSV = """id,name,description,cost,area,category
A,Play area,New swings,"6,000",North,Play
B,Trees,Street trees,"3,000",South,Green
C,Benches,Six benches,"2,000",North,Health
"""

BALANCED = {"parks": Fraction(6000), "libraries": Fraction(4000)}


def open_round(conn: store.Connection, **settings: object) -> str:
    """A round with two services (budget £10,000) and three projects (budget £8,000), open."""
    fields = {
        "name": "Test ward",
        "service_budget": Fraction(10_000),
        "project_budget": Fraction(8_000),
        "ballot_format": "approval",
        "max_approvals": 2,
        **settings,
    }
    round_id = store.create_round(conn, **fields)
    store.import_services_csv(conn, round_id, SERVICES_CSV)
    store.import_projects_csv(conn, round_id, PROJECTS_CSV)
    store.update_round(conn, round_id, status="open")
    return round_id


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def conn(request: pytest.FixtureRequest) -> Iterator[store.Connection]:
    """An empty store: an in-memory DuckDB, and the same on PostgreSQL (every store test
    runs on both)."""
    if request.param == "duckdb":
        connection = store.connect(":memory:")
        yield connection
        connection.close()
        return
    with fresh_database(request.getfixturevalue("postgres_server")) as url:
        connection = store.connect(url)
        yield connection
        connection.close()


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """Where a store lives that other processes can open: a DuckDB file, or a PostgreSQL
    database (``BUDGET_DB`` either way)."""
    if request.param == "duckdb":
        yield str(tmp_path / "budget.duckdb")
        return
    with fresh_database(request.getfixturevalue("postgres_server")) as url:
        yield url


@pytest.fixture
def round_id(conn: store.Connection) -> str:
    round_id = open_round(conn)
    store.add_voter_codes(conn, round_id, [f"CODE-{n:03d}" for n in range(1, 41)])
    return round_id


def raw_rows(conn: store.Connection, sql: str, params: list[object] | None = None):
    """Rows of a raw query, for tests that inspect or tamper with the tables directly."""
    cursor = conn.cursor()
    try:
        return cursor.execute(sql, params or []).fetchall()
    finally:
        cursor.close()
