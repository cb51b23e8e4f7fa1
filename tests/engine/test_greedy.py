"""Greedy selection: order, skipping, thresholds, no-skip, ties and explanations."""

from __future__ import annotations

from fractions import Fraction

from budgeting.engine.greedy import greedy, greedy_cost, tally
from tests.conftest import make_profile


def test_funds_by_votes_and_skips_what_does_not_fit() -> None:
    profile = make_profile(
        10, {"a": 6, "b": 5, "c": 4}, [["a", "b"], ["a", "b"], ["a", "c"], ["b"]]
    )
    result = greedy(profile)
    assert result.selected == ("b", "c")  # b: 4 votes, a: 3 does not fit after b, c: 1
    assert result.cost == 9
    assert [(step.kind, step.project_id) for step in result.steps] == [
        ("selected", "b"),
        ("skipped_does_not_fit", "a"),
        ("selected", "c"),
    ]
    skipped = result.steps[1]
    assert skipped.cost == 6
    assert skipped.budget_left == 5
    assert skipped.shortfall == 1


def test_projects_nobody_supports_are_funded_when_they_fit() -> None:
    profile = make_profile(10, {"a": 5, "z": 3}, [["a"]])
    assert greedy(profile).selected == ("a", "z")
    assert greedy_cost(profile).selected == ("a", "z")


def test_equal_votes_prefer_lower_cost_then_id() -> None:
    profile = make_profile(5, {"b": 3, "a": 3, "c": 2}, [["a", "b", "c"]])
    result = greedy(profile)
    assert [step.project_id for step in result.steps] == ["c", "a", "b"]
    assert result.selected == ("c", "a")


def test_threshold_drops_low_scores_and_says_so() -> None:
    profile = make_profile(100, {"a": 10, "b": 10}, [["a", "b"], ["a"]])
    result = greedy(profile, threshold=Fraction(2))
    assert result.selected == ("a",)
    below = result.steps[1]
    assert (below.kind, below.project_id) == ("below_threshold", "b")
    assert below.score == 1
    assert below.threshold == 2


def test_no_skip_stops_at_the_first_project_that_does_not_fit() -> None:
    profile = make_profile(
        10, {"a": 6, "b": 5, "c": 4}, [["a", "b"], ["a", "b"], ["a", "c"], ["b"]]
    )
    result = greedy(profile, no_skip=True)
    assert result.selected == ("b",)
    assert [step.kind for step in result.steps] == [
        "selected",
        "stopped_no_skip",
        "not_reached_no_skip",
    ]


def test_cumulative_points_and_ordinal_positions_are_the_score() -> None:
    points = make_profile(
        10, {"a": 6, "b": 6}, [{"a": 1, "b": 5}, {"a": 3}], vote_type="cumulative"
    )
    assert tally(points)["b"].score == 5
    assert tally(points)["a"].supporters == 2
    assert greedy(points).selected == ("b",)


def test_greedy_cost_orders_by_supporters_per_unit_of_cost() -> None:
    profile = make_profile(
        10, {"big": 9, "small": 2, "mid": 4}, [["big", "small"], ["big", "mid"], ["big"]]
    )
    result = greedy_cost(profile)
    # big: 3/9, small: 1/2, mid: 1/4 -> small, big (does not fit after small? 2+9 > 10), mid
    assert [step.project_id for step in result.steps] == ["small", "big", "mid"]
    assert result.selected == ("small", "mid")
    assert result.rule == "greedy-cost"


def test_exact_decimal_costs() -> None:
    profile = make_profile(
        Fraction("10.01"), {"a": Fraction("5.005"), "b": Fraction("5.005")}, [["a"], ["b"]]
    )
    result = greedy(profile)
    assert result.selected == ("a", "b")
    assert result.cost == result.budget
