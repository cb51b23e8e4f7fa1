"""Rounds, services and projects: create, read, update, replace; bad settings refused."""

from __future__ import annotations

from fractions import Fraction

import pytest

from budgeting import store
from tests.store.conftest import BALANCED, PROJECTS_CSV, SERVICES_CSV, open_round


def test_create_and_read_round(conn):
    round_id = store.create_round(
        conn,
        name="Harbour Ward 2026",
        service_budget=Fraction("1200.50"),
        project_budget=Fraction(500),
        ballot_format="points",
        max_points=10,
        code_mode="open",
    )
    assert round_id == "harbour-ward-2026"
    round_ = store.get_round(conn, round_id)
    assert round_.service_budget == Fraction(240_100, 200)
    assert (round_.ballot_format, round_.max_points, round_.code_mode, round_.status) == (
        "points",
        10,
        "open",
        "draft",
    )
    assert store.create_round(conn, name="Harbour Ward 2026") == "harbour-ward-2026-2"
    assert [r.id for r in store.list_rounds(conn)] == ["harbour-ward-2026", "harbour-ward-2026-2"]
    assert store.get_round(conn, "nope") is None


@pytest.mark.parametrize(
    "settings",
    [
        {"name": " "},
        {"name": "x", "ballot_format": "ranked-choice"},
        {"name": "x", "service_budget": Fraction(-1)},
        {"name": "x", "service_budget": Fraction(1, 3)},
        {"name": "x", "max_approvals": 0},
        {"name": "x", "colour": "red"},
        {"name": "x", "id": "has space"},
    ],
)
def test_bad_round_settings_are_refused(conn, settings):
    with pytest.raises(store.StoreError):
        store.create_round(conn, **settings)
    assert store.list_rounds(conn) == []


def test_update_round_is_audited_and_validated(conn):
    round_id = open_round(conn, name="Ward")
    store.update_round(conn, round_id, status="closed")
    round_id = store.create_round(conn, name="Ward", **READY)
    store.import_services_csv(conn, round_id, SERVICES_CSV)
    store.import_projects_csv(conn, round_id, PROJECTS_CSV)
    store.update_round(conn, round_id, actor="alice", status="open", hide_results_until_close=True)
    round_ = store.get_round(conn, round_id)
    assert round_.status == "open" and round_.hide_results_until_close
    entry = store.audit_log(conn, round_id)[-1]
    assert entry.kind == "round_changed"
    assert entry.details["before"]["status"] == "draft"
    assert entry.details["after"]["status"] == "open"
    assert entry.details["actor"] == "alice"
    with pytest.raises(store.StoreError):
        store.update_round(conn, round_id, status="finished")
    with pytest.raises(store.StoreError):
        store.update_round(conn, "missing", status="open")
    assert store.get_round(conn, round_id).status == "open"


READY = {"service_budget": Fraction(10_000), "project_budget": Fraction(8_000)}


def test_a_round_opens_only_when_its_settings_can_work(conn):
    empty = store.create_round(conn, name="Empty ward", **READY)
    with pytest.raises(store.RoundNotReady) as caught:
        store.update_round(conn, empty, status="open")
    assert any("at least one service" in problem for problem in caught.value.problems)
    assert any("at least one project" in problem for problem in caught.value.problems)
    assert store.get_round(conn, empty).status == "draft"

    squeezed = store.create_round(conn, name="Squeezed ward", **READY)
    store.import_services_csv(conn, squeezed, SERVICES_CSV.replace('"8,000"', '"3,000"'))
    store.import_projects_csv(conn, squeezed, PROJECTS_CSV)
    with pytest.raises(store.RoundNotReady, match="ceilings add up to 9,000, less than"):
        store.update_round(conn, squeezed, status="open")

    round_id = open_round(conn, name="Open ward")
    for settings in (
        {"selection_rule": "nope"},
        {"completion": "add7"},
        {"selection_rule": "phragmen", "ballot_format": "points", "max_points": 5},
    ):
        with pytest.raises(store.RoundNotReady):
            store.update_round(conn, round_id, **settings)
    assert store.get_round(conn, round_id).selection_rule == "mes"


def test_rounds_move_one_way_and_start_as_drafts(conn):
    with pytest.raises(store.StoreError, match="starts as a draft"):
        store.create_round(conn, name="Ward", status="open", **READY)
    round_id = open_round(conn, name="Ward")
    store.update_round(conn, round_id, status="closed")
    with pytest.raises(store.StoreError, match="cannot go from closed to open"):
        store.update_round(conn, round_id, status="open")
    store.update_round(conn, round_id, status="published")
    assert store.get_round(conn, round_id).status == "published"


def test_services_and_projects_replace_and_list_in_order(conn):
    round_id = store.create_round(conn, name="Ward", service_budget=Fraction(100))
    store.replace_services(
        conn,
        round_id,
        [
            {"id": "b", "name": "Bins", "floor": Fraction(10), "ceiling": Fraction(60)},
            store.Service("a", round_id, "Art", ceiling=Fraction(50), current_spend=Fraction(7)),
        ],
    )
    services = store.list_services(conn, round_id)
    assert [(s.id, s.position, s.floor, s.ceiling) for s in services] == [
        ("b", 0, Fraction(10), Fraction(60)),
        ("a", 1, Fraction(0), Fraction(50)),
    ]
    assert services[1].current_spend == 7
    store.replace_services(conn, round_id, [{"id": "a", "name": "Art", "ceiling": 5}])
    assert [s.id for s in store.list_services(conn, round_id)] == ["a"]
    store.replace_projects(conn, round_id, [{"id": "p1", "name": "Park", "cost": Fraction(9)}])
    assert store.list_projects(conn, round_id)[0].cost == 9
    with pytest.raises(store.StoreError):
        store.replace_projects(conn, round_id, [{"id": "p1", "name": "Park", "cost": 0}])
    with pytest.raises(store.StoreError):
        store.replace_services(conn, round_id, [{"id": "a", "name": "A", "floor": 9, "ceiling": 1}])
    assert store.list_projects(conn, round_id)[0].name == "Park"


def test_services_cannot_be_replaced_once_ballots_exist(conn):
    round_id = open_round(conn, code_mode="open")
    store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores={"A": 1})
    with pytest.raises(store.StoreError, match="ballots"):
        store.replace_services(conn, round_id, [{"id": "x", "name": "X", "ceiling": 1}])
    assert len(store.list_services(conn, round_id)) == 2


def test_amounts_too_large_for_the_database_are_refused_in_words(conn):
    with pytest.raises(store.StoreError, match=r"service_budget: .* is too large"):
        store.create_round(conn, name="Ward", service_budget=Fraction(10**30))
    round_id = store.create_round(conn, name="Ward", **READY)
    huge = "99,999,999,999,999,999"
    with pytest.raises(store.CsvImportError) as caught:
        store.import_projects_csv(conn, round_id, PROJECTS_CSV.replace('"6,000"', f'"{huge}"'))
    assert [(p.line, p.field) for p in caught.value.problems] == [(2, "cost")]
    assert "is too large: amounts must be under 1,000,000,000,000,000" in str(caught.value)
    with pytest.raises(store.StoreError, match="cost must be under"):
        store.replace_projects(
            conn, round_id, [{"id": "A", "name": "Play", "cost": Fraction(10**16)}]
        )
    assert store.list_projects(conn, round_id) == []
