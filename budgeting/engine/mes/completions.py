"""The rule with its completions: ``equal_shares`` and ``COMPLETIONS``.

``none`` is one run at the equal share ``budget / voters``; the ``add1`` completions are the
scans of ``budgeting.engine.mes.scan``; ``add1u`` adds the greedy fill of
``budgeting.engine.mes.explain``. The cyclic garbage collector is paused while the rule
computes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction

from budgeting.engine.mes.election import _prepare, _restrict
from budgeting.engine.mes.explain import _Explained, _explained, _fill_greedily
from budgeting.engine.mes.money import _start
from budgeting.engine.mes.parallel import _scan_in_processes, worth_spreading
from budgeting.engine.mes.run import _run
from budgeting.engine.mes.scan import _scan
from budgeting.engine.model import ProjectProfile, SelectionResult
from budgeting.engine.steps import SelectionStep

COMPLETIONS: tuple[str, ...] = ("none", "add1", "add1-exhaustive", "add1u")


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one computation.

    Runs allocate many short-lived lists and tuples and make no reference cycles, so
    reference counting frees everything; the collector would only walk the whole profile
    again and again (a tenth to a fifth of an ``add1`` scan on the largest files). It is
    turned back on afterwards if it was on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def equal_shares(
    profile: ProjectProfile, *, completion: str = "none", workers: int | None = None
) -> SelectionResult:
    """The Method of Equal Shares with cost utilities and the chosen completion.

    See the package docstring (``budgeting.engine.mes``) for the rule, its sources, the
    completions and the tie order (lower cost, then more supporters, then project id).
    ``steps`` explain each round (``mes_round``: price per unit of utility, how many
    supporters paid their full share and how many ran out of money) and each greedy addition
    (``completion``).

    ``workers``: how many processes the ``add1`` scans may use (default 1: the app's
    multi-threaded server must not fork; the command line passes the cores available,
    ``parallel.available_cores``). The outcome is the same for every number; only
    ``details["mes_runs"]``, the runs made in all processes, changes.
    """
    if completion not in COMPLETIONS:
        raise ValueError(
            f"Unknown completion {completion!r} for the Method of Equal Shares; "
            f"choose one of {', '.join(COMPLETIONS)}."
        )
    if workers is None:
        workers = 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a whole number of processes, 1 or more, not {workers!r}")
    with _without_cycle_collection():
        election = _prepare(profile)
        distinct_ballots = len(election.group_sizes)
        kept: _Explained | None = None
        if election.voters == 0:
            run, steps_taken, runs = _start(election, Fraction(0)), 0, 0
        elif completion == "none":
            run, steps_taken, runs = _run(election, election.budget / election.voters), 0, 1
        else:
            exhaustive_stop = completion == "add1-exhaustive"
            if worth_spreading(election, workers):
                steps_taken, runs, kept = _scan_in_processes(election, exhaustive_stop, workers)
            else:
                steps_taken, runs, kept = _scan(election, exhaustive_stop)
            if kept is None:  # no run of the kept step came back explained: run it now
                amount = election.budget / election.voters + steps_taken
                election = _restrict(election, amount)
                run, runs = _run(election, amount), runs + 1
        if kept is None:
            kept = _explained(election, run.purchases)
    details: dict[str, object] = {"completion": completion}
    selected = list(kept.selected)
    spent = kept.spent
    steps: list[SelectionStep] = list(kept.steps)
    if completion == "add1u":
        filled, spent = _fill_greedily(profile, selected, spent)
        steps.extend(filled)
    details.update(
        {
            "per_voter_budget": kept.per_voter,
            "add1_steps": steps_taken,
            "mes_runs": runs,
            "voters": election.voters,
            "distinct_ballots": distinct_ballots,
        }
    )
    return SelectionResult(
        rule="mes",
        selected=tuple(selected),
        cost=spent,
        budget=profile.budget,
        steps=tuple(steps),
        details=details,
    )
