"""Taps a resident makes before the browser has drawn the last run, against a real server:
none may undo what the resident just did (``budgeting.ui.drawings``), and a move they make
on a widget the page has since drawn anew still counts. Each test's browser lags by
sending, with its tap, the widgets of the run before (``load.Client``'s ``behind``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from bench import load
from budgeting.ui import drawings
from tests.apart import apart

pytestmark = pytest.mark.slow  # a real server, as the load harness's tests

Journey = Callable[[load.Session], Awaitable[dict[str, Any]]]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str, list[str]]]:
    """One app process on a DuckDB file with the demo round, and a voter code per test."""
    folder = tmp_path_factory.mktemp("taps_ahead")
    database = str(folder / "x.duckdb")
    round_id, codes = load.prepare(database, 7)
    with load.running(load.Setup("duckdb", 1), database, folder / "server.log") as running:
        yield running.port, round_id, codes


def shown(client: load.Client, name: str) -> int:
    return int(client.widgets[client.drawn(name)].current())


def allocation_shown(client: load.Client) -> dict[str, int]:
    """Each service's amount as its number box now shows it."""
    return {
        drawings.name_of(k).removeprefix("amount_"): int(client.widgets[k].current())
        for k in client.keys("amount_", ["number_input"])
    }


def balanced(client: load.Client) -> bool:
    return any("Balanced: all of" in text for text in client.texts)


def on_the_services_step(server: tuple[int, str, list[str]], code_index: int, then: Journey):
    """Open the ballot, send voter code number ``code_index`` and go on with ``then``; what
    ``then`` saw."""
    port, round_id, codes = server

    async def journey() -> dict[str, Any]:
        session = load.Session(port, "vote", f"round={round_id}")
        try:
            await session.open()
            await session.act({"voter_code": codes[code_index]}, press="use_code")
            seen = await then(session)
        finally:
            await session.close()
        assert session.client.exceptions == []
        return seen

    return apart(asyncio.run, journey())


def test_an_amount_typed_stays_when_balance_is_tapped_before_its_slider_is_redrawn(server):
    async def type_then_balance(session: load.Session) -> dict[str, Any]:
        client = session.client
        drawn = dict(client.widgets)
        await session.act({client.drawn("amount_parks"): 250_000})
        # The run moved parks' slider to 250,000; this browser still shows it at the start.
        await session.act(press="balance_allocation", behind=drawn)
        return {
            "amount": shown(client, "amount_parks"),
            "slider": shown(client, "alloc_parks"),
            "balanced": balanced(client),
        }

    seen = on_the_services_step(server, 0, type_then_balance)
    assert seen == {"amount": 250_000, "slider": 250_000, "balanced": True}


def test_a_slider_moved_stays_when_balance_is_tapped_before_its_amount_is_redrawn(server):
    async def slide_then_balance(session: load.Session) -> dict[str, Any]:
        client = session.client
        drawn = dict(client.widgets)
        moved_to = shown(client, "alloc_parks") + 50_000
        await session.act({client.drawn("alloc_parks"): [moved_to]})
        # The run set parks' number box to the slider's amount; this browser has not drawn it.
        await session.act(press="balance_allocation", behind=drawn)
        return {
            "moved to": moved_to,
            "amount": shown(client, "amount_parks"),
            "slider": shown(client, "alloc_parks"),
            "balanced": balanced(client),
        }

    seen = on_the_services_step(server, 1, slide_then_balance)
    moved_to = seen.pop("moved to")
    assert seen == {"amount": moved_to, "slider": moved_to, "balanced": True}


def test_balanced_amounts_stay_when_next_is_tapped_before_they_are_redrawn(server):
    async def type_balance_then_next(session: load.Session) -> dict[str, Any]:
        client = session.client
        await session.act({client.drawn("amount_parks"): 250_000})
        drawn = dict(client.widgets)
        await session.act(press="balance_allocation")
        balanced_to = allocation_shown(client)
        # Balance set the other eight services; this browser still shows them as before.
        await session.act(press="step_next", behind=drawn)
        on_projects = "**Step 3 of 4: Projects**" in client.texts
        await session.act(press="step_back")
        return {
            "balanced to": balanced_to,
            "projects": on_projects,
            "kept": allocation_shown(client),
        }

    seen = on_the_services_step(server, 2, type_balance_then_next)
    assert seen["balanced to"]["parks"] == 250_000
    assert sum(seen["balanced to"].values()) == 1_200_000
    assert seen["projects"]  # Next was not refused for an allocation over budget
    assert seen["kept"] == seen["balanced to"]


def test_a_move_made_on_a_slider_the_page_has_since_redrawn_is_taken(server):
    """Not every value sent for an earlier drawing is a browser behind the page: a resident
    who drags the slider they still see, right after typing an amount, moved it."""

    async def type_then_slide_the_old_slider(session: load.Session) -> dict[str, Any]:
        client = session.client
        drawn = dict(client.widgets)
        await session.act({client.drawn("amount_parks"): 250_000})
        old_slider = next(k for k in drawn if drawings.name_of(k) == "alloc_parks")
        await session.act({old_slider: [230_000]}, behind=drawn)
        return {"amount": shown(client, "amount_parks"), "slider": shown(client, "alloc_parks")}

    seen = on_the_services_step(server, 3, type_then_slide_the_old_slider)
    assert seen == {"amount": 230_000, "slider": 230_000}


def test_an_amount_typed_in_a_box_the_page_has_since_redrawn_is_taken(server):
    async def slide_then_type_in_the_old_box(session: load.Session) -> dict[str, Any]:
        client = session.client
        drawn = dict(client.widgets)
        await session.act({client.drawn("alloc_parks"): [230_000]})
        old_box = next(k for k in drawn if drawings.name_of(k) == "amount_parks")
        await session.act({old_box: 150_000}, behind=drawn)
        return {"amount": shown(client, "amount_parks"), "slider": shown(client, "alloc_parks")}

    seen = on_the_services_step(server, 4, slide_then_type_in_the_old_box)
    assert seen == {"amount": 150_000, "slider": 150_000}


def test_a_move_on_an_old_drawing_is_taken_once_while_the_browser_stays_behind(server):
    """An amount typed, then two taps from a browser that has drawn nothing since: the
    slider it still shows dragged, then the amount box it still shows typed in. The second
    tap sends the dragged slider again; the typing, made last, stands."""

    async def slide_old_then_type_old(session: load.Session) -> dict[str, Any]:
        client = session.client
        drawn = dict(client.widgets)  # the browser draws this, then no more
        await session.act({client.drawn("amount_parks"): 250_000})
        old_slider = next(k for k in drawn if drawings.name_of(k) == "alloc_parks")
        old_box = next(k for k in drawn if drawings.name_of(k) == "amount_parks")
        await session.act({old_slider: [230_000]}, behind=drawn)
        box_first = {old_box: drawn[old_box]} | drawn  # the box's callback runs first
        await session.act({old_slider: [230_000], old_box: 150_000}, behind=box_first)
        return {"amount": shown(client, "amount_parks"), "slider": shown(client, "alloc_parks")}

    seen = on_the_services_step(server, 5, slide_old_then_type_old)
    assert seen == {"amount": 150_000, "slider": 150_000}


def test_a_steps_widgets_are_redrawn_where_they_were(server):
    """Streamlit keeps the last run's elements on the page until the new run replaces them,
    place by place: a widget drawn one place further on is shown twice while the run goes
    (its old copy and the new), and a tap then may land on either. After a move to the
    projects step (which scrolls the page to its top), a tick must redraw every project
    where it was."""

    async def next_then_tick(session: load.Session) -> dict[str, Any]:
        client = session.client
        places: dict[str, tuple[int, ...]] = {}
        receive = client.receive

        def noting_places(message: load.ForwardMsg) -> int | None:
            if message.WhichOneof("type") == "delta":
                element = message.delta.new_element
                kind = element.WhichOneof("type")
                key = load.key_of(getattr(getattr(element, kind), "id", "")) if kind else None
                if key is not None and key.startswith("project_P"):
                    places[key] = tuple(message.metadata.delta_path)
            return receive(message)

        client.receive = noting_places  # type: ignore[method-assign]
        await session.act(press="step_next")
        after_the_move = dict(places)
        await session.act({"project_P01": True})
        return {"after the move": after_the_move, "after a tick": dict(places)}

    seen = on_the_services_step(server, 6, next_then_tick)
    assert seen["after the move"]  # the projects were drawn
    assert seen["after a tick"] == seen["after the move"]
