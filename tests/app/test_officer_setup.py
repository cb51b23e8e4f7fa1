"""Round setup (/officer-setup) through AppTest: a new round, its settings, services and
projects from files (CSV and pabulib) and from the table, every problem named by line or
row with nothing saved, and what a cast ballot fixes."""

from __future__ import annotations

from fractions import Fraction

from streamlit.proto.WidgetStates_pb2 import WidgetState

from budgeting import store
from budgeting.demo import DEMO_ROUND_ID
from budgeting.ui import auth
from tests.app.conftest import drawn
from tests.app.test_officer_page import DEMO_MODE, sign_in
from tests.store.conftest import PROJECTS_CSV, SERVICES_CSV
from tests.store.test_setup_imports import SMALL_PB


def setup_page(open_page, **query):
    return sign_in(
        open_page("pages/officer_setup.py", secrets=DEMO_MODE, **query),
        auth.DEMO_OFFICER,
        auth.DEMO_PASSWORD,
    )


def errors(app) -> str:
    return "\n".join(e.value for e in app.error)


def new_round(app, name: str, service_budget: str, project_budget: str):
    app.text_input(key="new_round_name").input(name)
    app.text_input(key="new_round_service_budget").input(service_budget)
    app.text_input(key="new_round_project_budget").input(project_budget)
    return app.button(key="FormSubmitter:new_round-Create the round").click().run()


def test_an_officer_creates_a_round_and_sets_it_up_from_files(open_page, conn):
    app = new_round(setup_page(open_page), "Northbank 2028", "£10,000", "8000")
    assert not app.exception, app.exception
    created = store.get_round(conn, "northbank-2028")
    assert (created.status, created.service_budget, created.project_budget) == (
        "draft",
        Fraction(10_000),
        Fraction(8_000),
    )
    assert app.query_params["round"] == "northbank-2028"

    app.get("file_uploader")[0].set_value(("services.csv", SERVICES_CSV.encode(), "text/csv"))
    app.run().button(key="import_services").click().run()
    assert [s.id for s in store.list_services(conn, "northbank-2028")] == ["parks", "libraries"]
    assert any("services: 2 saved" in s.value.lower() for s in app.success)

    uploader = next(u for u in app.get("file_uploader") if ".pb" in u.allowed_type)
    uploader.set_value(("small.pb", SMALL_PB.encode(), "text/plain"))
    app.run().button(key="import_projects").click().run()
    assert [p.id for p in store.list_projects(conn, "northbank-2028")] == ["p1", "p2"]
    table = app.data_editor(key="editor_projects_northbank-2028").value
    assert list(table["cost"]) == ["3000", "1500.50"]


def test_a_bad_file_is_refused_whole_with_every_line_named(open_page, conn):
    round_id = store.create_round(conn, name="Eastside", service_budget=100, project_budget=100)
    app = setup_page(open_page, round=round_id)
    bad = PROJECTS_CSV.replace('"6,000"', "six thousand").replace("B,Trees", "A,Trees")
    app.get("file_uploader")[1].set_value(("projects.csv", bad.encode(), "text/csv"))
    app.run().button(key="import_projects").click().run()
    shown = errors(app)
    assert "Nothing was saved" in shown
    assert "Line 2, cost: 'six thousand' is not an amount" in shown
    assert "Line 3, id: project 'A' already appears on line 2" in shown
    assert store.list_projects(conn, round_id) == []


def test_a_table_row_with_a_problem_is_named_by_its_row(open_page, conn):
    round_id = store.create_round(conn, name="Westside", service_budget=100, project_budget=100)
    store.import_projects_csv(conn, round_id, PROJECTS_CSV)
    app = setup_page(open_page, round=round_id)
    editor = f"editor_projects_{round_id}"
    app.session_state[editor] = {
        "edited_rows": {1: {"cost": "0"}},
        "added_rows": [{"id": "D", "name": "Bins", "cost": "£1,250.50"}],
        "deleted_rows": [],
    }
    app.run().button(key="save_projects").click().run()
    assert "Row 2, cost: must be more than zero" in errors(app)
    assert [p.id for p in store.list_projects(conn, round_id)] == ["A", "B", "C"]

    app.session_state[editor] = {
        "edited_rows": {},
        "added_rows": [{"id": "D", "name": "Bins", "cost": "£1,250.50"}],
        "deleted_rows": [0],
    }
    app.run().button(key="save_projects").click().run()
    assert not app.error
    projects = store.list_projects(conn, round_id)
    assert [(p.id, p.cost) for p in projects] == [
        ("B", Fraction(3000)),
        ("C", Fraction(2000)),
        ("D", Fraction(2501, 2)),
    ]


def test_settings_change_until_a_ballot_fixes_them(open_page, conn):
    round_id = store.create_round(conn, name="Southside", service_budget=100, project_budget=100)
    app = setup_page(open_page, round=round_id)
    drawn(app.text_input, "setting_project_budget").input("12,5x")
    app.button(key=f"FormSubmitter:settings_{round_id}-Save settings").click().run()
    assert "Project budget: “12,5x” is not an amount" in errors(app)
    assert store.get_round(conn, round_id).project_budget == 100

    drawn(app.text_input, "setting_project_budget").input("£12,500.50")
    drawn(app.selectbox, "setting_selection_rule").set_value("greedy")
    drawn(app.text_input, "setting_limit").input("3")
    app.button(key=f"FormSubmitter:settings_{round_id}-Save settings").click().run()
    saved = store.get_round(conn, round_id)
    assert (saved.project_budget, saved.selection_rule, saved.max_approvals) == (
        Fraction(25_001, 2),
        "greedy",
        3,
    )

    demo = setup_page(open_page, round=DEMO_ROUND_ID)  # the demo round has ballots
    assert drawn(demo.text_input, "setting_project_budget").disabled
    assert drawn(demo.selectbox, "setting_selection_rule").disabled
    assert not drawn(demo.text_input, "setting_name").disabled
    assert any("ballots have been cast" in i.value for i in demo.info)
    assert not any(b.key == "save_projects" for b in demo.button)
    assert demo.data_editor(key=f"editor_areas_{DEMO_ROUND_ID}").editing_mode == "dynamic"


def test_a_save_pressed_on_the_last_rounds_form_as_another_is_picked_changes_neither(
    open_page, conn
):
    """Another round picked, then Save pressed at once on the form the browser still shows:
    that press sends the first round's settings. They must neither be saved to the round
    now picked nor fill its form (where the next Save would store them)."""
    first = store.create_round(conn, name="Northside", service_budget=100, project_budget=100)
    second = store.create_round(conn, name="Southside", service_budget=200, project_budget=200)
    app = setup_page(open_page, round=first)
    save_first = app.button(key=f"FormSubmitter:settings_{first}-Save settings")
    app.selectbox(key="round_id").set_value(second)
    late_press = app._tree.get_widget_states()  # AppTest's own: what the browser sends
    late_press.widgets.append(WidgetState(id=save_first.id, trigger_value=True))
    app.run()
    assert drawn(app.text_input, "setting_name").value == "Southside"
    app._run(late_press)
    assert not app.exception
    assert drawn(app.text_input, "setting_name").value == "Southside"
    assert drawn(app.text_input, "setting_service_budget").value == "200"
    app.button(key=f"FormSubmitter:settings_{second}-Save settings").click().run()
    kept = store.get_round(conn, second)
    assert (kept.name, kept.service_budget) == ("Southside", 200)
    assert store.get_round(conn, first).name == "Northside"
