"""Maximum utilitarian welfare: the best affordable set of projects, exactly.

Source: the utilitarian welfare maximiser of pabutools ("max_additive_utilitarian_welfare"
with cost satisfaction, pabutools.readthedocs.io, Rules); Talmon and Faliszewski, "A
Framework for Approval-Based Budgeting Methods" (AAAI 2019). With cost satisfaction a voter
enjoys the cost of every funded project she supports, so the welfare of a set of projects is
the sum over them of score × cost (approvals × cost for approval ballots; points × cost for
cumulative and ordinal ballots — the objective ``greedy`` approximates).

This is a 0/1 knapsack. It is solved exactly by depth-first branch and bound (Horowitz and
Sahni, "Computing partitions with applications to the knapsack problem", JACM 1974) over
integer-scaled costs and values: projects in greedy order (score, highest first), trying to
fund each before trying without it, and pruning with the linear-relaxation (Dantzig) bound.
No array the size of the budget is ever built.

Ties: among optimal sets, the first one met in that search order wins — the one that funds
the earliest possible project in greedy order, then the next, and so on (greedy order breaks
equal scores by ``budgeting.engine.ties``: lower cost, more supporters, project id).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from fractions import Fraction
from itertools import accumulate

from budgeting.engine.greedy import ranked_by_score, tally
from budgeting.engine.model import ProjectProfile, SelectionResult
from budgeting.engine.steps import WelfareStep


def max_welfare(profile: ProjectProfile) -> SelectionResult:
    """The affordable set of projects with the largest total score × cost."""
    tallies = tally(profile)
    items = [
        project for project in ranked_by_score(profile, tallies) if project.cost <= profile.budget
    ]
    scale = math.lcm(profile.budget.denominator, *(project.cost.denominator for project in items))
    value_scale = math.lcm(*(tallies[project.id].score.denominator for project in items))
    weights = [int(project.cost * scale) for project in items]
    values = [
        int(tallies[project.id].score * value_scale * project.cost * scale) for project in items
    ]
    chosen = _best_subset(weights, values, int(profile.budget * scale))
    selected = tuple(items[index].id for index in chosen)
    cost = sum((items[index].cost for index in chosen), Fraction(0))
    welfare = sum(
        (tallies[items[index].id].score * items[index].cost for index in chosen), Fraction(0)
    )
    steps = tuple(
        WelfareStep(
            kind="selected",
            project_id=items[index].id,
            score=tallies[items[index].id].score,
            supporters=tallies[items[index].id].supporters,
            cost=items[index].cost,
        )
        for index in chosen
    )
    return SelectionResult(
        rule="max-welfare",
        selected=selected,
        cost=cost,
        budget=profile.budget,
        steps=steps,
        details={"welfare": welfare},
    )


def _best_subset(weights: list[int], values: list[int], capacity: int) -> list[int]:
    """Indices of the first optimal subset in include-first depth-first order.

    Items must be sorted by value per weight, highest first (weightless items anywhere).
    """
    count = len(weights)
    prefix_weight = [0, *accumulate(weights)]
    prefix_value = [0, *accumulate(values)]

    def bound(index: int, room: int) -> int:
        """Largest value items ``index..`` can add within ``room`` (fractional relaxation)."""
        end = bisect_right(prefix_weight, prefix_weight[index] + room, lo=index) - 1
        gained = prefix_value[end] - prefix_value[index]
        if end < count:
            left = room - (prefix_weight[end] - prefix_weight[index])
            gained += left * values[end] // weights[end] if weights[end] else 0
        return gained

    best_value = -1
    best: list[int] = []
    taken: list[int] = []

    def search(index: int, room: int, value: int) -> None:
        nonlocal best_value, best
        if value + bound(index, room) <= best_value:
            return
        while index < count and weights[index] > room:
            index += 1
        if index == count:
            if value > best_value:
                best_value, best = value, list(taken)
            return
        taken.append(index)
        search(index + 1, room - weights[index], value + values[index])
        taken.pop()
        search(index + 1, room, value)

    search(0, capacity, 0)
    return best
