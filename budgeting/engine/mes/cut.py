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
``RELATIVE_MARGIN`` of the starting amount of the exact money (``money``) and float sums
are within ``BOUND_MARGIN`` of exact ones, so inflating by it and adding the margin per
voter covers every error. The decision is one-sided: a bound that does not clearly fit
only means that the stretch is not skipped, and its steps are run.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from itertools import chain, compress
from operator import mul

from budgeting.engine.mes.election import _Election
from budgeting.engine.mes.money import RELATIVE_MARGIN, _below, _Run
from budgeting.engine.mes.run import _spent

BOUND_MARGIN = 1e-9
"""Relative rounding allowance on float sums in the cut bound: a sum of ``n`` products
rounded to nearest is within ``(n + 1) 2^-53`` of its exact value, below this margin for
fewer than 9 million terms (ballot groups)."""


def _stretch_fits(
    full: _Election, election: _Election, run: _Run, bought: set[int], exhaustive_stop: bool
) -> bool:
    """Whether the cut bound proves that no step of the stretch ends the scan.

    ``run`` is the run at the top of the stretch right after the certified prefix
    (``bought``); ``full`` the election with every project (``election`` may leave out
    projects nobody can afford up to the top, which are never bought in the stretch).
    Costs are exact; only the money term is a float (rounded up), so a stretch with nothing
    left to buy is decided exactly. Supporters who ran out of money hold 0 and need no
    pruning.
    """
    held = list(map(mul, run.money, election.group_sizes))
    voter_slack = RELATIVE_MARGIN * float(run.per_voter)
    kept = set(election.ids)
    never = [cost for pid, cost in zip(full.ids, full.costs, strict=True) if pid not in kept]
    affordable: list[tuple[Fraction, list[int]]] = []
    for project, cost in enumerate(election.costs):
        if project in bought:
            continue
        groups = run.supporters[project]
        most = sum(map(held.__getitem__, groups)) + election.supporters[project] * voter_slack
        if most * (1 + BOUND_MARGIN) < _below(cost):
            never.append(cost)
        else:
            affordable.append((cost, groups))
    left_out, money = _cut(held, affordable)
    room = election.budget - _spent(election, run) - left_out
    if exhaustive_stop:
        if not never:
            return False
        room -= min(never)
    if money is None:
        return room >= 0
    return (money + election.voters * voter_slack) * (1 + BOUND_MARGIN) <= _below(room)


def _cut(
    held: list[float], affordable: list[tuple[Fraction, list[int]]]
) -> tuple[Fraction, float | None]:
    """A greedy cut: the cost of the projects out of ``P`` and the money reaching ``P``.

    ``held`` is each group's money. ``P`` is every affordable project but those whose cost
    is below the money of the voters who reach no other affordable project (those voters
    are disjoint from one such project to the next, so all are left out at once). The money
    is ``None`` when no voter reaches ``P``.
    """
    reaching = Counter(chain.from_iterable(groups for _, groups in affordable))
    counts = list(map(reaching.__getitem__, range(len(held))))
    left_out = Fraction(0)
    dropped: list[list[int]] = []
    for cost, groups in affordable:
        only_here = map((1).__eq__, map(counts.__getitem__, groups))
        if cost < sum(compress(map(held.__getitem__, groups), only_here)):
            left_out += cost
            dropped.append(groups)
    reaching.subtract(chain.from_iterable(dropped))
    still = list(map((0).__lt__, map(reaching.__getitem__, range(len(held)))))
    return left_out, sum(compress(held, still)) if any(still) else None
