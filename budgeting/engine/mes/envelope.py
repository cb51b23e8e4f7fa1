"""The envelope certificate: a whole stretch of ``add1`` amounts run at once on money bounds.

Source: the project's issue 12 (idea 1, the stretch certificate, carried past a change of
order); the rule as in ``budgeting.engine.mes``.

Take a stretch of amounts ``a <= x <= b``. Buying one project is a monotone map of the
voters' money: with more money before, every share is smaller (``price``), so every voter
holds at least as much after (``m - min(m, share * score)``). So when every amount of the
stretch has made the same purchases and holds money between ``low`` and ``high`` (voter by
voter), after buying ``p`` it holds between ``p`` paid from ``low`` and ``p`` paid from
``high``; and its price per unit of utility for ``p`` lies between the price at ``high``
and the price at ``low``. Every amount buys a project whose price at ``high`` is at most
the least price at ``low`` (the *contenders*): one certain winner when there is a single
contender, otherwise one *branch* per contender. A project whose supporters all pay their
full share even at ``low`` has the same price at every amount (its cost over their score),
so such prices are compared exactly, ties going by the rule's tie order. Branches that
have bought the same set of projects are merged, taking the least ``low`` and the greatest
``high`` voter by voter (each amount of the stretch is in one of them). A branch ends when
the cut bound (``budgeting.engine.mes.cut``) proves that no amount in it ends the scan, or
when no project is affordable at ``high``: then its outcome is known exactly. The stretch
is certified when every branch ends that way; it is not when the branches grow past
``MOST_BRANCHES`` or some amount may end with a set of projects that ends the scan.

Money is in floating point and every bound is rounded outward: shares at ``high`` are
checked to be at most the exact share there and shares at ``low`` at least it (the
payments at the rounded share are summed again, within the float sum margin), and every
payment is rounded so that ``low`` stays below and ``high`` above the exact money. A check
that does not pass only means a branch more or a stretch not certified.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from fractions import Fraction
from itertools import compress, repeat
from operator import gt, lt, mul, not_, sub, truediv

from budgeting.engine.mes.cut import _ends_scan, _room_over_cut
from budgeting.engine.mes.election import Score, _Election
from budgeting.engine.mes.money import _above, _below
from budgeting.engine.mes.pricing import _scatter, _water_filled
from budgeting.engine.mes.run import _first_round_queue, _Queued

MOST_BRANCHES = 3
"""The most branches (distinct sets of projects bought so far) a certificate follows at
once; past this the stretch is not certified, and the scan tries a shorter one."""

CUT_FROM = 3
"""Rounds before the cut bound is first taken on a branch (then as ``_next_cut`` says)."""

CUT_EVERY = 4
"""The most rounds between two cut bounds taken on a branch."""

_UNIT_ROUNDING = 2.0**-53
"""The relative rounding of one float operation."""

_ROUNDING = 1e-12
"""Relative widening of each float price and share: far above the rounding of one division
or product (``2^-53``), far below any difference between prices that decides a round."""


@dataclass
class _Branch:
    """The amounts of a stretch that bought ``bought`` so far, and bounds on their money.

    ``low`` and ``high`` hold, group by group, at most and at least the money per voter of
    every such amount; ``queue`` holds a lower bound on each project's price (per unit of
    utility) that is valid for every such amount from here on (money only shrinks).
    """

    bought: frozenset[int]
    low: list[float]
    high: list[float]
    queue: list[_Queued]
    cut_at: int = CUT_FROM
    """The round at which the cut bound is next taken (``_next_cut``)."""
    last_cut: tuple[int, float] | None = None
    """The round of the last cut bound taken and what the budget left over it."""


@dataclass
class _Holdings:
    """What a project's supporters hold, as the float sums in ``_share`` need it.

    ``keys``: money per unit of score; ``held_by``: each group's money for the project
    (key times weight); ``error``: a bound on the float error of any sum of payments. Each
    term carries a few roundings (score, division, weight, product: at most 4 of ``2^-53``)
    and summing ``n`` terms adds at most ``n`` more, so ``(n + 8) 2^-52`` of the total
    bounds it.
    """

    keys: list[float]
    weights: list[Score]
    held_by: list[float]
    held: float
    cost: float
    error: float

    def paid_at(self, share: float) -> float:
        """``F(share) = sum(weight * min(key, share))``: the payments at that share."""
        rich = list(map(gt, self.keys, repeat(share)))
        return sum(compress(self.held_by, map(not_, rich))) + share * sum(
            compress(self.weights, rich)
        )


def _holdings(election: _Election, money: list[float], project: int) -> _Holdings:
    """What the project's supporters hold at ``money`` (``_Holdings``)."""
    groups, weights = election.supporter_groups[project], election.supporter_weights[project]
    keys = list(map(money.__getitem__, groups))
    if not election.unit_scores:
        keys = list(map(truediv, keys, election.supporter_scores[project]))
    cost = float(election.costs[project])
    held_by = list(map(mul, keys, weights))
    held = sum(held_by)
    error = (len(groups) + 8) * 2 * _UNIT_ROUNDING * (held + cost)
    return _Holdings(keys, weights, held_by, held, cost, error)


def _share(holdings: _Holdings, *, above: bool) -> float | None:
    """A project's share per unit of score, rounded down, or up (``above``).

    ``None`` when its supporters may not hold its cost (``above``) or surely do not. The
    share ``s`` is the least one whose payments ``F(s)`` (``_Holdings.paid_at``) reach the
    cost; it is found by water-filling from below (``pricing._water_filled``), then moved by
    a few times the float error of ``F`` over the weight that pays it in full, and checked:
    ``F`` short of the cost at a share means the exact one is above it; ``F`` at the cost
    means it is at most that share. A check that fails gives the bound 0 (below) or ``None``
    (above).
    """
    keys, weights, held_by = holdings.keys, holdings.weights, holdings.held_by
    held, cost, error = holdings.held, holdings.cost, holdings.error
    if held + error < cost or (above and held - error < cost):
        return None
    guess, _, rich_weight = _water_filled(keys, weights, held_by, held, cost, cost / sum(weights))
    moved = 4 * error / rich_weight if rich_weight else 0.0
    share = (guess + moved) * (1 + _ROUNDING) if above else (guess - moved) * (1 - _ROUNDING)
    paid = holdings.paid_at(share)
    if above:
        return share if paid - error >= cost else None
    return share if paid + error < cost else 0.0


def _slack(top: Fraction) -> float:
    """How far every payment is rounded in a stretch up to ``top`` per voter.

    A voter left with money pays at most what she holds, at most ``top``: the float
    product and difference are each within ``2^-53 top`` of their exact values, far below
    this (the scores do not enter: what is rounded is money per voter).
    """
    return 4 * _ROUNDING * float(top)


def _pay(
    election: _Election,
    money: list[float],
    project: int,
    share: float | None,
    slack: float,
    in_place: bool,
) -> list[float]:
    """``money`` after the project's supporters pay ``share`` per unit of score (or all
    they hold, when that is less), rounded down by ``slack`` (``slack < 0``: up).

    With every score 1, each supporter pays ``share + slack`` in one subtraction (the sum
    and the difference are each rounded, as the product and the difference are with other
    scores, within ``2^-53`` of the money of a supporter who can pay: the slack covers that
    many times over, ``_slack``). Supporters left below nothing (they could not pay it all)
    are then set to nothing.

    ``share`` ``None``: everyone pays all they hold (a bound below for a purchase whose
    price at this money is not known). ``in_place``: ``money`` itself is changed and returned.
    """
    groups = election.supporter_groups[project]
    after = money if in_place else list(money)
    if share is None:
        _scatter(after, groups, repeat(0.0))
        return after
    held = map(money.__getitem__, groups)
    if election.unit_scores:
        left = list(map(sub, held, repeat(share + slack)))
    else:
        paid = map(mul, repeat(share), election.supporter_scores[project])
        left = list(map(sub, map(sub, held, paid), repeat(slack)))
    _scatter(after, groups, left)
    if min(left, default=0.0) < 0:
        _scatter(after, compress(groups, map(gt, repeat(0.0), left)), repeat(0.0))
    return after


@dataclass
class _Contender:
    """A project that may win a branch's round: its shares at ``high`` and at ``low``, and
    what its supporters hold at ``low``."""

    project: int
    high_share: float
    low_share: float | None
    at_low: _Holdings


def _contenders(election: _Election, branch: _Branch) -> tuple[list[_Contender], bool]:
    """The projects some amount of the branch may buy next, and whether some may stop.

    A project is a contender when its price at ``high`` (its least) is at most the least
    price at ``low`` of any project (the winner's price at every amount is at most that).
    Projects come off the branch's lazy queue of lower bounds; every project looked at goes
    back with its price at ``high``, and those nobody can afford at ``high`` drop out for
    good. Some amount may stop buying when no project is surely affordable (at ``low``).
    """
    queue, bought = branch.queue, branch.bought
    ceiling = math.inf
    looked_at: list[_Queued] = []
    found: list[tuple[float, _Contender]] = []
    while queue and queue[0][0] <= ceiling:
        known, rank, project = heapq.heappop(queue)
        if project in bought:
            continue
        at_high = _holdings(election, branch.high, project)
        high_share = _share(at_high, above=False)
        if high_share is None:
            continue
        cost = at_high.cost
        least = max(known, high_share / cost * (1 - _ROUNDING))
        looked_at.append((least, rank, project))
        if least > ceiling:
            continue
        at_low = _holdings(election, branch.low, project)
        low_share = _share(at_low, above=True)
        if low_share is not None:
            ceiling = min(ceiling, low_share / cost * (1 + _ROUNDING))
        found.append((least, _Contender(project, high_share, low_share, at_low)))
    for entry in looked_at:
        heapq.heappush(queue, entry)
    contenders = [(least, contender) for least, contender in found if least <= ceiling]
    if len(contenders) > 1:
        return _untied(election, contenders), ceiling == math.inf
    return [contender for _, contender in contenders], ceiling == math.inf


def _nobody_poor(election: _Election, contender: _Contender) -> bool:
    """Whether every supporter holding the branch's ``low`` money (or more) pays the
    project's full share.

    Then the share is the cost over the supporters' total score at every such amount, and
    the price per unit of utility is exactly ``first_rho``.
    """
    project = contender.project
    first_share = float(election.costs[project] * election.first_rho[project])
    return min(contender.at_low.keys) > first_share * (1 + _ROUNDING)


def _untied(election: _Election, contenders: list[tuple[float, _Contender]]) -> list[_Contender]:
    """The contenders that may still win once exact prices and the tie order are compared.

    A project whose price is the same at every amount of the branch (``_nobody_poor``:
    ``first_rho``) beats every other such project with a higher price, or the same price
    and a later tie rank; and every project whose least price is above its price.
    """
    rank, first_rho = election.tie_rank, election.first_rho
    exact = {
        contender.project: first_rho[contender.project]
        for _, contender in contenders
        if _nobody_poor(election, contender)
    }
    if not exact:
        return [contender for _, contender in contenders]
    best = min(exact, key=lambda project: (exact[project], rank[project]))
    best_price = _above(exact[best])
    return [
        contender
        for least, contender in contenders
        if contender.project == best or (contender.project not in exact and least <= best_price)
    ]


def _merge(into: _Branch, other: _Branch) -> None:
    """Widen ``into`` to hold the amounts of ``other`` too (the same projects bought)."""
    everyone = range(len(into.low))
    lower = list(compress(everyone, map(lt, other.low, into.low)))
    _scatter(into.low, lower, map(other.low.__getitem__, lower))
    higher = list(compress(everyone, map(gt, other.high, into.high)))
    _scatter(into.high, higher, map(other.high.__getitem__, higher))
    least: dict[int, _Queued] = {}
    for entry in (*into.queue, *other.queue):
        if entry[2] not in least or entry < least[entry[2]]:
            least[entry[2]] = entry
    into.queue = list(least.values())
    heapq.heapify(into.queue)


def _stretch_certified(
    full: _Election, election: _Election, low: Fraction, high: Fraction, exhaustive_stop: bool
) -> bool:
    """Whether no amount from ``low`` to ``high`` per voter ends the ``add1`` scan.

    ``election`` may leave out projects nobody can afford up to ``high`` (never bought in
    the stretch); ``full`` has every project. See the module docstring.
    """
    groups = len(election.group_sizes)
    slack = _slack(high)
    queue = _first_round_queue(election, high)
    branches = [_Branch(frozenset(), [_below(low)] * groups, [_above(high)] * groups, queue)]
    rounds = 0
    while branches:
        following: dict[frozenset[int], _Branch] = {}
        for branch in branches:
            if rounds >= branch.cut_at:
                candidates = {project for _, _, project in branch.queue} - branch.bought
                room = _room_over_cut(
                    full, election, branch.high, branch.bought, candidates, exhaustive_stop
                )
                if room >= 0:
                    continue
                branch.cut_at = _next_cut(branch.last_cut, rounds, room)
                branch.last_cut = (rounds, room)
            contenders, may_stop = _contenders(election, branch)
            if may_stop and _ends_scan(full, election, branch.bought, exhaustive_stop)[0]:
                return False
            for number, contender in enumerate(contenders, 1):
                project, last = contender.project, number == len(contenders)
                bought = branch.bought | {project}
                child = _Branch(
                    bought,
                    _pay(election, branch.low, project, contender.low_share, slack, last),
                    _pay(election, branch.high, project, contender.high_share, -slack, last),
                    branch.queue if last else list(branch.queue),
                    branch.cut_at,
                    branch.last_cut,
                )
                if bought in following:
                    _merge(following[bought], child)
                else:
                    following[bought] = child
        if len(following) > MOST_BRANCHES:
            return False
        branches = list(following.values())
        rounds += 1
    return True


def _next_cut(last: tuple[int, float] | None, rounds: int, room: float) -> int:
    """The round to take the cut bound again after it missed by ``-room`` at ``rounds``.

    The bound falls as a branch buys; from how fast it fell since the ``last`` one, the next
    is taken about half way to where it would fit (at least the next round, at most
    ``CUT_EVERY`` rounds on; ``CUT_EVERY`` when it did not fall).
    """
    if last is None or last[1] >= room:
        return rounds + CUT_EVERY
    per_round = (room - last[1]) / (rounds - last[0])
    return rounds + max(1, min(CUT_EVERY, int(-room / per_round / 2)))
