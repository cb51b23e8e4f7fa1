"""Paper ballots (/officer-paper) through AppTest: one ballot typed in and stored as paper
with its area and age band; a bad one refused field by field with nothing stored; a CSV
batch stored whole or not at all, its problems listed by line."""

from __future__ import annotations

import pytest

from budgeting import store
from budgeting.demo import DEMO_ROUND_ID
from budgeting.ui import auth, paper_form
from tests.app.conftest import arrives_now, drawn, pressed
from tests.app.test_officer_codes import downloads  # noqa: F401  (fixture)
from tests.app.test_officer_page import DEMO_MODE, sign_in

ROUND = {"round": DEMO_ROUND_ID}
AREAS = [
    {"id": "north", "name": "North ward", "population": 1200},
    {"id": "south", "name": "South ward", "population": 800},
]


@pytest.fixture
def allocation(conn) -> dict[str, int]:
    """A balanced allocation of the demo round (one resident's), in whole pounds."""
    return {
        sid: int(v) for sid, v in store.current_ballots(conn, DEMO_ROUND_ID)[0].allocation.items()
    }


def paper_page(open_page):
    app = open_page("pages/officer_paper.py", secrets=DEMO_MODE, **ROUND)
    return sign_in(app, auth.DEMO_OFFICER, auth.DEMO_PASSWORD)


def fill(app, amounts: dict[str, str], projects: str, *, code="", area=None, age=None):
    """Type a ballot and press Submit."""
    typed = type_in(app, amounts, projects, code=code, area=area, age=age)
    return drawn(typed.button, paper_form.SUBMIT_KEY).click().run()


def type_in(app, amounts: dict[str, str], projects: str, *, code="", area=None, age=None):
    for service_id, amount in amounts.items():
        drawn(app.text_input, f"paper_amount_{service_id}").input(amount)
    drawn(app.text_input, "paper_projects").input(projects)
    if code:
        drawn(app.text_input, "paper_code").input(code)
    if area is not None:
        drawn(app.selectbox, "paper_area").select(area)
    if age is not None:
        drawn(app.selectbox, "paper_age").select(age)
    return app


def paper_ballots(conn) -> list[store.StoredBallot]:
    return [b for b in store.current_ballots(conn, DEMO_ROUND_ID) if b.channel == "paper"]


def errors(app) -> list[str]:
    return [e.value for e in app.error]


def test_a_paper_ballot_is_stored_as_paper_with_its_area_and_age_band(open_page, conn, allocation):
    store.replace_areas(conn, DEMO_ROUND_ID, AREAS)
    before = paper_ballots(conn)
    app = paper_page(open_page)
    assert not app.exception
    amounts = {sid: f"{amount:,}" for sid, amount in allocation.items()}
    app = fill(app, amounts, "p01, P04", area="north", age="65+")
    assert not app.exception and not errors(app)
    (stored,) = [b for b in paper_ballots(conn) if b not in before]
    assert (stored.channel, stored.area, stored.age_band) == ("paper", "north", "65+")
    assert stored.allocation == allocation and stored.project_scores == {"P01": 1, "P04": 1}
    assert any(stored.receipt in s.value for s in app.success)
    # the form is clear for the next ballot
    assert all(t.value == "" for t in app.text_input if t.key.startswith("paper_"))
    assert drawn(app.selectbox, "paper_area").value is None
    assert drawn(app.selectbox, "paper_age").value is None
    snapshot = store.projector_snapshot(conn, DEMO_ROUND_ID)
    assert snapshot.paper_count == len(before) + 1


def test_a_paper_ballot_with_a_voter_code_counts_for_that_code(open_page, conn, allocation):
    code = store.issue_voter_codes(conn, DEMO_ROUND_ID, 1)[0]
    amounts = {sid: str(amount) for sid, amount in allocation.items()}
    app = fill(paper_page(open_page), amounts, "P02", code=code.lower())
    assert not errors(app)
    stored = store.latest_ballot(conn, DEMO_ROUND_ID, code)
    assert stored.channel == "paper" and stored.project_scores == {"P02": 1}


def test_submit_pressed_twice_before_the_form_is_cleared_stores_the_ballot_once(
    open_page, conn, allocation
):
    """A double click on Submit: the browser sends the second press with the ballot's
    values still in the form (it has not drawn the cleared one), exactly as the first."""
    before = len(paper_ballots(conn))
    amounts = {sid: str(amount) for sid, amount in allocation.items()}
    app = type_in(paper_page(open_page), amounts, "P03")
    drawn(app.button, paper_form.SUBMIT_KEY).click()
    press = pressed(app)
    app.run()
    assert not app.exception and len(paper_ballots(conn)) == before + 1
    (receipt,) = [s.value for s in app.success]
    app._run(press)  # the same press, again
    assert not app.exception and not errors(app)
    assert len(paper_ballots(conn)) == before + 1
    assert [s.value for s in app.success] == [receipt]  # still said stored, not refused
    assert all(t.value == "" for t in app.text_input if t.key.startswith("paper_"))
    # the next ballot, typed in the form drawn anew, is stored
    app = fill(app, amounts, "P04")
    assert not errors(app) and len(paper_ballots(conn)) == before + 2


def test_submit_pressed_again_while_the_ballot_is_being_stored_stores_it_once(
    open_page, conn, allocation, monkeypatch
):
    """The second press of a double click arrives while the first is still storing: the
    run stops at its next use of the session state. The ballot is stored once and its
    receipt still shown."""
    before = len(paper_ballots(conn))
    amounts = {sid: str(amount) for sid, amount in allocation.items()}
    app = type_in(paper_page(open_page), amounts, "P03")
    drawn(app.button, paper_form.SUBMIT_KEY).click()
    press = pressed(app)
    store_now = store.submit_ballot

    def pressed_again_while_storing(*args, **kwargs):
        stored = store_now(*args, **kwargs)
        if len(paper_ballots(conn)) == before + 1:
            arrives_now(press)
        return stored

    monkeypatch.setattr(store, "submit_ballot", pressed_again_while_storing)
    app.run()
    assert not app.exception and not errors(app)
    assert len(paper_ballots(conn)) == before + 1
    (stored,) = paper_ballots(conn)[-1:]
    (said,) = [s.value for s in app.success]
    assert f"Paper ballot stored. Its receipt code is {stored.receipt}." in said


def test_a_ballot_refused_by_the_store_as_submit_is_pressed_again_stays_as_typed(
    open_page, conn, allocation, monkeypatch
):
    """The store refuses the ballot (an unknown voter code) while the second press of a
    double click arrives: the refusal is shown and the typing stays, to be corrected."""
    before = len(paper_ballots(conn))
    amounts = {sid: str(amount) for sid, amount in allocation.items()}
    app = type_in(paper_page(open_page), amounts, "P03", code="NOPE-NOPE")
    drawn(app.button, paper_form.SUBMIT_KEY).click()
    press = pressed(app)
    store_now = store.submit_ballot
    presses = [press]  # the second press arrives once

    def pressed_again_while_refusing(*args, **kwargs):
        if presses:
            arrives_now(presses.pop())
        return store_now(*args, **kwargs)

    monkeypatch.setattr(store, "submit_ballot", pressed_again_while_refusing)
    app.run()
    assert not app.exception
    assert any("do not recognise this voter code" in e for e in errors(app))
    assert drawn(app.text_input, "paper_code").value == "NOPE-NOPE"
    assert drawn(app.text_input, "paper_projects").value == "P03"
    assert len(paper_ballots(conn)) == before


def test_a_ballot_the_store_cannot_take_is_said_so_and_stays_as_typed(
    open_page, conn, allocation, monkeypatch
):
    """Not a problem with the ballot (no receipt could be drawn, say): the store's reason in
    words, never a traceback, and the typing kept to send again."""
    amounts = {sid: str(amount) for sid, amount in allocation.items()}
    app = type_in(paper_page(open_page), amounts, "P03")

    def cannot_take(*args, **kwargs):
        raise store.StoreError("no unused receipts were drawn in 5 attempts; nothing was stored")

    monkeypatch.setattr(store, "submit_ballot", cannot_take)
    app = drawn(app.button, paper_form.SUBMIT_KEY).click().run()
    assert not app.exception
    assert any("no unused receipts were drawn" in e for e in errors(app))
    assert drawn(app.text_input, "paper_projects").value == "P03"


def test_a_bad_paper_ballot_is_refused_field_by_field_and_nothing_stored(
    open_page, conn, allocation
):
    before = len(paper_ballots(conn))
    amounts = {sid: str(amount) for sid, amount in allocation.items()}
    amounts["parks"] = str(allocation["parks"] + 50_000)  # £50,000 over budget
    app = fill(paper_page(open_page), amounts, "P01, P99", code="NOPE-NOPE")
    assert not app.exception
    shown = errors(app)
    assert any("not stored" in e for e in shown)
    assert any("“P99” is not the id of a project" in e for e in shown)
    assert any("£50,000 more than the budget" in e for e in shown)
    assert len(paper_ballots(conn)) == before
    # what was typed stays, to be corrected
    assert drawn(app.text_input, "paper_projects").value == "P01, P99"
    assert drawn(app.text_input, "paper_amount_parks").value == amounts["parks"]

    # corrected, the store still refuses the unknown code, next to the code field
    drawn(app.text_input, "paper_amount_parks").input(str(allocation["parks"]))
    drawn(app.text_input, "paper_projects").input("P01")
    drawn(app.button, "paper_submit").click().run()
    assert any("do not recognise this voter code" in e for e in errors(app))
    assert len(paper_ballots(conn)) == before
    assert drawn(app.text_input, "paper_projects").value == "P01"  # still as typed
    assert drawn(app.text_input, "paper_code").value == "NOPE-NOPE"


def test_unreadable_amounts_and_points_are_named(open_page, allocation):
    amounts = {sid: str(amount) for sid, amount in allocation.items()}
    amounts["parks"], amounts["youth"] = "lots", ""
    app = fill(paper_page(open_page), amounts, "P01=2")
    shown = errors(app)
    assert any("“lots” is not an amount for Parks" in e for e in shown)
    assert any("Type the amount for Youth" in e for e in shown)
    assert any("takes project ids only" in e for e in shown)
    assert not any("more than the budget" in e or "left" in e for e in shown)


def test_points_are_typed_as_id_equals_points():
    projects = [store.Project(pid, "r", pid, "", 100, "", "") for pid in ("P01", "P02", "P07")]
    scores, problems = paper_form.parse_choices("p01 = 3, P07:2 P02=0", "points", projects)
    assert scores == {"P01": 3, "P07": 2} and problems == []
    scores, problems = paper_form.parse_choices("P01, P01 P08 P02=x", "points", projects)
    assert [p.key for p in problems] == [
        "officer.paper.points_needed",
        "officer.paper.project_twice",
        "officer.paper.project_unknown",
        "officer.paper.points_needed",
    ]
    assert paper_form.parse_choices("", "approval", projects) == ({}, [])


def ballots_csv(conn, lines: list[str]) -> bytes:
    services = [s.id for s in store.list_services(conn, DEMO_ROUND_ID)]
    header = ",".join([*store.BALLOT_FIELDS, *services])
    return ("\n".join([header, *lines]) + "\n").encode()


def line(allocation: dict[str, int], projects: str, *, area="", age="") -> str:
    return ",".join(["", "paper", area, age, "", projects, *map(str, allocation.values())])


def test_a_csv_batch_is_imported_whole(open_page, conn, allocation):
    store.replace_areas(conn, DEMO_ROUND_ID, AREAS)
    before = len(paper_ballots(conn))
    app = paper_page(open_page)
    content = ballots_csv(
        conn, [line(allocation, "P01 P02", area="north", age="16-24"), line(allocation, "P03")]
    )
    app.file_uploader(key="paper_csv").set_value(("paper.csv", content, "text/csv"))
    app.button(key="paper_import").click().run()
    assert not app.exception
    assert any("2 paper ballots imported" in s.value for s in app.success)
    added = paper_ballots(conn)[before:]
    assert [(b.area, b.age_band, b.project_scores) for b in added] == [
        ("north", "16-24", {"P01": 1, "P02": 1}),
        (None, None, {"P03": 1}),
    ]


def test_a_bad_csv_batch_stores_nothing_and_lists_every_problem_by_line(
    open_page, conn, allocation
):
    before = len(paper_ballots(conn))
    over = {**allocation, "parks": allocation["parks"] + 50_000}
    content = ballots_csv(
        conn, [line(allocation, "P01"), line(over, "P01"), line(allocation, "P99 P01")]
    )
    app = paper_page(open_page)
    app.file_uploader(key="paper_csv").set_value(("paper.csv", content, "text/csv"))
    app.button(key="paper_import").click().run()
    assert not app.exception
    (shown,) = [e for e in errors(app) if "Nothing was imported" in e]
    assert "2 problem(s)" in shown
    assert "line 3" in shown and "line 4" in shown and "P99" in shown
    assert "line 2" not in shown
    assert len(paper_ballots(conn)) == before


def test_the_expected_columns_and_a_template_are_offered(open_page, conn, downloads):  # noqa: F811
    app = paper_page(open_page)
    services = [s.id for s in store.list_services(conn, DEMO_ROUND_ID)]
    header = ",".join([*store.BALLOT_FIELDS, *services])
    assert header in [c.value for c in app.code]
    assert downloads[f"{DEMO_ROUND_ID}-paper-ballots.csv"].decode() == header + "\n"


def test_no_paper_ballots_once_voting_has_closed(open_page, conn):
    store.update_round(conn, DEMO_ROUND_ID, status="closed")
    app = paper_page(open_page)
    assert not app.exception
    assert any("only while the round is open" in i.value for i in app.info)
    assert not [t for t in app.text_input if t.key.startswith("paper_")]
