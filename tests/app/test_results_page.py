"""The projector (/results) through AppTest: live count and charts, hidden results, and the
decided outcome with the rule's explanation after close."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from fractions import Fraction

import pytest

from budgeting import store
from budgeting.demo import DEMO_ROUND_ID
from budgeting.engine.registry import selection_rule
from budgeting.results import decide
from budgeting.store import round_cache
from budgeting.ui import ballot, ballot_form, charts, live, outcome

ROUND = {"round": DEMO_ROUND_ID}


@pytest.fixture(autouse=True)
def live_view_in_time(monkeypatch):
    """The first view of a round waits for its live decision however busy the machine."""
    monkeypatch.setattr(live, "FIRST_WAIT_SECONDS", 120)


def shown_count(app) -> int:
    counts = [m.value for m in app.markdown if 'class="projector-count"' in m.value]
    assert len(counts) == 1, "the ballot count is shown exactly once"
    return int(counts[0].split(">")[1].split("<")[0].replace(",", ""))


def chart_keys(app) -> list[str]:
    return [chart.proto.id and chart.key for chart in app.get("plotly_chart")]


def html(app) -> str:
    return "\n".join(m.value for m in app.markdown)


def a_valid_ballot(conn) -> dict:
    """Floors topped up to the budget by the balance helper, and one project."""
    services = store.list_services(conn, DEMO_ROUND_ID)
    budget = store.get_round(conn, DEMO_ROUND_ID).service_budget
    amounts = ballot.balance({}, ballot_form.limits_of(services), budget)
    allocation = {sid: Fraction(amount) for sid, amount in amounts.items()}
    return {"allocation": allocation, "project_scores": {"P01": 1}}


def test_live_count_qr_code_and_charts(open_page, conn):
    app = open_page("pages/results.py", **ROUND)
    assert not app.exception
    assert shown_count(app) == store.ballot_count(conn, DEMO_ROUND_ID)
    assert "data:image/svg+xml" in html(app)
    assert "/vote?round=riverside-2027" in html(app)
    assert len(app.get("plotly_chart")) == 2


def test_count_follows_the_store_within_the_shared_snapshot_time(open_page, conn, monkeypatch):
    moment = [1000.0]
    monkeypatch.setattr(round_cache, "_now", lambda: moment[0])
    app = open_page("pages/results.py", **ROUND)
    before = shown_count(app)
    store.submit_ballot(conn, DEMO_ROUND_ID, code="DEMO-0011", **a_valid_ballot(conn))
    moment[0] += round_cache.FRESH_SECONDS / 2
    app.run()
    assert shown_count(app) == before  # every projector shares one reading a second
    moment[0] += round_cache.FRESH_SECONDS / 2
    app.run()
    assert shown_count(app) == before + 1


def test_hidden_results_stay_hidden_but_the_count_shows(open_page, conn):
    store.update_round(conn, DEMO_ROUND_ID, hide_results_until_close=True)
    app = open_page("pages/results.py", **ROUND)
    assert not app.exception
    assert shown_count(app) == store.ballot_count(conn, DEMO_ROUND_ID)
    assert not app.get("plotly_chart")
    page = html(app)
    assert "hidden until voting closes" in page
    for project in store.list_projects(conn, DEMO_ROUND_ID):
        assert project.name not in page
    for service in store.list_services(conn, DEMO_ROUND_ID):
        assert service.name not in page


def test_after_close_the_winners_and_the_rules_reasons(open_page, conn, monkeypatch):
    monkeypatch.setattr(outcome, "SECONDS_PER_PAGE", 10**12)  # the first page, whatever the time
    store.update_round(conn, DEMO_ROUND_ID, status="closed", hide_results_until_close=True)
    app = open_page("pages/results.py", **ROUND)
    assert not app.exception
    decided = decide.decide_round(conn, DEMO_ROUND_ID)
    page = html(app)
    assert len(app.get("plotly_chart")) == 1  # the decided service split
    cost = int(decided.selection.cost)
    assert (
        f"Budget £300,000: £{cost:,.0f} spent on {len(decided.selection.selected)} projects,"
        f" £{300_000 - cost:,.0f} left over." in page
    )
    voters = len(decided.profile.ballots)
    assert (
        f"Each of the {voters} people who chose projects had an equal share of the £300,000:"
        f" £{300_000 / voters:,.0f} each." in page
    )
    assert "every share was raised to £1,800" in page  # add1 raised the shares
    # Plain words on the page; the rule's round-by-round figures one tap away.
    lines = outcome.explanation_lines(decided, "en")
    listed = next(m.value for m in app.markdown if 'class="projector-list"' in m.value)
    reasons = re.findall(r'<span class="why">([^<]*)</span>', listed)
    plain = {line.reason for line in lines}
    figures = {line.detail for line in lines} - plain
    assert reasons and all(reason.replace("&#x27;", "'") in plain for reason in reasons)
    assert any(reason.startswith("The ") and "paid" in reason for reason in plain)
    assert all(figure.startswith("Round ") for figure in figures)
    (details,) = app.expander
    assert details.label == "The rule's figures, round by round"
    assert "Round " in "".join(m.value for m in details.markdown)


def test_explanations_cover_every_project_with_the_rules_numbers(conn):
    voting_round = store.get_round(conn, DEMO_ROUND_ID)
    projects = store.list_projects(conn, DEMO_ROUND_ID)
    decided = decide.decide_round(conn, DEMO_ROUND_ID)
    lines = outcome.explanation_lines(decided, "en")
    assert sorted(line.project_id for line in lines) == sorted(p.id for p in projects)
    funded = [line for line in lines if line.funded]
    assert tuple(line.project_id for line in funded) == decided.selection.selected
    first_step = decided.selection.steps[0]
    assert first_step.kind == "mes_round"
    share = first_step.share_per_point
    assert f"£{float(share):,.2f}" in funded[0].reason
    assert sum(decided.allocation.amounts.values()) == voting_round.service_budget
    welsh = outcome.explanation_lines(decided, "cy")
    assert welsh[0].reason != funded[0].reason


def test_explanation_pages_turn_on_a_timer(conn):
    decided = decide.decide_round(conn, DEMO_ROUND_ID)
    first = outcome.explanation_page(decided, "en", now=0)
    second = outcome.explanation_page(decided, "en", now=outcome.SECONDS_PER_PAGE)
    assert (first.number, second.number) == (1, 2)
    assert len(first.lines) == outcome.LINES_PER_PAGE
    assert first.lines != second.lines
    total = len(outcome.explanation_lines(decided, "en"))
    assert first.count == -(-total // outcome.LINES_PER_PAGE)


def test_live_standings_order_by_support_then_the_engines_tie_order(conn):
    projects = store.list_projects(conn, DEMO_ROUND_ID)[:3]
    a, b, c = projects
    totals = {a.id: 5, b.id: 5, c.id: 9}
    ranked = decide.live_standings(projects, totals)
    assert ranked[0] == (c, 9)
    cheaper_first = sorted([a, b], key=lambda p: (p.cost, p.id))
    assert [p for p, _ in ranked[1:]] == cheaper_first
    assert Fraction(ranked[1][1]) == 5


def test_scores_and_thresholds_read_as_numbers_not_fractions(conn):
    decided = decide.decide_round(conn, DEMO_ROUND_ID)
    profile = decided.profile
    lowest = min(support.score for support in decided.tallies.values())
    threshold = lowest + Fraction(1, 2)
    greedy = selection_rule("greedy").run(profile, threshold=threshold)
    lines = outcome.explanation_lines(dataclasses.replace(decided, selection=greedy), "en")
    reasons = [line.reason for line in lines]
    assert f"below the minimum of {float(threshold):g}." in " ".join(reasons)
    assert not any(re.search(r"\d/\d", reason) for reason in reasons)


def test_after_close_the_projector_no_longer_invites_votes(open_page, conn):
    store.update_round(conn, DEMO_ROUND_ID, status="closed")
    app = open_page("pages/results.py", **ROUND)
    assert not app.exception
    page = html(app)
    assert "Scan to vote" not in page
    assert "data:image/svg+xml" not in page, "no QR code that opens the ballot"
    assert "/vote?round=" not in page
    assert shown_count(app) == store.ballot_count(conn, DEMO_ROUND_ID)
    assert "ballots counted" in page


def test_live_standings_say_how_many_they_show_and_page_through_all(open_page, conn):
    projects = store.list_projects(conn, DEMO_ROUND_ID)
    assert len(projects) > charts.STANDINGS_PER_PAGE
    app = open_page("pages/results.py", **ROUND)
    assert not app.exception
    (shown,) = re.findall(r"Projects (\d+)–(\d+) of (\d+)", html(app))
    first, last, total = map(int, shown)
    assert total == len(projects)
    assert (first - 1) % charts.STANDINGS_PER_PAGE == 0  # whichever page the timer is on
    assert last == min(first + charts.STANDINGS_PER_PAGE - 1, total)
    (standings,) = [c for c in app.get("plotly_chart") if c.key == "standings_chart"]
    assert '"y":' in standings.proto.spec
    bars = [charts.StandingBar(p.name, i) for i, p in enumerate(projects)]
    seen: list[str] = []
    pages = charts.standings_page(bars, now=0, seconds_per_page=outcome.SECONDS_PER_PAGE)
    for number in range(pages.count):
        page = charts.standings_page(
            bars, now=number * outcome.SECONDS_PER_PAGE, seconds_per_page=outcome.SECONDS_PER_PAGE
        )
        assert (page.number, page.total) == (number + 1, len(projects))
        assert page.last - page.first + 1 == len(page.bars)
        seen += [bar.label for bar in page.bars]
    assert seen == [p.name for p in projects], "every project is shown once, in order"
    assert pages.count > 1 and (pages.first, pages.last) == (1, charts.STANDINGS_PER_PAGE)


def test_standings_that_fit_are_shown_on_one_page():
    bars = [charts.StandingBar(f"Project {i}", i) for i in range(3)]
    page = charts.standings_page(bars, now=1000, seconds_per_page=outcome.SECONDS_PER_PAGE)
    assert (page.bars, page.count, page.first, page.last) == (tuple(bars), 1, 1, 3)


def test_published_results_offer_the_votes_and_the_command_that_recomputes_them(open_page, conn):
    store.update_round(conn, DEMO_ROUND_ID, status="closed")
    closed = open_page("pages/results.py", **ROUND)
    assert not closed.get("download_button")  # not before the results are published
    store.update_round(conn, DEMO_ROUND_ID, status="published")
    app = open_page("pages/results.py", **ROUND)
    assert not app.exception
    assert [b.proto.label for b in app.get("download_button")] == ["Download the votes (.pb)"]
    assert [c.value for c in app.code] == [
        f"python -m budgeting select {DEMO_ROUND_ID}-ballots.pb --rule recorded --json"
    ]


def chart(app, key: str) -> dict:
    (found,) = [c for c in app.get("plotly_chart") if c.key == key]
    return json.loads(found.proto.spec)["data"][0]


def test_the_live_view_is_the_rounds_own_rules_if_voting_closed_now(open_page, conn, monkeypatch):
    """Not an average: the round's allocation rule (independent markets) and selection rule
    (equal shares) over the ballots so far, with the funded projects marked."""
    monkeypatch.setattr(
        outcome, "SECONDS_PER_PAGE", 10**12
    )  # the most supported, whatever the time
    app = open_page("pages/results.py", **ROUND)
    assert not app.exception
    expected = decide.decide_round(conn, DEMO_ROUND_ID)
    allocation = chart(app, "allocation_chart")
    services = [s.id for s in expected.services]
    assert allocation["x"] == [float(expected.allocation.amounts[s]) for s in services]
    mean = store.projector_snapshot(conn, DEMO_ROUND_ID).mean_allocation
    assert allocation["x"] != [float(mean[s]) for s in services]
    by_name = {p.name: p.id for p in expected.projects}
    labels = [label.replace("<br>", " ") for label in chart(app, "standings_chart")["y"]]
    for label in labels:
        project_id = by_name[label.removeprefix("✓ ")]
        assert label.startswith("✓ ") == (project_id in expected.selection.selected)
    assert any(label.startswith("✓ ") for label in labels)
    assert any("If voting closed now" in m.value for m in app.markdown)


def test_live_decisions_are_worked_out_once_in_the_background(conn):
    decisions = live.LiveDecisions()
    count = store.ballot_count(conn, DEMO_ROUND_ID)
    first = decisions.latest(conn, DEMO_ROUND_ID, count, wait=30)
    assert first is not None and first.ballots == count
    assert decisions.latest(conn, DEMO_ROUND_ID, count) is first  # nothing new to work out
    store.submit_ballot(conn, DEMO_ROUND_ID, code="DEMO-0012", **a_valid_ballot(conn))
    stale = decisions.latest(conn, DEMO_ROUND_ID, count + 1)  # returns at once, old result
    assert stale is first
    for _ in range(300):
        newer = decisions.latest(conn, DEMO_ROUND_ID, count + 1)
        if newer is not first:
            break
        time.sleep(0.1)
    assert newer.ballots == count + 1
