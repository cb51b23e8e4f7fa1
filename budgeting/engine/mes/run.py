"""One MES run: buy the cheapest project per unit of utility until none is affordable.

Prices are kept in a lazy priority queue with float keys: within a run a project's ``rho``
never decreases (money only shrinks), so a stale price is a lower bound and only the best
candidate needs re-pricing (``_cheapest``). Before the first purchase every price is known
without pricing (``_first_round_queue``). A run may be told the order in which a run at a
nearby amount bought (``likely``): each round then prices its guess at the purchase first,
so that when the guess is right the others need only be bounded against its price.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Protocol, Self, TypeVar

from budgeting.engine.mes.election import _affordable_at_start, _Election
from budgeting.engine.mes.money import _below, _Run, _start
from budgeting.engine.mes.pricing import _lower_bound, _pay, _price

_Queued = tuple[float, int, int]
"""A lazy-queue entry: a float lower bound on the project's ``rho``, its tie rank, the project."""


def _first_round_queue(election: _Election, per_voter: Fraction) -> list[_Queued]:
    """The lazy queue before the first purchase, with prices bounded without pricing.

    Every voter still holds ``per_voter``, so a project is affordable exactly when its
    ``n`` supporters hold its cost; unaffordable projects stay so all run (money only
    shrinks) and are left out. Payments at share ``x`` per unit of score are at most ``x``
    times the supporters' total score ``W``, so ``rho >= 1 / W``; with every score 1
    nobody is poor and ``rho = 1 / n`` exactly.
    """
    ranks, first_rho = election.tie_rank, election.first_rho
    queue = [(_below(first_rho[p]), ranks[p], p) for p in _affordable_at_start(election, per_voter)]
    heapq.heapify(queue)
    return queue


def _run(election: _Election, per_voter: Fraction, likely: Sequence[int] = ()) -> _Run:
    """One MES run starting every voter with ``per_voter``: buy the cheapest project per
    unit of utility until none is affordable (lazy queue).

    ``likely``: projects in the order a run at a nearby amount bought them, each round's
    guess its first project still in the queue (``_cheapest``); any guess, right or wrong,
    gives the same run."""
    run = _start(election, per_voter)
    queue = _first_round_queue(election, per_voter)
    bought: set[int] = set()
    while (purchase := _cheapest(election, run, queue, bought, likely, _price)) is not None:
        project, priced = purchase
        bought.add(project)
        run.rounds.append(_pay(election, run, project, priced))
    return run


class _Price(Protocol):
    """A project's price in one round as ``_cheapest`` compares it: exact (``pricing._Priced``)
    or a float with a proven error bound (``float_run._FloatPriced``)."""

    @property
    def rho(self) -> Fraction | float: ...

    @property
    def floor(self) -> float: ...

    @property
    def ceiling(self) -> float: ...

    def before(self, rank: int, other: Self, other_rank: int) -> bool: ...


_P = TypeVar("_P", bound=_Price)
_R = TypeVar("_R", bound=_Run)


def _cheapest(
    election: _Election,
    run: _R,
    queue: list[_Queued],
    bought: set[int],
    likely: Sequence[int],
    price: Callable[[_Election, _R, int], _P | None],
) -> tuple[int, _P] | None:
    """This round's purchase: the affordable project with the smallest ``(rho, tie rank)``.

    Candidates come off the lazy queue in order of their lower bounds. Until one is priced
    (``price``), a candidate is bounded against the next key in the queue and goes back if
    it provably loses to it; after that, against the best price so far. A candidate is
    priced only when its bound cannot show that it loses. Candidates looked at after the
    first price go back into the queue after the round, with their new bound or price, so
    each is looked at once per round; everything in the queue keeps a valid lower bound
    (within a run ``rho`` never decreases). Keys are floats: comparing prices is left to
    the few candidates that are priced (``_Price.before``). A float price may raise instead
    of deciding (``float_run._TooClose``), leaving the queue half taken: the float run that
    asked is then dropped whole.

    The first project of ``likely`` still in the queue (a guess at this round's purchase:
    not bought, not dropped as unaffordable) is taken out of the queue and priced first:
    when it is the purchase, every other candidate is bounded against its price at once,
    instead of against the next key until the purchase comes up. A wrong guess is one price
    more: it is then beaten, and goes back as any candidate looked at.
    """
    best: tuple[_P, int, int] | None = None  # the price, its tie rank, the project
    ceiling = math.inf  # at least the best price: a key above it cannot win
    looked_at: list[_Queued] = []
    guessed = _taken_out(queue, likely)
    if guessed is not None:
        _, rank, project = guessed
        priced = price(election, run, project)  # None: unaffordable from now on, dropped
        if priced is not None:
            best, ceiling = (priced, rank, project), priced.ceiling
    while queue and queue[0][0] <= ceiling:
        known, rank, project = heapq.heappop(queue)
        if project in bought:
            continue
        if best is not None:
            bound = _lower_bound(election, run, project, best[0].rho)
            if bound is None:
                continue
            if bound > ceiling:
                looked_at.append((max(bound, known), rank, project))
                continue
        elif queue:
            bound = _lower_bound(election, run, project, queue[0][0])
            if bound is None:
                continue
            if bound > queue[0][0]:
                heapq.heappush(queue, (max(bound, known), rank, project))
                continue
        priced = price(election, run, project)
        if priced is None:
            continue
        if best is None or priced.before(rank, best[0], best[1]):
            if best is not None:
                looked_at.append((best[0].floor, best[1], best[2]))
            best, ceiling = (priced, rank, project), priced.ceiling
        else:
            looked_at.append((priced.floor, rank, project))
    for entry in looked_at:
        heapq.heappush(queue, entry)
    return None if best is None else (best[2], best[0])


def _taken_out(queue: list[_Queued], likely: Sequence[int]) -> _Queued | None:
    """Take out of the queue the entry of the first project of ``likely`` it holds (it
    holds at most one per project); ``None`` when it holds none of them."""
    if not likely:
        return None
    position = {project: index for index, (_, _, project) in enumerate(queue)}
    for project in likely:
        index = position.get(project)
        if index is not None:
            entry = queue.pop(index)
            heapq.heapify(queue)
            return entry
    return None
