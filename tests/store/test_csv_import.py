"""CSV import: every problem reported with line and field; nothing written on any problem."""

from __future__ import annotations

from fractions import Fraction

import pytest

from budgeting import store
from tests.store.conftest import PROJECTS_CSV, SERVICES_CSV, open_round


@pytest.fixture
def draft(conn):
    return store.create_round(conn, name="Draft", service_budget=Fraction(10_000))


def test_valid_files_import_with_amount_formats(conn, draft):
    assert store.import_services_csv(conn, draft, SERVICES_CSV) == 2
    assert store.import_projects_csv(conn, draft, "\ufeff" + PROJECTS_CSV) == 3
    parks = store.list_services(conn, draft)[0]
    assert (parks.id, parks.floor, parks.ceiling, parks.current_spend) == (
        "parks",
        2000,
        8000,
        6000,
    )
    assert parks.unit_cost_text == "£40 plants a tree"
    store.import_projects_csv(
        conn, draft, 'id,name,cost\nX,"Multi\nline name",£1.50\nY,Plain,"12,345.6"\n'
    )
    assert [p.cost for p in store.list_projects(conn, draft)] == [
        Fraction(3, 2),
        Fraction("12345.6"),
    ]


def test_every_problem_is_listed_and_nothing_is_written(conn, draft):
    store.import_services_csv(conn, draft, SERVICES_CSV)
    before = store.list_services(conn, draft)
    log_length = len(store.audit_log(conn))
    bad = (
        "id,name,description,current_spend,floor,ceiling\n"
        "ok,Fine,,1,1,2\n"
        'quoted,"two\nlines",,1,1,2\n'
        "parks,Parks,,1,1,20k\n"
        "parks,Parks again,,1,1,2\n"
        ",No id,,1,1,2\n"
        "bad id,Spaces,,1,-5,2\n"
        "hi,High floor,,1,9,2\n"
        "short,row\n"
    )
    with pytest.raises(store.CsvImportError) as caught:
        store.import_services_csv(conn, draft, bad)
    found = {(p.line, p.field) for p in caught.value.problems}
    assert found == {
        (5, "ceiling"),
        (7, "id"),
        (8, "floor"),
        (8, "id"),
        (9, "floor"),
        (10, "line"),
    } | {(6, "id")}
    assert "line 5, field 'ceiling': '20k' is not an amount" in str(caught.value)
    assert "already appears on line 5" in str(caught.value)
    assert (caught.value.line, caught.value.field) == (5, "ceiling")
    assert store.list_services(conn, draft) == before
    assert len(store.audit_log(conn)) == log_length


def test_header_problems(conn, draft):
    with pytest.raises(store.CsvImportError) as caught:
        store.import_projects_csv(conn, draft, "id,title,cost,colour\nA,Park,5,red\n")
    problems = {(p.line, p.field, p.message) for p in caught.value.problems}
    assert (1, "name", "required column is missing") in problems
    assert any(line == 1 and field == "colour" for line, field, _ in problems)
    for text in ("", "id,name,cost\n"):
        with pytest.raises(store.CsvImportError):
            store.import_projects_csv(conn, draft, text)
    assert store.list_projects(conn, draft) == []


def test_floors_above_the_budget_are_refused(conn, draft):
    too_high = "id,name,floor,ceiling\na,A,6000,9000\nb,B,5000,9000\n"
    with pytest.raises(store.CsvImportError, match="floors add up to £11,000"):
        store.import_services_csv(conn, draft, too_high)
    assert store.list_services(conn, draft) == []


def test_ballots_csv_reports_lines_and_stores_nothing(conn):
    round_id = open_round(conn, code_mode="open")
    good = (
        "code,channel,area,age_band,submitted_at,projects,parks,libraries\n"
        ",paper,North,65+,2027-03-01T10:00:00,A C,6000,4000\n"
        ",web,South,25-34,,B,5000,5000\n"
    )
    assert store.import_ballots_csv(conn, round_id, good) == 2
    assert store.ballot_count(conn, round_id) == 2
    bad = good + (
        ",web,,,yesterday,B,5000,5000\n"
        ",web,,,,Z,5000,lots\n"
        ",web,,,,B,1,1\n"
        "NOT-KNOWN,web,,,,B,5000,5000\n"
    )
    with pytest.raises(store.CsvImportError) as caught:
        store.import_ballots_csv(conn, round_id, bad)
    where = {(p.line, p.field) for p in caught.value.problems}
    assert {(4, "submitted_at"), (5, "libraries"), (7, "code")} <= where
    assert {line for line, _ in where} == {4, 5, 6, 7}
    assert store.ballot_count(conn, round_id) == 2
