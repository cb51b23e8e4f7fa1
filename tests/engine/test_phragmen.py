"""Sequential Phragmén: loads, stopping, zero support, ties, and voter grouping."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from budgeting.engine.model import ProjectProfile
from budgeting.engine.phragmen import phragmen
from tests.conftest import make_profile


def per_voter_phragmen(profile: ProjectProfile) -> list[str]:
    """Textbook sequential Phragmén, one voter at a time, for comparison."""
    loads = [Fraction(0)] * len(profile.ballots)
    remaining = [p for p in profile.projects if p.cost <= profile.budget]
    spent = Fraction(0)
    chosen: list[str] = []
    while remaining:
        best: tuple | None = None
        for project in remaining:
            backers = [i for i, b in enumerate(profile.ballots) if project.id in b.scores]
            if not backers:
                continue
            load = (sum(loads[i] for i in backers) + project.cost) / len(backers)
            key = (load, project.cost, -len(backers), project.id)
            if best is None or key < best[0]:
                best = (key, project, backers)
        if best is None:
            break
        (load, *_), project, backers = best
        if spent + project.cost > profile.budget:
            break
        for i in backers:
            loads[i] = load
        spent += project.cost
        chosen.append(project.id)
        remaining.remove(project)
    return chosen


def test_small_example_by_hand() -> None:
    # a: 2 supporters, cost 4 -> load 2; b: 1 supporter cost 1 -> load 1 (first);
    # then a: (0 + 0 + 4) / 2 = 2; c (supporter of b) : (1 + 3) / 1 = 4.
    profile = make_profile(20, {"a": 4, "b": 1, "c": 3}, [["a"], ["a", "b", "c"]])
    result = phragmen(profile)
    assert result.selected == ("b", "a", "c")
    assert [step.load for step in result.steps] == [1, Fraction(5, 2), Fraction(11, 2)]


def test_stops_at_the_first_project_that_does_not_fit() -> None:
    profile = make_profile(5, {"a": 2, "b": 4, "c": 1}, [["a"], ["a"], ["a"], ["b"], ["b"], ["c"]])
    # loads: a 2/3, c 1, b 2 -> a, c, then b (4) exceeds the 2 left by 2: stop.
    result = phragmen(profile)
    assert result.selected == ("a", "c")
    assert result.steps[-1].kind == "stopped_does_not_fit"
    assert result.steps[-1].project_id == "b"
    assert result.steps[-1].shortfall == 2


def test_projects_nobody_supports_only_while_all_of_them_fit() -> None:
    assert phragmen(make_profile(10, {"a": 5, "y": 2, "z": 3}, [["a"]])).selected == (
        "a",
        "y",
        "z",
    )
    # y and z are tied (no support); z no longer fits, so none is added.
    assert phragmen(make_profile(10, {"a": 6, "y": 2, "z": 5}, [["a"]])).selected == ("a",)


def test_equal_loads_prefer_lower_cost() -> None:
    profile = make_profile(100, {"b": 2, "a": 4}, [["a"], ["a"], ["b"]])
    assert phragmen(profile).selected == ("b", "a")


def test_needs_approval_ballots() -> None:
    profile = make_profile(10, {"a": 5}, [{"a": 3}], vote_type="cumulative")
    with pytest.raises(ValueError, match="approval"):
        phragmen(profile)


@pytest.mark.parametrize("seed", range(30))
def test_grouped_voters_give_the_textbook_result(seed: int) -> None:
    rng = random.Random(seed)
    ids = [f"p{k}" for k in range(rng.randint(2, 7))]
    costs = {pid: rng.randint(1, 30) for pid in ids}
    ballots = [rng.sample(ids, rng.randint(1, min(3, len(ids)))) for _ in range(rng.randint(1, 25))]
    profile = make_profile(rng.randint(10, 80), costs, ballots)
    expected = per_voter_phragmen(profile)
    assert list(phragmen(profile).selected[: len(expected)]) == expected


def test_votes_for_projects_not_in_the_profile_are_ignored() -> None:
    # As greedy and equal shares read them: a vote for "z" (no such project) neither
    # supports a project nor shares a load.
    with_unknown = make_profile(10, {"a": 4, "b": 3}, [["a", "z"], ["b", "z"], ["a"]])
    without = make_profile(10, {"a": 4, "b": 3}, [["a"], ["b"], ["a"]])
    assert phragmen(with_unknown) == phragmen(without)
