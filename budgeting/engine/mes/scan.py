"""The ``add1`` scans: raise every voter's money one unit at a time, skipping stretches.

The scans go by stretches of amounts ``a < b``. A stretch that the envelope certificate
(``budgeting.engine.mes.envelope``) proves holds no amount ending the scan is skipped
whole, and after two in a row the next one is twice as long. A stretch not certified is
halved down to ``CERTIFY_FROM`` steps; then the next steps are run one by one (runs from
scratch, in floats first: ``budgeting.engine.mes.float_run``) and checked, more of them
each time certificates keep failing. Runs and certificates leave out the projects nobody
can afford up to the amount the scan looks ahead to
(``budgeting.engine.mes.election._restrict``).

A scan over a range of steps (``_scan_range``) checks its first step with a run and
reports the first step in it that ends the whole scan, so ranges can be scanned apart and
in any order (``budgeting.engine.mes.parallel``); ``_scan`` is one range from step 0 in
this process.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NamedTuple

from budgeting.engine.mes.cut import _ends_scan
from budgeting.engine.mes.election import _Election, _first_affordable_left_out, _restrict
from budgeting.engine.mes.envelope import _stretch_certified
from budgeting.engine.mes.explain import _Explained, _explained
from budgeting.engine.mes.float_run import _float_run
from budgeting.engine.mes.money import _Purchases
from budgeting.engine.mes.run import _run

CERTIFY_FROM = 4
"""The fewest steps a stretch certificate is tried on: it costs about as much as running
two or three steps."""

MOST_RUN = 32
"""The most steps run one by one before a stretch certificate is tried again; the first
time ``CERTIFY_FROM``, then twice as many after each certificate in a row that fails."""

PROBE_FROM = 32
"""Stretches of at least this many steps have their last step run before they are
certified (so are all stretches after a certificate failed, until one passes): a stretch
whose last step ends the scan cannot be certified, and is halved at the cost of one run."""

LOOK_AHEAD = 4
"""Steps of one unit per voter the ``add1`` scans look ahead, past the step they need, when
they leave out the projects nobody can afford yet (``_restrict``). Always the same short
distance: every project kept makes every run dearer, and rebuilding the election costs
about one run. On a city of 1,000,000 ballots whose scan ends at step 31, 16 steps kept 52
projects and 119,000 ballot groups in its last runs, 4 steps 45 and 80,000, for two
rebuilds more (the rule 7.4 against 6.0 s; README, Scale); no pabulib file changed beyond
the noise. The election made is then used up to the step before the first project it
leaves out becomes affordable (``_valid_steps``), so it is rebuilt only when a run would
need a project it lacks."""


class _StepRun(NamedTuple):
    """A step's run as a scan keeps it: the election it ran on, what it bought in order,
    and, when it was run exactly, its purchases (``None`` for a float run)."""

    election: _Election
    order: tuple[int, ...]
    purchases: _Purchases | None


@dataclass
class _Reach:
    """The election the runs of a scan use, and how many steps it is valid for.

    ``election`` leaves out projects nobody can afford at the equal share plus ``steps``
    (``_restrict``, ``_valid_steps``); when a later step is needed, it is made again for
    that step plus ``LOOK_AHEAD`` (``_widen``). ``latest_runs``: the last two step runs
    (``_StepRun``: what each bought, the election it ran on, and its exact purchases when
    it was run exactly), by step; when the scan ends, the step it keeps is usually one of
    them.
    """

    full: _Election
    start: Fraction
    election: _Election
    steps: int
    latest_runs: dict[int, _StepRun] = field(default_factory=dict)


def _reach(full: _Election) -> _Reach:
    """A scan's first look ahead: ``LOOK_AHEAD`` steps."""
    start = full.budget / full.voters
    election = _restrict(full, start + LOOK_AHEAD)
    return _Reach(full, start, election, _valid_steps(full, start, election))


def _widen(reach: _Reach, step: int) -> None:
    """Make ``reach`` valid up to ``step``: when it is not, the election is made again for
    ``LOOK_AHEAD`` steps past it."""
    if step <= reach.steps:
        return
    reach.election = _restrict(reach.full, reach.start + step + LOOK_AHEAD)
    reach.steps = _valid_steps(reach.full, reach.start, reach.election)


def _valid_steps(full: _Election, start: Fraction, election: _Election) -> int:
    """The last step a restricted ``election`` serves: the step before the first project it
    leaves out becomes affordable (every step when it leaves none out)."""
    first = _first_affordable_left_out(full, election)
    return _last_step(full) if first is None else math.ceil(first - start) - 1


@dataclass
class _Scanned:
    """What a scan over a range of steps found.

    ``end`` is the first step in the range that ends the whole scan (its outcome costs more
    than the budget, ``over``; or, with the exhaustive stop, it is exhaustive), ``None``
    when no step does. ``runs``: the runs and stretch certificates made. ``abandoned``: the
    scan stopped early because ``stop`` said the rest no longer matters.
    """

    end: int | None
    over: bool
    runs: int
    abandoned: bool = False


def _step_ends(reach: _Reach, step: int, exhaustive_stop: bool) -> tuple[bool, bool, int]:
    """Run one step: whether it ends the scan, whether it is over the budget, and the runs
    made: the step is run in floats (``_float_run``, when every score is 1), and exactly
    only when that cannot tell (2 runs)."""
    _widen(reach, step)
    amount, likely = reach.start + step, _likely_order(reach)
    in_floats = reach.election.unit_scores  # the elections float runs take (``_float_run``)
    order = _float_run(reach.election, amount, likely) if in_floats else None
    purchases, runs = None, 1
    if order is None:
        purchases, runs = _run(reach.election, amount, likely).purchases, 2 if in_floats else 1
        order = purchases.order
    reach.latest_runs.pop(step, None)  # a step run again is the latest run
    reach.latest_runs[step] = _StepRun(reach.election, order, purchases)
    if len(reach.latest_runs) > 2:
        del reach.latest_runs[next(iter(reach.latest_runs))]
    return *_ends_scan(reach.full, reach.election, order, exhaustive_stop), runs


def _likely_order(reach: _Reach) -> list[int]:
    """What the scan's latest run bought, in order, as projects of the election the next
    run uses: a nearby amount's run usually buys the same, or much the same, in the same
    order (``_run``'s guesses)."""
    if not reach.latest_runs:
        return []
    election, order, _ = reach.latest_runs[next(reversed(reach.latest_runs))]
    if election is reach.election:
        return list(order)
    index = {project_id: project for project, project_id in enumerate(reach.election.ids)}
    return [index[election.ids[project]] for project in order if election.ids[project] in index]


def _scan_range(
    reach: _Reach,
    first: int,
    last: int,
    exhaustive_stop: bool,
    stop: Callable[[], int] | None = None,
    limit: Callable[[], int] | None = None,
    progress: Callable[[int], None] | None = None,
    first_stride: int = CERTIFY_FROM,
) -> _Scanned:
    """The ``add1`` steps ``first`` to ``last``: the first that ends the scan (``_Scanned``).

    The step ``first`` is run; then the range goes by stretches, the first ``first_stride``
    steps long (at least ``CERTIFY_FROM``): a stretch the envelope certifies is skipped
    whole (after two in a row, the next is twice as long); one it does not is halved, down
    to ``CERTIFY_FROM`` steps, and then the next steps are run one by one (``MOST_RUN``);
    long stretches, and every stretch after a certificate failed, have their last step run
    first (``PROBE_FROM``). ``stop`` (for scans spread over processes) gives a step from
    which on nothing matters any more: the range is abandoned once it gets there.
    ``limit`` gives the range's last step as it may shrink while it is scanned (another
    process took the steps after it): the range ends, with no step ending the scan, once it
    has got there. ``progress`` is told, as the range goes, the step up to which no step
    ends the scan.
    """
    ends, over, runs = _step_ends(reach, first, exhaustive_stop)
    if ends:
        return _Scanned(first, over, runs)
    steps, stride, streak = first, max(first_stride, CERTIFY_FROM), 0
    run_length = CERTIFY_FROM
    probing = False
    ending: tuple[int, bool] | None = None  # a step known to end the scan, and whether over
    fine: set[int] = set()  # steps run and known not to end it
    while steps < last:
        if progress is not None:
            progress(steps)
        # The step to stop at is read before the limit: the parent lowers a range's limit
        # before it hands the steps past it on, so a step ending the scan that was found
        # past the cut comes with the cut, and the range ends there rather than give up.
        stop_at = stop() if stop is not None else None
        if limit is not None:
            last = min(last, limit())
            if steps >= last:
                break
        if stop_at is not None and steps >= stop_at:
            return _Scanned(None, False, runs, abandoned=True)
        stride = min(stride, last - steps)
        # Near a step known to end the scan (found here, or by another process) a stretch
        # cannot be certified: run the steps.
        known_ends = ([ending[0]] if ending else []) + ([stop_at] if stop_at is not None else [])
        close = any(end - steps <= 2 * CERTIFY_FROM for end in known_ends)
        if stride >= CERTIFY_FROM and not close:
            end = steps + stride
            _widen(reach, end)
            if (probing or stride >= PROBE_FROM) and end not in fine:
                ends, over, made = _step_ends(reach, end, exhaustive_stop)
                runs += made
                if ends:
                    ending, last, stride, probing = (end, over), end, stride // 2, True
                    continue
                fine.add(end)
            runs += 1
            if _stretch_certified(
                reach.full, reach.election, reach.start + steps, reach.start + end, exhaustive_stop
            ):
                steps, streak, run_length, probing = end, streak + 1, CERTIFY_FROM, False
                if streak > 1:
                    stride *= 2
                continue
            streak, stride, probing = 0, stride // 2, True
            if stride >= CERTIFY_FROM:
                continue
        for step in range(steps + 1, min(steps + run_length, last) + 1):
            stop_at = stop() if stop is not None else None  # before the limit, as above
            if limit is not None and step > limit():
                break
            if stop_at is not None and step >= stop_at:
                return _Scanned(None, False, runs, abandoned=True)
            if ending is not None and step == ending[0]:
                return _Scanned(step, ending[1], runs)
            if step in fine:
                steps = step
                continue
            ends, over, made = _step_ends(reach, step, exhaustive_stop)
            runs += made
            if ends:
                return _Scanned(step, over, runs)
            steps = step
            if progress is not None:
                progress(steps)
        stride, run_length = CERTIFY_FROM, min(2 * run_length, MOST_RUN)
    # A step known to end the scan is reached one by one, never certified, unless the range
    # was cut short before it.
    assert ending is None or ending[0] > last
    return _Scanned(None, False, runs)


def _kept_step(end: int | None, over: bool, last: int) -> int:
    """The step a scan keeps: before the first over-budget step, at the first exhaustive
    one, else the last step."""
    if end is None:
        return last
    return end - 1 if over else end


def _last_step(full: _Election) -> int:
    """The last step of an ``add1`` scan (pabutools stops raising at ``(voters + 1) * budget``)."""
    return int(full.budget)


def _kept_explained(reach: _Reach, kept: int) -> tuple[_Explained | None, int]:
    """The outcome of the step a scan keeps, explained, when it was one of the last two
    runs made (``_Reach.latest_runs``); else ``None``; and the runs this made (1 when that
    run was a float run, which has no exact prices to explain: the step is run again
    exactly, told the order it bought). Any election the scan runs on gives the same
    outcome and explanation: it leaves out only projects nobody can afford, and merges only
    ballots that hold and pay alike."""
    made = reach.latest_runs.get(kept)
    if made is None:
        return None, 0
    if made.purchases is None:
        exact = _run(made.election, reach.start + kept, made.order).purchases
        if exact.order != made.order:
            raise RuntimeError(f"a float run bought otherwise than the exact run at step {kept}")
        return _explained(made.election, exact), 1
    return _explained(made.election, made.purchases), 0


def _scan(full: _Election, exhaustive_stop: bool) -> tuple[int, int, _Explained | None]:
    """Raise every voter's money by one unit at a time: ``(step kept, runs, its outcome)``.

    Keeps the last step within the budget (with ``exhaustive_stop``: stops at the first
    exhaustive one), scanning every step in this process (``_scan_range`` from step 0).
    The kept step's outcome comes explained when the scan ran it last or last but one
    (``_kept_explained``), else ``None``.
    """
    last = _last_step(full)
    reach = _reach(full)
    scanned = _scan_range(reach, 0, last, exhaustive_stop)
    kept = _kept_step(scanned.end, scanned.over, last)
    explained, runs = _kept_explained(reach, kept)
    return kept, scanned.runs + runs, explained
