"""The officers' review page (/officer-review) on the demo round: it renders, lists every
registered rule with the round's own marked, and shows small groups as words."""

from __future__ import annotations

from datetime import datetime

from budgeting import store
from budgeting.demo import DEMO_ROUND_ID
from budgeting.engine.registry import rules
from budgeting.results.review import K
from budgeting.ui import auth
from tests.app.test_officer_page import DEMO_MODE, secrets_file, shown, sign_in  # noqa: F401

PAGE = "pages/officer_review.py"
SUPPRESSED = "suppressed"
SMALL_AREA = "Westfield"
SMALL = 4


def table(app, *columns: str) -> list[dict[str, str]]:
    """The rows, as text, of the first table on the page with all these columns (the
    first of them first)."""
    for frame in app.dataframe:
        headers = list(frame.value.columns)
        if headers[0] == columns[0] and set(columns) <= set(headers):
            return frame.value.astype(str).to_dict("records")
    raise AssertionError(f"no table with columns {columns}")


def open_review(open_page):
    app = open_page(PAGE, secrets=DEMO_MODE, round=DEMO_ROUND_ID)
    sign_in(app, auth.DEMO_OFFICER, auth.DEMO_PASSWORD)
    assert not app.exception, app.exception
    return app


def add_small_area(conn) -> None:
    """Paper ballots from an area nobody else voted from: fewer than 10 of them."""
    areas = store.list_areas(conn, DEMO_ROUND_ID)
    westfield = store.Area(SMALL_AREA.lower(), DEMO_ROUND_ID, SMALL_AREA, 2500)
    store.replace_areas(conn, DEMO_ROUND_ID, [*areas, westfield])
    projects = [p.id for p in store.list_projects(conn, DEMO_ROUND_ID)][:2]
    allocation = store.current_ballots(conn, DEMO_ROUND_ID)[0].allocation
    for _ in range(SMALL):
        store.submit_ballot(
            conn,
            DEMO_ROUND_ID,
            allocation=allocation,
            project_scores=dict.fromkeys(projects, 1),
            channel="paper",
            area=SMALL_AREA,
            age_band="25-34",
            submitted_at=datetime(2027, 3, 11, 10, 0),
        )


def test_a_visitor_sees_only_the_sign_in_form(open_page, secrets_file) -> None:  # noqa: F811
    app = open_page(PAGE, secrets=DEMO_MODE, round=DEMO_ROUND_ID)
    assert not app.exception
    assert not app.dataframe
    assert any(t.key == "officer_name" for t in app.text_input)


def test_every_rule_is_compared_and_the_rounds_own_is_marked(
    open_page,
    conn,
    secrets_file,  # noqa: F811
) -> None:
    voting_round = store.get_round(conn, DEMO_ROUND_ID)
    app = open_review(open_page)
    selection = [row["Rule"] for row in table(app, "Rule", "Money spent")]
    assert len(selection) == len(rules("selection"))
    for rule in rules("selection"):
        own = rule.id == voting_round.selection_rule
        marked = f"★ {rule.name} (this round's rule)"
        assert (marked if own else rule.name) in selection
    assert sum("★" in label for label in selection) == 1
    assert sum("★" in column for column in table(app, "Project", "Cost")[0]) == 1

    allocation_columns = list(table(app, "Service")[0])[1:]
    assert len(allocation_columns) == len(rules("allocation"))
    for rule in rules("allocation"):
        own = rule.id == voting_round.allocation_rule
        assert (f"★ {rule.name} (this round's rule)" if own else rule.name) in allocation_columns
    assert sum("★" in column for column in allocation_columns) == 1

    ballots = store.current_ballots(conn, DEMO_ROUND_ID)
    assert any(m.value == f"{len(ballots):,}" for m in app.metric)
    paper = sum(1 for b in ballots if b.channel == "paper")
    assert any(m.label == "Paper" and m.value == f"{paper:,}" for m in app.metric)


def test_a_small_group_is_shown_as_words_and_cannot_be_worked_out(
    open_page,
    conn,
    secrets_file,  # noqa: F811
) -> None:
    add_small_area(conn)
    ballots = store.current_ballots(conn, DEMO_ROUND_ID)
    names = {area.id: area.name for area in store.list_areas(conn, DEMO_ROUND_ID)}
    by_area: dict[str, int] = {}
    for ballot in ballots:  # ballots hold the area's id; the page shows its name
        by_area[names[ballot.area]] = by_area.get(names[ballot.area], 0) + 1
    assert by_area[SMALL_AREA] == SMALL < K
    smallest_other = min((n, area) for area, n in by_area.items() if area != SMALL_AREA)[1]

    app = open_review(open_page)
    assert "fewer than 10" in shown(app)  # the page says what "suppressed" means
    turnout = {row["Area"]: row for row in table(app, "Area", "Population", "Turnout")}
    assert turnout[SMALL_AREA]["Ballots"] == SUPPRESSED
    assert turnout[SMALL_AREA]["Turnout"] == SUPPRESSED
    # With one small group, the next smallest is suppressed too: otherwise the total
    # minus the other groups would give the small group away.
    assert turnout[smallest_other]["Ballots"] == SUPPRESSED
    shown_areas = [area for area, row in turnout.items() if row["Ballots"] != SUPPRESSED]
    for area in shown_areas:
        assert turnout[area]["Ballots"] == f"{by_area[area]:,}"
    assert len(shown_areas) == len(by_area) - 2

    breakdown = {row["Area"]: row for row in table(app, "Area", "Ballots", "Mean: Libraries")}
    assert set(breakdown[SMALL_AREA].values()) == {SMALL_AREA, SUPPRESSED}  # no mean either
    assert set(breakdown[smallest_other].values()) == {smallest_other, SUPPRESSED}
    for row in table(app, "Project", SMALL_AREA):
        assert row[SMALL_AREA] == SUPPRESSED and row[smallest_other] == SUPPRESSED
