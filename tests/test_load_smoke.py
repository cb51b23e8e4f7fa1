"""The load harness against a real server, at a small size: every resident's journey ends
with a receipt that is in the store, on one process over DuckDB and on two over PostgreSQL
behind HAProxy. Also what a resident gets when the very first visit after the server starts
is the ballot's own address (a scanned QR code), not the home page, and that every tap after
the ballot opens reruns the ballot's fragment alone."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable
from pathlib import Path

import pytest

from bench import load
from budgeting import store
from budgeting.store import round_cache
from tests.apart import apart
from tests.postgres_server import fresh_database

RESIDENTS = 10


def run(setup: load.Setup, database: str, folder: Path) -> load.LevelResult:
    args = argparse.Namespace(
        residents=[RESIDENTS],
        projectors=1,
        think=0.2,
        arrival=2.0,
        time_limit=180,
        projector_seconds=3,
        one_at_a_time=False,
    )
    outcome = apart(load.run_setup, setup, args, database, folder / "server.log")
    assert outcome.failure is None, outcome.failure
    return outcome.levels[RESIDENTS]


def assert_every_receipt_stored(level: load.LevelResult) -> None:
    assert level.errors == []
    assert level.completed == RESIDENTS
    assert len(level.receipts) == RESIDENTS and level.found == RESIDENTS


@pytest.mark.slow
def test_ten_residents_and_a_projector_on_one_duckdb_process(tmp_path: Path):
    assert_every_receipt_stored(run(load.Setup("duckdb", 1), str(tmp_path / "x.duckdb"), tmp_path))


@pytest.mark.postgres
def test_ten_residents_and_a_projector_on_two_postgresql_processes(
    tmp_path: Path, postgres_server: str
):
    with fresh_database(postgres_server) as url:
        assert_every_receipt_stored(run(load.Setup("postgresql", 2), url, tmp_path))


async def first_page(port: int, page: str, query: str) -> load.Client:
    session = load.Session(port, page, query)
    try:
        await session.open()
    finally:
        await session.close()
    return session.client


async def first_pages(port: int, page: str, query: str, count: int) -> list[load.Client]:
    return list(await asyncio.gather(*(first_page(port, page, query) for _ in range(count))))


@pytest.mark.slow
def test_ballots_opened_first_after_start_go_through_the_router(tmp_path: Path):
    """Streamlit treats an app with a ``pages/`` folder as an old-style multipage app until
    ``st.navigation`` has run once, and until then runs a page's script without app.py:
    no page settings, no checks. The first visitors, arriving together (a room scanning
    the projector's code as the server starts), must each get app.py all the same."""
    database = str(tmp_path / "x.duckdb")
    round_id, _ = load.prepare(database, 1)
    with load.running(load.Setup("duckdb", 1), database, tmp_path / "server.log") as server:
        ballots = apart(asyncio.run, first_pages(server.port, "vote", f"round={round_id}", 4))
    for ballot in ballots:
        assert ballot.page_title == "Budget Together"
        assert "**Step 1 of 4: Voter code**" in ballot.texts
        assert ballot.exceptions == []


async def close_then_tap(port: int, database: str, round_id: str, code: str) -> load.Client:
    session = load.Session(port, "vote", f"round={round_id}")
    try:
        await session.open()
        await session.act({"voter_code": code}, press="use_code")
        client = session.client
        amount = client.keys("amount_", ["number_input"])[0]
        closing = store.connect(database)  # an officer's change, from another process
        store.update_round(closing, round_id, status="closed")
        closing.close()
        await asyncio.sleep(round_cache.FRESH_SECONDS)  # what other processes wait at most
        await session.act({amount: int(client.widgets[amount].current()) + 1000})
    finally:
        await session.close()
    return client


@pytest.mark.postgres
def test_a_tap_in_a_step_after_the_round_closes_shows_voting_has_closed(
    tmp_path: Path, postgres_server: str
):
    """A tap in the ballot reruns its step alone (a fragment): it must still notice that
    the round is no longer open, and show the whole page as it now stands."""
    with fresh_database(postgres_server) as url:
        round_id, codes = load.prepare(url, 1)
        setup = load.Setup("postgresql", 1)
        with load.running(setup, url, tmp_path / "server.log") as server:
            client = apart(asyncio.run, close_then_tap(server.port, url, round_id, codes[0]))
    assert client.exceptions == []
    assert not client.keys("amount_", ["number_input"])
    assert "step_next" not in client.widgets


async def journey_noting_each_run(port: int, round_id: str, code: str) -> list[str]:
    """One resident's journey, noting for each step whether the whole page ran again or
    only the ballot's fragment (as the server's message ending the run says)."""
    session = load.Session(port, "vote", f"round={round_id}")
    client = session.client
    finished: list[int] = []
    receive = client.receive

    def noting(message: load.ForwardMsg) -> int | None:
        status = receive(message)
        if status is not None:
            finished.append(status)
        return status

    client.receive = noting  # type: ignore[method-assign]
    steps: list[str] = []
    fragment_only = load.ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY

    async def step(name: str, action: Awaitable[None]) -> None:
        finished.clear()
        await action
        steps.append(f"{name}: {'fragment' if finished == [fragment_only] else 'page'}")

    try:
        await step("open", session.open())
        await step("continue", session.act({"voter_code": code}, press="use_code"))
        amount = client.keys("amount_", ["number_input"])[0]
        await step("amount", session.act({amount: int(client.widgets[amount].current()) + 1000}))
        await step("balance", session.act(press="balance_allocation"))
        await step("next", session.act(press="step_next"))
        await step("back", session.act(press="step_back"))
        await step("next", session.act(press="step_next"))
        await step("tick", session.act({client.keys("project_", ["checkbox"])[0]: True}))
        await step("next", session.act(press="step_next"))
        await step("send", session.act(press="submit_ballot"))
        assert load.receipt_in(client.texts) is not None
        await step("finish", session.act(press="finish_ballot"))
        assert "voter_code" in client.widgets and "submit_ballot" not in client.widgets
        assert client.exceptions == []
    finally:
        await session.close()
    return steps


@pytest.mark.slow
def test_every_step_after_the_page_opens_reruns_the_ballot_alone(tmp_path: Path):
    """Continue, every tap in a step, Next, Back, Send and Finish rerun the ballot's
    fragment only, not the whole page (its style, language switch and title stay as
    drawn): in a room where everyone votes at once, the whole page's run is work the server
    would do again for nothing on every tap."""
    database = str(tmp_path / "x.duckdb")
    round_id, codes = load.prepare(database, 1)
    with load.running(load.Setup("duckdb", 1), database, tmp_path / "server.log") as server:
        steps = apart(asyncio.run, journey_noting_each_run(server.port, round_id, codes[0]))
    assert steps == [
        "open: page",
        "continue: fragment",
        "amount: fragment",
        "balance: fragment",
        "next: fragment",
        "back: fragment",
        "next: fragment",
        "tick: fragment",
        "next: fragment",
        "send: fragment",
        "finish: fragment",
    ]
