"""A project's price per unit of utility in one round, and the supporters' payments.

A candidate that loses is re-queued with a floating-point lower bound (``_lower_bound``:
one Newton step on the concave payments, no exact arithmetic), and only a candidate that
would win is priced exactly (``_price``): the poor are found by water-filling in floating
point, and the split is kept when every supporter is further than the proven error margin
from the share (``RELATIVE_MARGIN``), otherwise it is found exactly (``_exact_price``).
``_pay`` charges the supporters, moving each paying group to a child money node.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import compress, count, repeat
from operator import gt, mul, not_, sub, truediv
from typing import TypeVar

from budgeting.engine.mes.election import Score, _Election
from budgeting.engine.mes.money import (
    RELATIVE_MARGIN,
    _above,
    _below,
    _exact_money,
    _live_supporters,
    _node_money,
    _Round,
    _Run,
)

_Value = TypeVar("_Value")


@dataclass
class _Priced:
    """A project's price: ``share`` per unit of score, ``rho = share / cost``; who is poor."""

    rho: Fraction
    share: Fraction
    poor: set[int]
    poor_money: Fraction
    emptied: set[int]
    """Supporters who pay their full share and are left with exactly nothing."""

    @property
    def floor(self) -> float:
        """A float at most ``rho``."""
        return _below(self.rho)

    @property
    def ceiling(self) -> float:
        """A float at least ``rho``."""
        return _above(self.rho)

    def before(self, rank: int, other: _Priced, other_rank: int) -> bool:
        """Whether this price, with tie rank ``rank``, wins over ``other`` (the rule's order:
        the lower price, then the lower tie rank)."""
        return (self.rho, rank) < (other.rho, other_rank)


def _lower_bound(
    election: _Election, run: _Run, project: int, threshold: Fraction | float
) -> float | None:
    """A floating-point lower bound on the project's ``rho``; ``None`` when unaffordable.

    No exact arithmetic and no sorting: losing candidates only need a bound above the
    ``threshold`` (the price they must beat). Payments at share ``x`` per unit of score,
    ``F(x) = sum(weight * min(money per unit of score, x))``, are concave and never
    decrease in ``x``, and the exact share ``x*`` is the least ``x`` with ``F(x) = cost``.
    From ``x0`` (the threshold's share) with ``F(x0) < cost``, one Newton step
    ``x0 + (cost - F(x0)) / W`` stays at or below ``x*`` when ``W`` is at least the
    weight of supporters richer than ``x0`` (concavity: ``F(x*) <= F(x0) + W (x* - x0)``).
    ``F(x0)`` is taken as high and ``W`` as large as the float money error allows (the
    screening slack and margin, as in ``_price``: supporters within the margin below ``x0``
    count as rich and are charged ``x0``). When ``F(x0)`` may reach the cost the
    bound is 0 (always valid) and the caller prices the project exactly. Supporters who
    ran out of money are not pruned here: they hold 0 and add nothing.
    """
    groups, weights = run.supporters[project], run.weights[project]
    if not groups:
        return None
    cost = float(election.costs[project])
    keys = list(map(run.money.__getitem__, groups))
    if not election.unit_scores:
        keys = list(map(truediv, keys, run.scores[project]))
    held_by: list[float] = list(map(mul, keys, weights))
    held = sum(held_by)
    slack = run.margin * election.supporters[project] + RELATIVE_MARGIN * (held + cost)
    if held < cost - slack:
        return None
    start = float(threshold) * cost
    rich = list(map(gt, keys, repeat(start - run.margin)))
    richer = sum(compress(weights, rich))
    paid = held - sum(compress(held_by, rich)) + start * richer  # the rich pay x0 each
    if paid + slack >= cost:
        return 0.0
    if not richer:  # every supporter holds at most x0: all they hold is below the cost
        return None
    return (start + (cost - paid - slack) / richer) / cost * (1 - 1e-12)


def _water_filled(
    keys: list[float],
    weights: Sequence[Score],
    held_by: list[float],
    held: float,
    cost: float,
    guess: float,
) -> tuple[float, list[bool], Score]:
    """Water-filling from below in floats: the share, who is rich at it, and their weight.

    Supporters hold ``keys`` per unit of score (``held_by``: times their weight, ``held``
    in all). Everyone at or below the ``guess`` is poor and pays all they hold, the rest
    pay the share that makes the payments reach ``cost``; the share is recomputed until
    nobody more is poor (Newton's method on the concave payments, so each guess stays below
    the share). Callers check the split, or the payments at the share, against their own
    error bounds.
    """
    rich = list(map(gt, keys, repeat(guess)))
    rich_weight = sum(compress(weights, rich))
    while rich_weight:
        guess = (cost - held + sum(compress(held_by, rich))) / rich_weight
        richer = list(map(gt, keys, repeat(guess)))
        richer_weight = sum(compress(weights, richer))
        if richer_weight >= rich_weight:
            break
        rich, rich_weight = richer, richer_weight
    return guess, rich, rich_weight


def _price(election: _Election, run: _Run, project: int) -> _Priced | None:
    """The project's exact price, or ``None`` when its supporters cannot afford it.

    A supporter with money ``m`` and score ``s`` pays ``min(m, share * s)``; the share makes
    the payments add up to the cost. Poor supporters (``m < share * s``) pay all they have,
    so ``share = (cost - money of the poor) / (score weight of the rest)``. The poor are
    found with floating-point money by water-filling from below: guess the share, call
    everyone at or below it poor, recompute the share, until nobody more is poor (Newton's
    method on the concave payments, so each guess stays below the share). The split is
    accepted only when every supporter is further than the screening margin from the exact
    share; otherwise the exact money of every supporter decides.
    """
    groups, weights, scores = _live_supporters(election, run, project)
    if not groups:
        return None
    cost = election.costs[project]
    sizes = election.group_sizes
    margin = run.margin
    keys = list(map(run.money.__getitem__, groups))
    if scores is not None:
        keys = list(map(truediv, keys, scores))
    total_weight = sum(weights)
    held_by = list(map(mul, keys, weights))
    held = sum(held_by)
    slack = margin * sum(map(sizes.__getitem__, groups)) + RELATIVE_MARGIN * (held + float(cost))
    if held < float(cost) - slack:
        return None
    if held <= float(cost) + slack and _exact_money(election, run, groups) < cost:
        return None
    guess = float(cost) / total_weight
    if min(keys) > guess * (1 + 1e-12) + margin:
        share = cost / total_weight
        return _Priced(share / cost, share, set(), Fraction(0), set())
    _, rich, rich_weight = _water_filled(keys, weights, held_by, held, float(cost), guess)
    if not rich_weight:
        return _exact_price(election, run, project, groups, weights)
    poor_mask = list(map(not_, rich))
    poor = list(compress(groups, poor_mask))
    poor_money = _exact_money(election, run, poor)
    share = (cost - poor_money) / rich_weight
    approximate = float(share)
    richest_poor = max(compress(keys, poor_mask), default=-math.inf)
    poorest_rich = min(compress(keys, rich))
    if (
        richest_poor < approximate * (1 - 1e-12) - margin
        and poorest_rich > approximate * (1 + 1e-12) + margin
    ):
        return _Priced(share / cost, share, set(poor), poor_money, set())
    return _exact_price(election, run, project, groups, weights)


def _exact_price(
    election: _Election, run: _Run, project: int, groups: list[int], weights: list[Score]
) -> _Priced:
    """``_price`` in exact arithmetic only (near ties of money and share)."""
    cost = election.costs[project]
    sizes, node = election.group_sizes, run.node
    held = [_node_money(run, node[g]) * sizes[g] for g in groups]
    order = sorted(range(len(groups)), key=lambda i: held[i] / weights[i])
    remaining = cost
    weight = sum(weights)
    poor: set[int] = set()
    for position in order:
        if remaining * weights[position] <= held[position] * weight:
            break
        poor.add(groups[position])
        remaining -= held[position]
        weight -= weights[position]
    share = remaining / weight
    emptied = {
        g
        for g, money, w in zip(groups, held, weights, strict=True)
        if g not in poor and money == share * w
    }
    return _Priced(share / cost, share, poor, cost - remaining, emptied)


def _scatter(values: list[_Value], positions: Iterable[int], new: Iterable[_Value]) -> None:
    """``values[position] = value`` for each pair, in C (``list.__setitem__`` mapped)."""
    deque(map(values.__setitem__, positions, new), maxlen=0)


def _pay(election: _Election, run: _Run, project: int, priced: _Priced) -> _Round:
    """Charge the supporters: the poor pay all they have, the rest their full share.

    Paying groups move from their money node to its child for this round, created once per
    distinct node with one floating-point subtraction (exact values follow lazily).
    """
    groups, _, scores = _live_supporters(election, run, project)
    share = priced.share
    money, alive, node = run.money, run.alive, run.node
    denominators = run.denominators
    common = math.lcm(denominators[-1], share.denominator)
    made_in = len(denominators)
    denominators.append(common)
    run.scaled_shares.append(share.numerator * (common // share.denominator))
    share_float = float(share)
    befores: list[int] = list(map(node.__getitem__, groups))
    first = len(run.node_float)
    # A new node per distinct (old node, score) pair; with unit scores the old node alone.
    paid: Iterable[float]
    if scores is None:
        parents = list(dict.fromkeys(befores))
        run.node_parent.extend(parents)
        run.node_score.extend(repeat(1, len(parents)))
        paid = repeat(share_float)
        children = dict(zip(parents, count(first), strict=False))
        afters = list(map(children.__getitem__, befores))
    else:
        scored_befores = list(zip(befores, scores, strict=True))
        distinct = list(dict.fromkeys(scored_befores))
        parents = [parent for parent, _ in distinct]
        node_scores = [score for _, score in distinct]
        run.node_parent.extend(parents)
        run.node_score.extend(node_scores)
        paid = map(mul, repeat(share_float), node_scores)
        scored_children = dict(zip(distinct, count(first), strict=False))
        afters = list(map(scored_children.__getitem__, scored_befores))
    run.node_generation.extend(repeat(made_in, len(parents)))
    node_float = run.node_float
    node_float.extend(map(sub, map(node_float.__getitem__, parents), paid))
    _scatter(node, groups, afters)
    _scatter(money, groups, map(node_float.__getitem__, afters))
    poor, emptied = priced.poor, priced.emptied
    for group in poor | emptied:
        money[group] = 0.0
        alive[group] = 0
    run.deaths += len(poor) + len(emptied)
    sizes = election.group_sizes
    ran_out = sum(map(sizes.__getitem__, poor))
    paid_in_full = sum(map(sizes.__getitem__, groups)) - ran_out
    return _Round(project, priced.rho, paid_in_full, ran_out, priced.poor_money, poor)
