"""Setting a round up: areas with their population, projects from a pabulib file, and the
settings that are fixed once a ballot is cast."""

from __future__ import annotations

from fractions import Fraction

import pytest

from budgeting import store
from tests.conftest import PABULIB_DIR
from tests.store.conftest import BALANCED, open_round, raw_rows

AREAS_CSV = 'id,name,population\nnorth,North ward,"12,400"\nsouth,South ward,9800\n'
SMALL_PB = """META
key;value
description;Small test
num_projects;2
num_votes;1
budget;5000
vote_type;approval
PROJECTS
project_id;cost;name;district
p1;3000;Play area;North
p2;1500.50;;South
VOTES
voter_id;vote
1;p1
"""


def draft(conn) -> str:
    return store.create_round(conn, name="Setup test", service_budget=1000, project_budget=5000)


def test_areas_are_imported_with_their_population_and_can_change_while_voting(conn):
    round_id = open_round(conn, code_mode="open")
    store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores={"A": 1})
    assert store.import_areas_csv(conn, round_id, AREAS_CSV) == 2
    assert store.list_areas(conn, round_id) == [
        store.Area("north", round_id, "North ward", 12400),
        store.Area("south", round_id, "South ward", 9800),
    ]
    assert store.verify_audit_log(conn) == []
    cursor = conn.cursor()
    cursor.execute("UPDATE areas SET population = 1 WHERE id = 'north'")
    cursor.close()
    assert any("area north" in problem for problem in store.verify_audit_log(conn))


def test_a_bad_areas_file_is_refused_whole_with_every_line_named(conn):
    round_id = draft(conn)
    store.import_areas_csv(conn, round_id, AREAS_CSV)
    bad = "id,name,population\nnorth,North,many\nsouth,,10\neast,East,-4\n"
    with pytest.raises(store.CsvImportError) as refused:
        store.import_areas_csv(conn, round_id, bad)
    found = {(p.line, p.field) for p in refused.value.problems}
    assert found == {(2, "population"), (3, "name"), (4, "population")}
    assert [a.id for a in store.list_areas(conn, round_id)] == ["north", "south"]


def test_projects_come_from_a_pabulib_file(conn):
    round_id = draft(conn)
    assert store.import_projects_pb(conn, round_id, SMALL_PB) == 2
    projects = store.list_projects(conn, round_id)
    assert [(p.id, p.name, p.cost, p.area) for p in projects] == [
        ("p1", "Play area", Fraction(3000), "North"),
        ("p2", "p2", Fraction(3001, 2), "South"),  # no name: named by its id
    ]
    assert store.audit_log(conn, round_id)[-1].details["source"] == "pabulib"


def test_a_real_city_file_gives_every_project(conn):
    path = PABULIB_DIR / "Netherlands_Assen_2024.pb"
    round_id = draft(conn)
    count = store.import_projects_pb(conn, round_id, path.read_text(encoding="utf-8"))
    assert count == len(store.list_projects(conn, round_id)) > 0


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (SMALL_PB.replace("p2;1500.50", "p1;1500.50"), 11, "appears twice"),
        (SMALL_PB.replace("p2;1500.50", "p2;15x"), 11, "not a number"),
        (SMALL_PB.replace("p2;1500.50", "p 2;1500.50").replace("1;p1", "1;p 2"), 11, "p 2"),
        (SMALL_PB.replace("p2;1500.50", "p2;1500.505"), 11, "whole pence"),
        ("not a pabulib file", 1, ""),
    ],
)
def test_a_bad_pabulib_file_is_refused_naming_the_line(conn, text, line, words):
    round_id = draft(conn)
    with pytest.raises(store.CsvImportError) as refused:
        store.import_projects_pb(conn, round_id, text)
    assert any(p.line == line and words in str(p) for p in refused.value.problems)
    assert store.list_projects(conn, round_id) == []


def test_settings_that_decide_the_count_are_fixed_once_a_ballot_is_cast(conn):
    round_id = open_round(conn, code_mode="open")
    store.update_round(conn, round_id, project_budget=Fraction(9000))  # no ballot yet
    store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores={"A": 1})
    for change in (
        {"project_budget": Fraction(7000)},
        {"selection_rule": "greedy"},
        {"ballot_format": "knapsack"},
        {"code_mode": "codes"},
    ):
        with pytest.raises(store.StoreError, match="cannot be changed once ballots"):
            store.update_round(conn, round_id, **change)
    store.update_round(conn, round_id, name="Test ward 2027", project_budget=Fraction(9000))
    assert raw_rows(conn, "SELECT name, project_budget_minor FROM rounds") == [
        ("Test ward 2027", 900_000)
    ]


def test_texts_per_language_fall_back_field_by_field(conn):
    round_id = draft(conn)
    welsh = (
        "id,name,description,cost,name_cy,description_cy\n"
        "A,Play area,New swings,6000,Ardal chwarae,\n"
        "B,Trees,Street trees,3000,,Coed stryd\n"
    )
    store.import_projects_csv(conn, round_id, welsh)
    shown = store.list_projects(conn, round_id, "cy")
    assert [(p.name, p.description) for p in shown] == [
        ("Ardal chwarae", "New swings"),
        ("Trees", "Coed stryd"),
    ]
    assert [p.name for p in store.list_projects(conn, round_id)] == ["Play area", "Trees"]
    assert [p.name for p in store.list_projects(conn, round_id, "en")] == ["Play area", "Trees"]
    assert store.list_projects(conn, round_id)[0].translations == {"cy": {"name": "Ardal chwarae"}}
    assert store.verify_audit_log(conn) == []


def test_a_language_we_do_not_ship_is_an_unknown_column(conn):
    round_id = draft(conn)
    with pytest.raises(store.CsvImportError) as refused:
        store.import_projects_csv(conn, round_id, "id,name,cost,name_fr\nA,Play,10,Jeux\n")
    assert [(p.line, p.field) for p in refused.value.problems] == [(1, "name_fr")]
    with pytest.raises(store.StoreError, match="no language 'fr'"):
        store.replace_projects(
            conn,
            round_id,
            [{"id": "A", "name": "Play", "cost": 10, "translations": {"fr": {"name": "Jeux"}}}],
        )


def test_a_ballot_names_its_area_by_id_or_name_and_gives_a_known_age_band(conn):
    round_id = open_round(conn, code_mode="open")
    store.import_areas_csv(conn, round_id, AREAS_CSV)
    for named in ("north", "North ward", "  north   WARD "):
        stored = store.submit_ballot(
            conn, round_id, allocation=BALANCED, project_scores={}, area=named, age_band="65+"
        )
        assert (stored.area, stored.age_band) == ("north", "65+")
    with pytest.raises(store.BallotRejected) as refused:
        store.submit_ballot(
            conn, round_id, allocation=BALANCED, project_scores={}, area="East", age_band="70"
        )
    words = {p.field: p.message() for p in refused.value.problems}
    assert words == {
        "area": "That area is not one of this round's areas: North ward, South ward.",
        "age_band": "The age band must be one of "
        "under-16, 16-24, 25-34, 35-49, 50-64, 65+, or none.",
    }
    assert store.ballot_count(conn, round_id) == 3


def test_without_areas_a_ballot_keeps_the_area_it_gives(conn):
    round_id = open_round(conn, code_mode="open")
    stored = store.submit_ballot(
        conn, round_id, allocation=BALANCED, project_scores={}, area="Dock"
    )
    assert stored.area == "Dock"
