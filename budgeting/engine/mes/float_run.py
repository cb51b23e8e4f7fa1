"""A run in floating point with a proven error bound; the exact run decides what it cannot.

Source: the project's issue 12 (idea 2, float runs with an exact fallback); the rule as in
``budgeting.engine.mes``. The ``add1`` scans need only what a step's run buys, not its
exact prices, so they run each step in floats first (``_float_run``): no money nodes and no
exact shares, about 30 % less time a run than the exact run (``run._run``) on Warszawa
Mokotów and Amsterdam, 20 % on Warszawa 2026 (``bench/mes_scan.py``).

``_FloatRun.error`` bounds the total, over all voters, of how far each one's float money is
from the exact money (so also any one voter's error). It starts at one rounding of the
starting amount per voter. A purchase sets the poor to exactly nothing (their error leaves
with them) and charges the rich the float share, which is off by what the poor's errors and
the round's roundings (every float sum, product and division within ``2^-53`` relative,
``_UNIT``) put into it, over the weight of the rich: so between them the rich take on at
most the poor's error plus those roundings, and each subtraction rounds once. The total
grows by the roundings only, however many voters run out of money.

A decision is taken in floats only when it holds for every money within the bound:

- a project is affordable, or not, when its supporters' money is clear of its cost;
- the split between the poor and the rich is the exact one when every poor supporter holds
  clearly less than the share and every rich one clearly more (then the exact share is the
  float one within its error: water-filling has one answer);
- one price beats another when their error intervals do not meet; a project whose
  supporters all pay their full share has the exact price ``1 / weight``, so two such
  compare exactly, ties going by the rule's tie order, as in the exact run;
- lower bounds (``pricing._lower_bound``) allow for money off by ``_Run.margin``: the bound
  is kept at most a quarter of it.

Anything closer ends the float run with ``None``, and the caller runs the step exactly: a
near-tie costs one float run more, never a different outcome. Only elections where every
score is 1 are run in floats (cost utilities on approvals); others always run exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import compress, repeat
from operator import mul, not_, sub

from budgeting.engine.mes.election import _Election
from budgeting.engine.mes.money import _live_supporters, _Run, _start
from budgeting.engine.mes.pricing import _scatter, _water_filled
from budgeting.engine.mes.run import _cheapest, _first_round_queue

_UNIT = 2.0**-53
"""The relative rounding of one float operation."""

FLOAT_MARGIN = 1e-5
"""A float run's ``_Run.margin`` relative to the starting amount: how far the lower bounds
(``pricing._lower_bound``) allow each voter's float money to be from the exact money. Far
above the error bound of a run (under ``2e-7`` of the starting amount after 50 purchases
over 51,000 ballot groups on Warszawa 2026), far below any difference of money that decides
a round."""

ERROR_IN_MARGIN = 0.25
"""The most the error bound may reach, as a share of the margin, before the run stops and
the step is run exactly."""


class _TooClose(Exception):
    """A decision of a float run lies within its error bound."""


@dataclass
class _FloatPriced:
    """A project's price per unit of utility in floats, within ``error`` of the exact one.

    ``share``: per unit of score; ``poor``: the supporters who pay all they hold; ``voters``:
    the supporters' number; ``rounding``: what the round's roundings may add to the total
    error (``_FloatRun.error``). ``weight``: when nobody is poor, the supporters' weight (the
    exact price is then ``1 / weight``); else ``None``.
    """

    rho: float
    error: float
    share: float
    poor: list[int]
    voters: int
    rounding: float
    weight: int | None

    @property
    def floor(self) -> float:
        """A float at most the exact price."""
        return max(0.0, math.nextafter(self.rho - self.error, -math.inf))

    @property
    def ceiling(self) -> float:
        """A float at least the exact price."""
        return math.nextafter(self.rho + self.error, math.inf)

    def before(self, rank: int, other: _FloatPriced, other_rank: int) -> bool:
        """Whether this price, with tie rank ``rank``, wins over ``other`` (the lower price,
        then the lower tie rank); ``_TooClose`` when the error bounds cannot tell."""
        if self.weight is not None and other.weight is not None:
            if self.weight != other.weight:
                return self.weight > other.weight
            return rank < other_rank
        if self.ceiling < other.floor:
            return True
        if self.floor > other.ceiling:
            return False
        raise _TooClose


@dataclass
class _FloatRun(_Run):
    """A float run's state: the voters' money as in ``_Run`` (whose money nodes it leaves
    unused); ``error``: a bound on the total, over all voters, of how far each one's float
    money is from the exact money (so also on any one voter's); ``top``: the most money a
    voter holds (the starting amount)."""

    error: float = 0.0
    top: float = 0.0


def _float_price(election: _Election, run: _FloatRun, project: int) -> _FloatPriced | None:
    """The project's price in floats (``_FloatPriced``), ``None`` when it is unaffordable;
    ``_TooClose`` when either is not certain. Water-filling as in ``pricing._price``
    (``pricing._water_filled``).

    Any sum of the supporters' money is off by at most the run's total error plus its
    roundings (``rounding``: each product and addition within ``2^-53`` of the sum); the
    share, by that over the weight of the rich.
    """
    groups, weights, _ = _live_supporters(election, run, project)
    if not groups:
        return None
    cost = float(election.costs[project])
    keys = list(map(run.money.__getitem__, groups))
    held_by = list(map(mul, keys, weights))
    held = sum(held_by)
    voters = int(sum(weights))  # every score 1: weights are numbers of voters
    rounding = 2 * (len(groups) + 4) * _UNIT * (held + cost)
    money_error = run.error + rounding
    if held + money_error < cost:
        return None
    if held - money_error < cost:
        raise _TooClose
    guess = cost / voters
    if min(keys) - run.error > guess * (1 + 8 * _UNIT):  # the cost and guess rounded
        rho = 1 / voters
        return _FloatPriced(rho, 4 * _UNIT * rho, guess, [], voters, 4 * _UNIT * cost, voters)
    _, rich, rich_weight = _water_filled(keys, weights, held_by, held, cost, guess)
    if not rich_weight:
        raise _TooClose
    poor_mask = list(map(not_, rich))
    share = (cost - sum(compress(held_by, poor_mask))) / rich_weight
    share_error = money_error / rich_weight
    richest_poor = max(compress(keys, poor_mask), default=-math.inf)
    poorest_rich = min(compress(keys, rich))
    if (
        richest_poor + run.error >= share - share_error
        or poorest_rich - run.error <= share + share_error
    ):
        raise _TooClose
    rho = share / cost
    error = (share_error + 4 * _UNIT * share) / cost
    poor = list(compress(groups, poor_mask))
    return _FloatPriced(rho, error, share, poor, voters, rounding, None)


def _float_pay(election: _Election, run: _FloatRun, project: int, priced: _FloatPriced) -> None:
    """Charge the supporters in floats: the poor pay all they hold (left with nothing, as
    in the exact run, so with no error), the rest the share.

    The rich pay between them what the poor's error and the round's roundings put into the
    share, and each subtraction rounds once: the total error grows by ``rounding`` and one
    rounding per voter charged, whatever the poor's error was (it leaves with them).
    ``_TooClose`` when it outgrows ``ERROR_IN_MARGIN``.
    """
    groups, _, _ = _live_supporters(election, run, project)
    money = run.money
    _scatter(money, groups, map(sub, map(money.__getitem__, groups), repeat(priced.share)))
    for group in priced.poor:
        money[group] = 0.0
        run.alive[group] = 0
    run.deaths += len(priced.poor)
    run.error += priced.rounding + priced.voters * _UNIT * run.top
    if run.error > ERROR_IN_MARGIN * run.margin:
        raise _TooClose


def _float_run(
    election: _Election, per_voter: Fraction, likely: Sequence[int] = ()
) -> tuple[int, ...] | None:
    """What a run starting every voter with ``per_voter`` buys, in order, found in floats;
    ``None`` when some decision lies within the error bound (or some score is not 1: the
    scans do not try those elections in floats): then only the exact run (``run._run``) can
    tell. ``likely`` as in ``run._run``."""
    if not election.unit_scores:
        return None
    top = float(per_voter)
    start_error = election.voters * _UNIT * top  # each voter's float(per_voter) rounded
    run = _FloatRun(**vars(_start(election, per_voter)), error=start_error, top=top)
    run.margin = FLOAT_MARGIN * top
    queue = _first_round_queue(election, per_voter)
    bought: set[int] = set()
    order: list[int] = []
    try:
        while (
            purchase := _cheapest(election, run, queue, bought, likely, _float_price)
        ) is not None:
            project, priced = purchase
            bought.add(project)
            order.append(project)
            _float_pay(election, run, project, priced)
    except _TooClose:
        return None
    return tuple(order)
