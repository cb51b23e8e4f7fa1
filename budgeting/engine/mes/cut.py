"""The cut bound: a whole stretch of ``add1`` steps certified without running them.

Source: the project's issue 12 (idea 1); the completions as defined by equalshares.net
("Completion" page) and Peters, Pierczyński & Skowron, "Proportional Participatory
Budgeting with Additive Utilities" (NeurIPS 2021): ``add1`` ends at the first step whose
outcome costs more than the budget, ``add1-exhaustive`` also at the first step whose
outcome is exhaustive (no unbought project with a supporter fits in the money left).

Take a stretch of amounts ``a < b`` and the first ``s`` purchases every amount in it makes
(certified by ``budgeting.engine.mes.scan._certified_run``). Along that prefix every
voter's money grows with the starting amount, so after it a voter holds at any amount
``x`` of the stretch at most what she holds at ``b``. Every later purchase at ``x`` is a
project affordable at ``x`` after the prefix (money only shrinks), hence affordable at
``b`` after it: one of ``A``. Its supporters pay exactly its cost, and each voter pays at
most what she holds after the prefix. So what ``x`` buys after the prefix is a flow from
voters to projects of ``A``, and any cut bounds it: for every ``P`` in ``A``,

    cost at x <= cost of the prefix + sum of cost(p), p in A - P
                 + money at b of the voters supporting some p in P.

``P`` starts as ``A``; a project is left out when its cost is below the money only it
reaches (a greedy cut, not the least one). When the bound is within the budget no step of
the stretch is over it. With the exhaustive stop, a project not in ``A`` and not in the
prefix is never bought in the stretch; when the cheapest such one fits in the budget minus
the bound, no step of the stretch is exhaustive either. Then no step of the stretch ends
the scan, and it is skipped.

The bound is taken in floating point and rounded up: float money is within
``RELATIVE_MARGIN`` of the starting amount of the exact money (``money``), each float cost
and product is rounded once, and ``math.fsum`` rounds a sum once, so inflating the sum by
``BOUND_MARGIN`` and adding the margin per voter covers every error. The decision is
one-sided: a bound that does not clearly fit only means the stretch is not skipped.
"""

from __future__ import annotations

import math
from operator import mul

from budgeting.engine.mes.election import _Election
from budgeting.engine.mes.money import RELATIVE_MARGIN, _below, _live_supporters, _Run
from budgeting.engine.mes.run import _spent

BOUND_MARGIN = 1e-9
"""Relative rounding allowance on the float cut bound (a handful of roundings of 2^-53)."""


def _stretch_fits(
    full: _Election, election: _Election, run: _Run, bought: set[int], exhaustive_stop: bool
) -> bool:
    """Whether the cut bound proves that no step of the stretch ends the scan.

    ``run`` is the run at the top of the stretch right after the certified prefix
    (``bought``); ``full`` the election with every project (``election`` may leave out
    projects nobody can afford up to the top, which are never bought in the stretch).
    """
    money, sizes = run.money, election.group_sizes
    per_voter_slack = RELATIVE_MARGIN * float(run.per_voter)
    kept = set(election.ids)
    never = [float(c) for pid, c in zip(full.ids, full.costs, strict=True) if pid not in kept]
    affordable: list[tuple[int, list[int]]] = []
    for project, cost in enumerate(election.costs):
        if project in bought:
            continue
        groups = _live_supporters(election, run, project)[0]
        held = math.fsum(map(mul, map(money.__getitem__, groups), map(sizes.__getitem__, groups)))
        voters = sum(map(sizes.__getitem__, groups))
        if (held + voters * per_voter_slack) * (1 + BOUND_MARGIN) < _below(cost):
            never.append(float(cost))
        else:
            affordable.append((project, groups))
    left_out = _cut(election, run, affordable)
    room = election.budget - _spent(election, run)
    bound = (left_out + election.voters * per_voter_slack) * (1 + BOUND_MARGIN)
    if exhaustive_stop:
        if not never:
            return False
        bound += min(never) * (1 + BOUND_MARGIN)
    return bound <= _below(room)


def _cut(election: _Election, run: _Run, affordable: list[tuple[int, list[int]]]) -> float:
    """A greedy cut: ``sum of cost(p), p out of P`` plus the money of the voters reaching P.

    Starts with every affordable project in ``P`` and takes out, cheapest first, each
    project whose cost is below the money of the voters who reach no other project of ``P``.
    """
    money, sizes, costs = run.money, election.group_sizes, election.costs
    reaching = [0] * len(sizes)
    for _, groups in affordable:
        for group in groups:
            reaching[group] += 1
    out: list[float] = []
    for project, groups in sorted(affordable, key=lambda entry: costs[entry[0]]):
        only_here = math.fsum(money[g] * sizes[g] for g in groups if reaching[g] == 1)
        cost = float(costs[project])
        if cost < only_here:
            out.append(cost)
            for group in groups:
                reaching[group] -= 1
    held = math.fsum(money[g] * sizes[g] for g, count in enumerate(reaching) if count)
    return math.fsum(out) + held
