"""The officers' review: figures from a round built in a DuckDB file, checked against counts
made by hand here, every registered rule compared, and small groups suppressed so that no
group of fewer than 10 ballots is shown or can be worked out from the total."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from budgeting import store
from budgeting.engine.registry import rules, selection_rule
from budgeting.results import decide
from budgeting.results.review import Review, review, review_round, suppressed_cells

SERVICE_BUDGET = 1000
PROJECT_BUDGET = 100
COSTS = {"A": 60, "B": 50, "C": 40}

# (area as the ballot carries it, age band, channel, day of March, parks amount, projects)
# North: 30 ballots (some name the area by its name), South: 12, East: 9, no area: 0.
SPEC: list[tuple[str | None, str | None, str, int, int, tuple[str, ...]]] = [
    *[("north", "25-34", "web", 1, 600, ("A",))] * 10,
    *[("North", "35-49", "web", 2, 500, ("A", "B"))] * 10,
    *[("north", "65+", "paper", 2, 300, ("B",))] * 10,
    *[("south", "35-49", "web", 3, 200, ("C",))] * 8,
    *[("South ", "25-34", "paper", 5, 400, ())] * 4,
    *[("east", "16-24", "web", 5, 800, ("A", "C"))] * 9,
]
AREAS = [("north", "North", 400), ("south", "South", 200), ("east", "East", 50)]


@pytest.fixture
def conn(tmp_path: Path):
    connection = store.connect(str(tmp_path / "x.duckdb"))
    yield connection
    connection.close()


def make_round(conn, round_id: str = "review-test", **settings: object) -> str:
    """An open approval round with two services, projects A, B, C and three areas."""
    store.create_round(
        conn,
        id=round_id,
        name="Review test",
        service_budget=SERVICE_BUDGET,
        project_budget=PROJECT_BUDGET,
        code_mode="open",
        **{"selection_rule": "greedy", "allocation_rule": "mean", **settings},
    )
    store.replace_services(
        conn,
        round_id,
        [
            {"id": sid, "name": sid.title(), "floor": 0, "ceiling": SERVICE_BUDGET}
            for sid in ("parks", "roads")
        ],
    )
    store.replace_projects(
        conn,
        round_id,
        [{"id": pid, "name": f"Project {pid}", "cost": cost} for pid, cost in COSTS.items()],
    )
    store.replace_areas(
        conn,
        round_id,
        [{"id": aid, "name": name, "population": people} for aid, name, people in AREAS],
    )
    store.update_round(conn, round_id, status="open")
    return round_id


def vote(conn, round_id: str, spec=SPEC) -> None:
    for area, age_band, channel, day, parks, projects in spec:
        store.submit_ballot(
            conn,
            round_id,
            allocation={"parks": parks, "roads": SERVICE_BUDGET - parks},
            project_scores=dict.fromkeys(projects, 1),
            channel=channel,
            area=area,
            age_band=age_band,
            submitted_at=datetime(2027, 3, day, 12, 0),
        )


@pytest.fixture
def reviewed(conn) -> Review:
    round_id = make_round(conn)
    vote(conn, round_id)
    return review_round(conn, round_id)


def area_id(written: str | None) -> str | None:
    """The area a ballot names, matched by hand: id or name, any case, spaces ignored."""
    if written is None:
        return None
    for aid, name, _ in AREAS:
        if written.strip().lower() in (aid, name.lower()):
            return aid
    return written


def test_turnout_over_time_counts_ballots_per_day_and_in_all(reviewed: Review) -> None:
    per_day = Counter(day for _, _, _, day, _, _ in SPEC)
    assert [(d.day, d.ballots) for d in reviewed.by_day] == [
        (date(2027, 3, day), per_day[day]) for day in range(1, 6)
    ]
    assert reviewed.by_day[3].ballots == 0  # 4 March: nobody voted, still on the chart
    assert [d.cumulative for d in reviewed.by_day] == [10, 30, 38, 38, 51]
    assert reviewed.ballots == len(SPEC) == 51


def test_turnout_by_area_is_read_against_population_and_small_areas_are_suppressed(
    reviewed: Review,
) -> None:
    groups = {g.key: g for g in reviewed.by_area.groups}
    assert list(groups) == ["north", "south", "east"]  # the round's areas, in its order
    north = groups["north"]
    assert north.ballots == sum(1 for spec in SPEC if area_id(spec[0]) == "north") == 30
    assert north.turnout == Fraction(30, 400)
    assert north.population == 400
    # East has 9 ballots: suppressed. South (12) is the only other group that could be
    # worked out from the total (51 − 30 = 21 = South + East), so it is suppressed too.
    for key in ("east", "south"):
        group = groups[key]
        assert group.suppressed
        assert group.ballots is None and group.turnout is None
        assert group.mean_allocation is None and group.project_support is None
        assert group.population is not None  # the population is public; the count is not
    assert reviewed.population == 650
    assert reviewed.turnout == Fraction(51, 650)


def test_breakdowns_by_age_band_and_channel_match_counts_by_hand(reviewed: Review) -> None:
    ages = Counter(spec[1] for spec in SPEC)
    assert ages == {"25-34": 14, "35-49": 18, "65+": 10, "16-24": 9}
    by_age = {g.key: g for g in reviewed.by_age_band.groups}
    assert list(by_age) == ["16-24", "25-34", "35-49", "65+"]
    # 16-24 has 9: suppressed, and with it the next smallest, 65+ (10), so the two
    # together (19) are all the total minus the others reveals.
    assert {k for k, g in by_age.items() if g.suppressed} == {"16-24", "65+"}
    assert by_age["25-34"].ballots == 14 and by_age["35-49"].ballots == 18

    channels = Counter(spec[2] for spec in SPEC)
    by_channel = {g.key: g for g in reviewed.by_channel.groups}
    assert {k: g.ballots for k, g in by_channel.items()} == channels == {"web": 37, "paper": 14}

    web = [spec for spec in SPEC if spec[2] == "web"]
    mean_parks = Fraction(sum(spec[4] for spec in web), len(web))
    assert by_channel["web"].mean_allocation == {
        "parks": mean_parks,
        "roads": SERVICE_BUDGET - mean_parks,
    }
    support = Counter(pid for spec in web for pid in spec[5])
    assert by_channel["web"].project_support == support == {"A": 29, "B": 10, "C": 17}


def test_every_allocation_rule_splits_the_services_and_the_rounds_own_is_marked(
    reviewed: Review,
) -> None:
    compared = reviewed.allocation
    assert [o.rule_id for o in compared.outcomes] == [r.id for r in rules("allocation")]
    assert [o.rule_id for o in compared.outcomes if o.own] == ["mean"]
    mean = next(o for o in compared.outcomes if o.rule_id == "mean")
    parks = Fraction(sum(spec[4] for spec in SPEC), len(SPEC))
    assert mean.amounts == {"parks": parks, "roads": SERVICE_BUDGET - parks}
    for outcome in compared.outcomes:
        assert outcome.problem is None
        assert sum(outcome.amounts.values()) == SERVICE_BUDGET


def test_every_selection_rule_is_compared_with_money_and_voters_served(
    conn, reviewed: Review
) -> None:
    compared = reviewed.selection
    assert [o.rule_id for o in compared.outcomes] == [r.id for r in rules("selection")]
    assert [o.rule_id for o in compared.outcomes if o.own] == ["greedy"]
    chose = [set(spec[5]) for spec in SPEC if spec[5]]
    assert compared.voters == len(chose) == 47

    # Greedy by hand: A has 29 votes, B 20, C 17; A (60) fits, B (50) does not, C (40) does.
    greedy = next(o for o in compared.outcomes if o.rule_id == "greedy")
    assert greedy.selected == ("A", "C")
    assert greedy.spent == 100
    served = sum(1 for c in chose if c & {"A", "C"})  # all but the 10 who chose only B
    assert greedy.with_funded_choice == served == 37
    assert compared.share_with_funded_choice(greedy) == Fraction(37, 47)

    voting_round = store.get_round(conn, "review-test")
    profile = decide.project_profile(
        voting_round,
        store.list_projects(conn, "review-test"),
        [b.project_scores for b in store.current_ballots(conn, "review-test")],
    )
    funded_sets = []
    for outcome in compared.outcomes:
        rule = selection_rule(outcome.rule_id)
        assert outcome.skipped is None
        assert outcome.options == decide.selection_options(voting_round, rule)
        assert outcome.selected == rule.run(profile, **outcome.options).selected
        assert outcome.spent == sum(COSTS[p] for p in outcome.selected)
        assert outcome.with_funded_choice == sum(1 for c in chose if c & set(outcome.selected))
        funded_sets.append(set(outcome.selected))
    differing = set.union(*funded_sets) - set.intersection(*funded_sets)
    assert set(compared.differing) == differing


def test_equal_shares_is_run_with_the_rounds_completion(conn) -> None:
    round_id = make_round(conn, selection_rule="mes", completion="add1")
    vote(conn, round_id)
    outcomes = {o.rule_id: o for o in review_round(conn, round_id).selection.outcomes}
    assert outcomes["mes"].own and outcomes["mes"].options == {"completion": "add1"}
    assert outcomes["greedy"].options == {}


def test_rules_that_do_not_read_the_ballots_are_left_out_with_the_reason(conn) -> None:
    round_id = make_round(conn, ballot_format="points", max_points=3)
    vote(conn, round_id, [(None, None, "web", 1, 500, ("A",))] * 12)
    compared = review_round(conn, round_id).selection
    assert [o.rule_id for o in compared.outcomes] == [r.id for r in rules("selection")]
    skipped = {o.rule_id: o.skipped for o in compared.outcomes if o.skipped}
    for rule in rules("selection"):
        if "cumulative" not in rule.ballot_kinds:
            assert rule.id in skipped and "cumulative" in skipped[rule.id]
    assert "phragmen" in skipped
    assert all(o.selected == () for o in compared.outcomes if o.skipped)


def test_a_ballot_with_no_area_is_a_group_of_its_own_and_suppressed_when_small(conn) -> None:
    round_id = make_round(conn)
    vote(conn, round_id, [("north", "25-34", "web", 1, 500, ("A",))] * 20)
    vote(conn, round_id, [(None, None, "web", 1, 500, ("A",))] * 3)
    areas = store.list_areas(conn, round_id)
    store.replace_areas(conn, round_id, [])  # before the areas were set, or after a change
    vote(conn, round_id, [("Elsewhere", "25-34", "web", 1, 500, ("A",))] * 11)
    store.replace_areas(conn, round_id, areas)
    by_area = {g.key: g for g in review_round(conn, round_id).by_area.groups}
    assert list(by_area) == ["north", "south", "east", "Elsewhere", None]
    # South and East have no ballot (0 < 10), nor does "not stated" have 10: together
    # 3 ballots, so the next smallest, Elsewhere (11), is suppressed as well.
    assert {k for k, g in by_area.items() if g.suppressed} == {"south", "east", None, "Elsewhere"}
    assert by_area["north"].ballots == 20


def test_a_round_without_ballots_shows_no_group(conn) -> None:
    round_id = make_round(conn)
    reviewed = review_round(conn, round_id)
    assert reviewed.ballots == 0 and reviewed.by_day == ()
    assert all(g.suppressed for g in reviewed.by_area.groups)
    assert reviewed.by_age_band.groups == () and reviewed.by_channel.groups == ()
    assert reviewed.selection.voters == 0
    assert reviewed.selection.share_with_funded_choice(reviewed.selection.outcomes[0]) is None


def test_review_of_unknown_round_is_a_store_error(conn) -> None:
    with pytest.raises(store.StoreError, match="no round 'nowhere'"):
        review_round(conn, "nowhere")


@pytest.mark.parametrize(
    ("counts", "hidden"),
    [
        ({"a": 50, "b": 40, "c": 30}, set()),
        ({"a": 50, "b": 9}, {"a", "b"}),  # two cells: either gives the other away
        ({"a": 50, "b": 40, "c": 9}, {"b", "c"}),
        ({"a": 50, "b": 5, "c": 6}, {"b", "c"}),  # 5 + 6 = 11: neither can be told apart
        ({"a": 50, "b": 5, "c": 3, "d": 20}, {"b", "c", "d"}),  # 5 + 3 < 10: add d
        ({"a": 3, "b": 4}, {"a", "b"}),  # fewer than 10 in all: nothing can be shown
        ({"a": 0, "b": 30, "c": 30}, {"a", "b"}),  # equal counts: the first in table order
        ({}, set()),
    ],
)
def test_suppression_examples(counts: dict[str, int], hidden: set[str]) -> None:
    assert suppressed_cells(counts) == hidden


@given(
    st.dictionaries(st.integers(0, 30), st.integers(0, 60), max_size=10),
    st.integers(1, 20),
)
@example({0: 9, 1: 100, 2: 100}, 10)
@example({0: 9}, 10)
def test_suppressed_cells_never_reveal_a_small_group(counts: dict[int, int], k: int) -> None:
    """The invariant ``suppressed_cells`` guarantees: (1) every cell under k is suppressed;
    (2) nothing is suppressed, or at least two cells are and together they have at least
    k, or every cell is and together they have fewer than k; (3) no cell shown is smaller
    than a cell suppressed."""
    hidden = suppressed_cells(counts, k)
    assert hidden <= counts.keys()
    assert {key for key, count in counts.items() if count < k} <= hidden
    hidden_total = sum(counts[key] for key in hidden)
    assert (
        not hidden
        or (len(hidden) >= 2 and hidden_total >= k)
        or (hidden == counts.keys() and hidden_total < k)
    )
    shown = [counts[key] for key in counts.keys() - hidden]
    if hidden and shown:
        assert min(shown) >= max(counts[key] for key in hidden)
    # Not derivable: with the total and the shown cells known, what is left is the sum
    # of the suppressed cells, never one cell alone (unless the table has one cell,
    # which is the total itself).
    assert len(hidden) != 1 or len(counts) == 1


def test_the_page_figures_need_no_database() -> None:
    """``review`` works on plain store values: the same figures from ballots in memory."""
    voting_round = store.Round(
        id="r", name="R", service_budget=Fraction(10), project_budget=Fraction(5)
    )
    services = [store.Service(id="s", round_id="r", name="S", ceiling=Fraction(10))]
    projects = [store.Project(id="p", round_id="r", name="P", cost=Fraction(5))]
    ballots = [
        store.StoredBallot(
            id=i,
            round_id="r",
            receipt=str(i),
            channel="web",
            submitted_at=datetime(2027, 3, 1),
            code_hash=None,
            area=None,
            age_band=None,
            allocation={"s": Fraction(10)},
            project_scores={"p": 1},
        )
        for i in range(12)
    ]
    reviewed = review(voting_round, services, projects, [], ballots)
    (channel,) = reviewed.by_channel.groups
    assert channel.ballots == 12 and channel.mean_allocation == {"s": 10}
    assert channel.project_support == {"p": 12}
