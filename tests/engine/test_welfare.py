"""Maximum welfare: the exact optimum, compared with brute force, and its tie rule."""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from budgeting.engine.greedy import tally
from budgeting.engine.model import ProjectProfile
from budgeting.engine.welfare import max_welfare
from tests.conftest import make_profile


def brute_force_welfare(profile: ProjectProfile) -> Fraction:
    scores = {pid: entry.score for pid, entry in tally(profile).items()}
    best = Fraction(0)
    for size in range(len(profile.projects) + 1):
        for subset in itertools.combinations(profile.projects, size):
            if sum(p.cost for p in subset) <= profile.budget:
                best = max(best, sum((scores[p.id] * p.cost for p in subset), Fraction(0)))
    return best


@settings(max_examples=150, deadline=None)
@given(
    costs=st.lists(st.integers(0, 40), min_size=1, max_size=8),
    budget=st.integers(0, 120),
    votes=st.lists(st.lists(st.integers(0, 7), max_size=4), max_size=12),
    points=st.booleans(),
)
def test_matches_brute_force(
    costs: list[int], budget: int, votes: list[list[int]], points: bool
) -> None:
    ids = {f"p{k}": cost for k, cost in enumerate(costs)}
    ballots_ids = [[f"p{k}" for k in dict.fromkeys(v) if k < len(costs)] for v in votes]
    if points:
        ballots = [{pid: rank + 1 for rank, pid in enumerate(b)} for b in ballots_ids]
        profile = make_profile(budget, ids, ballots, vote_type="cumulative")
    else:
        profile = make_profile(budget, ids, ballots_ids)
    result = max_welfare(profile)
    assert result.cost <= profile.budget
    assert result.details["welfare"] == brute_force_welfare(profile)


def test_beats_greedy_when_greedy_wastes_money() -> None:
    profile = make_profile(10, {"a": 6, "b": 5, "c": 5}, [["a", "b", "c"]] * 2 + [["a"]])
    # greedy takes a (3 votes) and nothing else fits; b + c spend all 10 at 2 votes each.
    result = max_welfare(profile)
    assert sorted(result.selected) == ["b", "c"]
    assert result.details["welfare"] == 20


def test_ties_go_to_the_earliest_project_in_greedy_order() -> None:
    # {a} and {b} have equal welfare 6; a comes first in greedy order (equal votes, id).
    profile = make_profile(6, {"b": 6, "a": 6}, [["a", "b"]])
    assert max_welfare(profile).selected == ("a",)
    # Equal votes: lower cost first, so the cheaper pair wins over the tied dearer one.
    profile = make_profile(6, {"x": 6, "y": 3, "z": 3}, [["x", "y", "z"]])
    assert max_welfare(profile).selected == ("y", "z")


def test_decimal_costs_are_exact() -> None:
    profile = make_profile(
        Fraction("2.50"),
        {"a": Fraction("1.25"), "b": Fraction("1.26"), "c": Fraction("1.25")},
        [["a", "b", "c"]],
    )
    assert max_welfare(profile).selected == ("a", "c")
