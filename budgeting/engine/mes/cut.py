"""The cut bound: a whole stretch of ``add1`` steps certified without running them.

Source: the project's issue 12 (idea 1); the completions as defined by equalshares.net
("Completion" page) and Peters, Pierczyński & Skowron, "Proportional Participatory
Budgeting with Additive Utilities" (NeurIPS 2021): ``add1`` ends at the first step whose
outcome costs more than the budget, ``add1-exhaustive`` also at the first step whose
outcome is exhaustive (no unbought project with a supporter fits in the money left).

Take a stretch of amounts ``a <= x <= b`` and a set of purchases every amount of a
*branch* of it has made (``budgeting.engine.mes.envelope``), with ``high``: money per voter
at least what any of those amounts holds after them. Every later purchase at ``x`` is a
project affordable at ``x`` now (money only shrinks), hence affordable at ``high``: one of
``A``. Its supporters pay exactly its cost, and each voter pays at most what she holds now.
So what ``x`` buys from here is a flow from voters to projects of ``A``, and any cut bounds
it: for every ``P`` in ``A``,

    cost at x <= cost bought so far + sum of cost(p), p in A - P
                 + money at ``high`` of the voters supporting some p in P.

``P`` starts as ``A``; a project is left out when its cost is below the money only it
reaches (a greedy cut, not the least one). When the bound is within the budget no amount
of the branch is over it. With the exhaustive stop, a project not in ``A`` and not bought
is never bought in the branch; when the cheapest such one fits in the budget minus the
bound, no amount of the branch is exhaustive either. Then no amount of the branch ends the
scan.

The bound is taken in floating point and rounded up: ``high`` is itself a float bound and
float sums are within ``BOUND_MARGIN`` of exact ones, so inflating by it covers every
error. The decision is one-sided: a bound that does not clearly fit only means that the
branch is followed further.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from fractions import Fraction
from functools import reduce
from itertools import compress, repeat
from operator import lshift, mul, or_

from budgeting.engine.mes.election import _Election, _spent
from budgeting.engine.mes.money import _below

BOUND_MARGIN = 1e-9
"""Relative rounding allowance on float sums in the cut bound: a sum of ``n`` products
rounded to nearest is within ``(n + 1) 2^-53`` of its exact value, below this margin for
fewer than 9 million terms (ballot groups)."""


def _room_over_cut(
    full: _Election,
    election: _Election,
    high: list[float],
    bought: Collection[int],
    candidates: Collection[int],
    exhaustive_stop: bool,
) -> float:
    """What the budget leaves over the cut bound: at least 0 proves that no amount of a
    branch ends the scan; below 0 (rounded down), by how much the bound misses.

    ``high`` is each group's money per voter at least what any amount of the branch holds
    after buying ``bought`` (``budgeting.engine.mes.envelope``); ``candidates`` the projects
    not bought that some such amount may still afford (``A``, or more: any superset gives a
    bound). ``full`` is the election with every project (``election`` may leave out
    projects nobody can afford at the top of the stretch, which are never bought in it).
    Costs are exact; only the money term is a float (rounded up). Leaving every candidate
    out of ``P`` (the bound is then their cost, exact) is tried first.
    """
    room = election.budget - _spent(election, bought)
    if exhaustive_stop:
        kept = set(election.ids)
        never = [cost for pid, cost in zip(full.ids, full.costs, strict=True) if pid not in kept]
        never.extend(
            cost
            for project, cost in enumerate(election.costs)
            if project not in bought and project not in candidates
        )
        if not never:
            return -math.inf
        room -= min(never)
    every_cost = room - _spent(election, candidates)
    if every_cost >= 0:
        return float(every_cost)
    affordable = reduce(or_, map(lshift, repeat(1), candidates), 0)
    held = list(map(mul, high, election.group_sizes))
    reaches = list(map(affordable.__and__, election.group_masks))
    left_out, money = _cut(election, candidates, held, reaches)
    room -= left_out
    if money is None:
        return float(room) if room >= 0 else -math.inf
    return _below(room) - money * (1 + BOUND_MARGIN)


def _exhaustive(full: _Election, election: _Election, bought: Collection[int]) -> bool:
    """No project with a supporter outside ``bought`` fits in the money the outcome leaves.

    ``full`` is the election with every project (``election`` may leave some out).
    """
    left = full.budget - _spent(election, bought)
    chosen = set(map(election.ids.__getitem__, bought))
    return all(
        cost > left for pid, cost in zip(full.ids, full.costs, strict=True) if pid not in chosen
    )


def _ends_scan(
    full: _Election, election: _Election, bought: Collection[int], exhaustive_stop: bool
) -> tuple[bool, bool]:
    """Whether an outcome buying exactly ``bought`` ends the scan (over the budget, or
    exhaustive with the exhaustive stop), and whether it is over the budget."""
    if _spent(election, bought) > election.budget:
        return True, True
    return exhaustive_stop and _exhaustive(full, election, bought), False


def _cut(
    election: _Election, candidates: Collection[int], held: list[float], reaches: list[int]
) -> tuple[Fraction, float | None]:
    """A greedy cut: the cost of the projects out of ``P`` and the money reaching ``P``.

    ``held`` is each group's money, ``reaches`` the candidates it supports (a bit per
    project). ``P`` is every candidate but those whose cost is below the money of the
    voters who support no other candidate (those voters are disjoint from one such project
    to the next, so all are left out at once). The money is ``None`` when no voter reaches
    ``P``.
    """
    held_alone = list(map(mul, held, map((1).__eq__, map(int.bit_count, reaches))))
    left_out = Fraction(0)
    kept = 0
    for project in candidates:
        only_here = sum(map(held_alone.__getitem__, election.supporter_groups[project]))
        if election.costs[project] < only_here:
            left_out += election.costs[project]
        else:
            kept |= 1 << project
    # with none left out (every candidate costs more than 0), P is every candidate
    reaching = list(compress(held, map(kept.__and__, reaches) if left_out else reaches))
    return left_out, sum(reaching) if reaching else None
