"""The ``add1`` scans: raise every voter's money one unit at a time, skipping stretches.

The scans go by stretches of amounts ``a < b``. Along one order of purchases every voter's
money after each round grows with the starting amount, so every price falls: when a round's
winner at ``a`` is priced below every rival at ``b``, every amount in between makes that
purchase too. The run at ``b`` is certified round by round against the one at ``a``
(``_certified_run``), and right after the certified purchases a cut bound on what any
amount of the stretch can still spend proves, or fails to prove, that no step of the
stretch ends the scan (``budgeting.engine.mes.cut``). A proven stretch is skipped, and
after two in a row the next one is twice as long. A stretch not proven is halved while it
is longer than ``STRIDE``; otherwise every amount in it is run from the certified first
purchases (replayed, pricing only the known winner) with the prices at ``b`` as lower
bounds (``_Resume``). Runs leave out the projects nobody can afford up to the amount the
scan looks ahead to (``budgeting.engine.mes.election._restrict``).

A scan over a range of steps (``_scan_range``) starts from a run made from scratch at its
first step and reports the first step in it that ends the whole scan, so ranges can be
scanned apart and in any order (``budgeting.engine.mes.parallel``); ``_scan`` is one range
from step 0 in this process.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from budgeting.engine.mes.cut import _stretch_fits
from budgeting.engine.mes.election import _Election, _restrict
from budgeting.engine.mes.money import _above, _below, _Round, _Run, _start
from budgeting.engine.mes.pricing import _lower_bound, _pay, _price
from budgeting.engine.mes.run import _finish, _first_round_queue, _Queued, _Resume, _run, _spent

STRIDE = 2
"""Amounts per stretch after one the cut bound did not certify: up to this many, its steps
are run one by one from the certified first purchases; longer ones are halved first."""


LOOK_AHEAD = 16
"""Steps of one unit per voter the ``add1`` scans first look ahead when they leave out the
projects nobody can afford yet (``_restrict``); each new look goes twice as far."""


def _certified_run(
    full: _Election, election: _Election, follow: _Run, per_voter: Fraction, exhaustive_stop: bool
) -> tuple[_Run, _Resume, bool]:
    """The run at ``per_voter`` (above ``follow``'s amount), certified against ``follow``.

    Buys ``follow``'s projects in order for as long as each round's winner at ``follow``'s
    amount is priced below every rival's price (a lower bound) here, then runs on as usual.
    Along one order of purchases every voter's money after each round grows with the
    starting amount (a payment ``min(m, s * share)`` leaves ``max(0, m - s * share)``, and
    more money makes every share smaller), so every price falls: at an amount in between,
    the winner is priced at most its price at ``follow``'s amount and every rival at least
    its price here. Hence every amount in between makes the certified purchases first, and
    prices here are lower bounds for it after them: that is the returned ``_Resume``. The
    flag is the cut bound taken right after them (``budgeting.engine.mes.cut``): no amount
    in between, nor this one, ends the scan.
    """
    run = _start(election, per_voter)
    queue = _first_round_queue(election, per_voter)
    bought: set[int] = set()
    for target in follow.rounds:
        if not _rivals_priced_above(election, run, queue, bought, target):
            break
        priced = _price(election, run, target.project)
        if priced is None:  # pragma: no cover - more money never makes a purchase fail
            break
        bought.add(target.project)
        run.rounds.append(_pay(election, run, target.project, priced))
    resume = _Resume(list(run.order), list(queue))
    fits = _stretch_fits(full, election, run, bought, exhaustive_stop)
    _finish(election, run, queue, bought)
    return run, resume, fits


def _rivals_priced_above(
    election: _Election, run: _Run, queue: list[_Queued], bought: set[int], target: _Round
) -> bool:
    """Whether every project other than the target provably loses this round to it.

    Rivals looked at go back into the queue with their bound or price here, so the queue
    stays a valid lower-bound queue whatever the answer.
    """
    winner = (target.rho, election.tie_rank[target.project])
    ceiling = _above(target.rho)
    looked_at: list[_Queued] = []
    certified = True
    while queue and queue[0][0] <= ceiling:
        known, rank, project = heapq.heappop(queue)
        if project in bought:
            continue
        if project == target.project:
            looked_at.append((0.0, rank, project))
            continue
        bound = _lower_bound(election, run, project, target.rho)
        if bound is None:
            continue
        if bound > ceiling:
            looked_at.append((max(bound, known), rank, project))
            continue
        priced = _price(election, run, project)
        if priced is None:
            continue
        looked_at.append((_below(priced.rho), rank, project))
        if (priced.rho, rank) < winner:
            certified = False
            break
    for entry in looked_at:
        heapq.heappush(queue, entry)
    return certified


def _exhaustive(full: _Election, election: _Election, run: _Run) -> bool:
    """No project with a supporter that this run did not buy fits in the money left.

    ``full`` is the election with every project (``election`` may leave some out).
    """
    left = full.budget - _spent(election, run)
    bought = {election.ids[p] for p in run.order}
    return all(
        cost > left for pid, cost in zip(full.ids, full.costs, strict=True) if pid not in bought
    )


@dataclass
class _Reach:
    """The election the runs of a scan use, and how many steps it is valid for.

    ``election`` leaves out the projects nobody can afford up to ``steps`` steps above the
    equal share (``_restrict``); past them the scan looks ``span`` (doubled each time)
    further and, when that brings projects back, reruns with the wider election.
    """

    full: _Election
    start: Fraction
    election: _Election
    steps: int
    span: int


def _reach(full: _Election) -> _Reach:
    """A scan's first look ahead: ``LOOK_AHEAD`` steps."""
    start = full.budget / full.voters
    return _Reach(full, start, _restrict(full, start + LOOK_AHEAD), LOOK_AHEAD, LOOK_AHEAD)


def _widen(reach: _Reach, step: int) -> bool:
    """Make ``reach`` valid up to ``step``; whether its election changed (runs redone)."""
    if step <= reach.steps:
        return False
    reach.span *= 2
    reach.steps = step + reach.span
    wider = _restrict(reach.full, reach.start + reach.steps)
    if wider.ids == reach.election.ids:
        return False
    reach.election = wider
    return True


@dataclass
class _Scanned:
    """What a scan over a range of steps found.

    ``end`` is the first step in the range that ends the whole scan (its outcome costs more
    than the budget, ``over``; or, with the exhaustive stop, it is exhaustive), ``None``
    when no step does. ``outcome`` is the run at the step the scan then keeps (the one
    before ``end`` when over, ``end`` when exhaustive, the range's last step when ``end``
    is ``None``), on ``election``; ``None`` when that step is before the range.
    ``abandoned``: the scan stopped early because ``stop`` said the rest no longer matters.
    """

    end: int | None
    over: bool
    election: _Election
    outcome: _Run | None
    runs: int
    abandoned: bool = False


def _scan_range(
    reach: _Reach,
    first: int,
    last: int,
    exhaustive_stop: bool,
    stop: Callable[[], int] | None = None,
) -> _Scanned:
    """The ``add1`` steps ``first`` to ``last``: the first that ends the scan (``_Scanned``).

    The run at ``first`` is made from scratch; then the range goes by stretches: the run
    at a stretch's far end is certified against the current one (``_certified_run``); a
    stretch whose cut bound fits is skipped whole (after two in a row, the next is twice as
    long); one that does not is halved down to ``STRIDE`` amounts, then every amount in it
    is run from the certified prefix of purchases (``_Resume``), in order. ``stop`` (for
    scans spread over processes) gives a step from which on nothing matters any more: the
    range is abandoned once it gets there.
    """
    full, start = reach.full, reach.start
    _widen(reach, first)
    election = reach.election
    current = _run(election, start + first)
    runs = 1
    if first and _spent(election, current) > election.budget:
        return _Scanned(first, True, election, None, runs)
    if exhaustive_stop and _exhaustive(full, election, current):
        return _Scanned(first, False, election, current, runs)
    steps, stride, streak = first, 1, 0
    while steps < last:
        if stop is not None and steps >= stop():
            return _Scanned(None, False, election, None, runs, abandoned=True)
        stride = min(stride, last - steps)
        if _widen(reach, steps + stride):
            election, current = reach.election, _run(reach.election, start + steps)
            runs += 1
        end = steps + stride
        far, resume, fits = _certified_run(full, election, current, start + end, exhaustive_stop)
        runs += 1
        if fits:
            streak += 1
            current, steps = far, end
            if streak > 1:
                stride *= 2
            continue
        streak = 0
        if stride > STRIDE:
            stride //= 2
            continue
        for step in range(steps + 1, end + 1):
            if step == end:
                following = far
            else:
                following = _run(election, start + step, resume)
                runs += 1
            if _spent(election, following) > election.budget:
                return _Scanned(step, True, election, current, runs)
            current, steps = following, step
            if exhaustive_stop and _exhaustive(full, election, current):
                return _Scanned(step, False, election, current, runs)
        stride = STRIDE
    return _Scanned(None, False, election, current, runs)


def _kept_step(end: int | None, over: bool, last: int) -> int:
    """The step a scan keeps: before the first over-budget step, at the first exhaustive
    one, else the last step."""
    if end is None:
        return last
    return end - 1 if over else end


def _last_step(full: _Election) -> int:
    """The last step of an ``add1`` scan (pabutools stops raising at ``(voters + 1) * budget``)."""
    return int(full.budget)


def _scan(full: _Election, exhaustive_stop: bool) -> tuple[_Election, _Run, int, int]:
    """Raise every voter's money by one unit at a time: ``(election, outcome, steps, runs)``.

    Keeps the last run within the budget (with ``exhaustive_stop``: stops at the first
    exhaustive one), scanning every step in this process (``_scan_range`` from step 0).
    Runs use the election without the projects nobody can afford up to the amount the scan
    has looked ahead to (``_restrict``, the returned election).
    """
    last = _last_step(full)
    scanned = _scan_range(_reach(full), 0, last, exhaustive_stop)
    assert scanned.outcome is not None  # step 0 is never over the budget
    return (
        scanned.election,
        scanned.outcome,
        _kept_step(scanned.end, scanned.over, last),
        scanned.runs,
    )
