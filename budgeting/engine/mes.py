"""The Method of Equal Shares (MES) with cost utilities, and its completions.

Sources: Peters & Skowron, "Proportionality and the limits of welfarism" (EC 2020) and
Peters, Pierczyński & Skowron, "Proportional participatory budgeting with additive
utilities" (NeurIPS 2021); the rule as explained on equalshares.net ("Method of Equal
Shares" and "Completion" pages); results match pabutools 1.2.3
(``method_of_equal_shares(sat_class=Cost_Sat)``, pabutools.readthedocs.io, Rules).

The rule: every voter starts with an equal share ``budget / voters`` of the money. A
voter's utility for a project is its cost, weighted by the score the ballot gives it
(``score * cost``: exactly cost utilities on approval and choose-1 ballots, cost weighted by
points on cumulative ballots and by positional points on ordinal ones). A project can be
bought when its supporters still hold its cost; it then costs each supporter
``min(money left, rho * utility)`` with the smallest price per unit of utility ``rho`` that
covers the cost. Each round buys the project with the smallest ``rho``; the rule stops when
no project can be bought. Projects that cost nothing and have a supporter are funded first,
as in pabutools.

Completions (``COMPLETIONS``):

* ``none`` — the rule as above.
* ``add1`` — rerun with every voter's money raised by one currency unit at a time (the
  total budget plus one unit per voter per step) and keep the last outcome whose cost
  stays within the real budget (pabutools ``exhaustion_by_budget_increase(...,
  budget_step=<voters>, exhaustive_stop=False)``). What Assen 2024, Świecie 2023 and
  Wieliczka 2023 published.
* ``add1-exhaustive`` — the same, but stop at the first outcome that is exhaustive: no
  unselected project with a supporter fits in the money the outcome leaves (pabutools
  ``voter_budget_increment=1``, the equalshares.net compute tool's default).
* ``add1u`` — ``add1-exhaustive``, then fill what is left greedily by score (by votes on
  approval ballots), skipping what does not fit: the equalshares.net "add1u" completion,
  pabutools ``completion_by_rule_combination`` of ``method_of_equal_shares(...,
  voter_budget_increment=1)`` and greedy utilitarian welfare with cost satisfaction.

Ties: equal prices per unit of utility, and equal scores in the greedy fill, are broken by
the one order of ``budgeting.engine.ties``: lower cost, then more supporters, then the
smaller project id. (pabutools' default compares only ids as strings.)

Speed: voters with identical ballots are one weighted group, and groups whose money is
equal share one exact value (a *money class*), so each round touches only the classes of
the chosen project's supporters. Prices are kept in a lazy priority queue: within a run a
project's ``rho`` never decreases (money only shrinks), so a stale price is a lower bound
and only the best candidate needs re-pricing. For the ``add1`` scans, runs at two
per-voter amounts ``a <= b`` that choose the same projects in the same order prove every
amount in between does too, when for every round the winner's price at ``a`` is below
every rival's (lower-bound) price at ``b``: along a fixed order of purchases every voter's
money grows and every price falls as the starting amount grows, so prices at amounts in
between lie between those at ``a`` and ``b``. The scan skips such stretches and steps one
unit at a time elsewhere.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from budgeting.engine.greedy import ranked_by_score, tally
from budgeting.engine.model import ProjectProfile, SelectionResult, SelectionStep
from budgeting.engine.ties import tie_order_key

COMPLETIONS: tuple[str, ...] = ("none", "add1", "add1-exhaustive", "add1u")

RAN_OUT_SAMPLE = 10
"""How many voter ids of supporters who ran out of money a round's explanation lists."""


Score = int | Fraction
_Entry = tuple[float, int, Score, int]
_Priced = tuple[Fraction, int, list[_Entry]]


@dataclass
class _Election:
    """A profile prepared for MES: grouped ballots and candidate projects by index."""

    budget: Fraction
    voters: int
    ids: list[str]
    costs: list[Fraction]
    tie_rank: list[int]
    group_sizes: list[int]
    group_voter_ids: list[list[str]]
    supporter_groups: list[list[int]]
    supporter_scores: list[list[Score]]
    free: list[str]


@dataclass
class _Round:
    """One purchase: the project, its price and which money classes paid what."""

    project: int
    rho: Fraction
    rich: list[tuple[int, Score, int]]
    poor: list[tuple[int, Score, int]]
    ran_out_sample: list[str]


@dataclass
class _Run:
    """One MES run at a given starting amount per voter."""

    per_voter: Fraction
    rounds: list[_Round] = field(default_factory=list)
    class_budgets: list[Fraction] = field(default_factory=list)
    class_floats: list[float] = field(default_factory=list)
    group_class: list[int] = field(default_factory=list)

    @property
    def order(self) -> tuple[int, ...]:
        return tuple(purchase.project for purchase in self.rounds)


def _score(score: Fraction) -> Score:
    """Whole scores as ``int`` (fast to hash and multiply), others as exact fractions."""
    return score.numerator if score.denominator == 1 else score


def _prepare(profile: ProjectProfile) -> _Election:
    """Group identical ballots and index the projects MES can buy."""
    groups: dict[tuple[tuple[str, Score], ...], int] = {}
    group_sizes: list[int] = []
    group_voter_ids: list[list[str]] = []
    for ballot in profile.ballots:
        key = tuple(sorted((pid, _score(s)) for pid, s in ballot.scores.items() if s > 0))
        index = groups.setdefault(key, len(group_sizes))
        if index == len(group_sizes):
            group_sizes.append(0)
            group_voter_ids.append([])
        group_sizes[index] += 1
        group_voter_ids[index].append(ballot.voter_id)
    supporters: dict[str, list[tuple[int, Score]]] = {}
    for key, index in groups.items():
        for pid, score in key:
            supporters.setdefault(pid, []).append((index, score))
    counts = Counter({pid: sum(group_sizes[g] for g, _ in sup) for pid, sup in supporters.items()})
    candidates = [p for p in profile.projects if p.cost > 0 and p.id in supporters]
    by_tie = sorted(candidates, key=lambda p: tie_order_key(p.cost, counts[p.id], p.id))
    rank = {p.id: position for position, p in enumerate(by_tie)}
    return _Election(
        budget=profile.budget,
        voters=len(profile.ballots),
        ids=[p.id for p in candidates],
        costs=[p.cost for p in candidates],
        tie_rank=[rank[p.id] for p in candidates],
        group_sizes=group_sizes,
        group_voter_ids=group_voter_ids,
        supporter_groups=[[g for g, _ in supporters[p.id]] for p in candidates],
        supporter_scores=[[s for _, s in supporters[p.id]] for p in candidates],
        free=[p.id for p in profile.projects if p.cost == 0 and p.id in supporters],
    )


def _entries(election: _Election, run: _Run, project: int) -> list[_Entry]:
    """The project's supporters with money, merged by (money class, score).

    Each entry is ``(approximate money per unit of score, class, score, voters)``, sorted so
    the poorest per unit of score come first (exact order is checked where it matters).
    """
    weights: dict[tuple[int, Score], int] = {}
    group_class = run.group_class
    sizes = election.group_sizes
    for group, score in zip(
        election.supporter_groups[project], election.supporter_scores[project], strict=True
    ):
        key = (group_class[group], score)
        weights[key] = weights.get(key, 0) + sizes[group]
    approximate = run.class_floats
    entries = [(approximate[c] / s, c, s, m) for (c, s), m in weights.items() if c]
    entries.sort()
    return entries


def _price(election: _Election, run: _Run, project: int) -> _Priced | None:
    """``(rho, number of poor entries, entries)``; ``None`` when supporters cannot afford it.

    Poor supporters pay all their money; the rest pay ``t * score`` with
    ``t = (cost - money of the poor) / (score of the rest)``, and ``rho = t / cost``. The
    split between poor and rest is found in floating point and then verified exactly; where
    floating point cannot decide, the exact computation decides.
    """
    cost = election.costs[project]
    entries = _entries(election, run, project)
    budgets = run.class_budgets
    approximate_money = sum(key * s * m for key, _, s, m in entries)
    if approximate_money < float(cost) * (1 - 1e-9):
        return None
    if approximate_money < float(cost) * (1 + 1e-9) and (
        sum(budgets[c] * m for _, c, _, m in entries) < cost
    ):
        return None
    weight = sum(s * m for _, _, s, m in entries)
    split = _float_split(float(cost), weight, entries)
    share = _exact_share(cost, weight, entries, split, budgets)
    if not _split_holds(entries, split, share, budgets):
        entries.sort(key=lambda e: budgets[e[1]] / e[2])
        split = _exact_split(cost, weight, entries, budgets)
        share = _exact_share(cost, weight, entries, split, budgets)
    return share / cost, split, entries


def _float_split(cost: float, weight: int, entries: list[_Entry]) -> int:
    """Index of the first entry that pays its full share, in floating point."""
    remaining = cost
    for index, (key, _, s, m) in enumerate(entries):
        if remaining / weight <= key:
            return index
        remaining -= key * s * m
        weight -= s * m
    return len(entries) - 1


def _exact_split(
    cost: Fraction, weight: int, entries: list[_Entry], budgets: list[Fraction]
) -> int:
    """Index of the first entry that pays its full share, exactly (entries in exact order)."""
    remaining = cost
    for index, (_, c, s, m) in enumerate(entries):
        if remaining * s <= budgets[c] * weight:
            return index
        remaining -= budgets[c] * m
        weight -= s * m
    raise AssertionError("an affordable project has a supporter paying a full share")


def _exact_share(
    cost: Fraction, weight: int, entries: list[_Entry], split: int, budgets: list[Fraction]
) -> Fraction:
    """Exact ``t`` when the entries before ``split`` are the poor ones."""
    poor_money = sum((budgets[c] * m for _, c, _, m in entries[:split]), Fraction(0))
    poor_weight = sum(s * m for _, _, s, m in entries[:split])
    return (cost - poor_money) / (weight - poor_weight)


def _split_holds(
    entries: list[_Entry], split: int, share: Fraction, budgets: list[Fraction]
) -> bool:
    """Exact check that entries before ``split`` are poor and the rest pay in full.

    Entries whose approximate key is clearly on one side are decided by it; only those
    within a relative 1e-9 of the share are compared exactly.
    """
    approximate = float(share)
    low, high = approximate * (1 - 1e-9), approximate * (1 + 1e-9)
    for index, (key, c, s, _) in enumerate(entries):
        poor = index < split
        if key < low:
            if not poor:
                return False
        elif key > high:
            if poor:
                return False
        elif poor != (share * s > budgets[c]):
            return False
    return True


def _pay(
    election: _Election,
    run: _Run,
    project: int,
    rho: Fraction,
    poor_count: int,
    entries: list[_Entry],
) -> _Round:
    """Charge the supporters and move every paying group to its new money class."""
    cost = election.costs[project]
    share = rho * cost
    budgets = run.class_budgets
    moved: dict[tuple[int, Fraction], int] = {}
    rich: list[tuple[int, Score, int]] = []
    poor: list[tuple[int, Score, int]] = []
    for position, (_, c, s, m) in enumerate(entries):
        if position < poor_count:
            moved[(c, s)] = 0
            poor.append((c, s, m))
        else:
            moved[(c, s)] = len(budgets)
            budgets.append(budgets[c] - share * s)
            run.class_floats.append(float(budgets[-1]))
            rich.append((c, s, m))
    group_class = run.group_class
    ran_out: list[str] = []
    for group, score in zip(
        election.supporter_groups[project], election.supporter_scores[project], strict=True
    ):
        target = moved.get((group_class[group], score))
        if target is not None:
            group_class[group] = target
            if target == 0 and len(ran_out) < RAN_OUT_SAMPLE:
                ran_out.extend(election.group_voter_ids[group][: RAN_OUT_SAMPLE - len(ran_out)])
    return _Round(project, rho, rich, poor, ran_out)


def _start(election: _Election, per_voter: Fraction) -> _Run:
    """A run where every group is in one money class holding ``per_voter`` (class 0 is broke)."""
    return _Run(
        per_voter=per_voter,
        class_budgets=[Fraction(0), per_voter],
        class_floats=[0.0, float(per_voter)],
        group_class=[1] * len(election.group_sizes),
    )


def _run(election: _Election, per_voter: Fraction, follow: _Run | None = None) -> _Run | None:
    """One MES run starting every voter with ``per_voter``.

    With ``follow`` (a run at a smaller amount), buy the same projects in the same order and
    return ``None`` unless every round's winner at ``follow``'s amount is priced below every
    rival's lower-bound price here and nothing is left affordable at the end: then every
    amount in between buys exactly these projects in this order (see the module docstring).
    """
    run = _start(election, per_voter)
    ranks = election.tie_rank
    queue = [(Fraction(0), ranks[p], p) for p in range(len(election.ids))]
    heapq.heapify(queue)
    bought: set[int] = set()
    rounds = follow.rounds if follow is not None else None
    while True:
        if rounds is None:
            if not queue:
                return run
            _, rank, project = heapq.heappop(queue)
            if project in bought:
                continue
            priced = _price(election, run, project)
            if priced is None:
                continue
            if queue and (priced[0], rank) > queue[0][:2]:
                heapq.heappush(queue, (priced[0], rank, project))
                continue
        else:
            if len(run.rounds) == len(rounds):
                return run if _nothing_affordable(election, run, queue, bought) else None
            target = rounds[len(run.rounds)]
            project = target.project
            if not _rivals_priced_above(election, run, queue, bought, target):
                return None
            priced = _price(election, run, project)
            if priced is None:  # pragma: no cover - more money never makes a purchase fail
                return None
        bought.add(project)
        run.rounds.append(_pay(election, run, project, *priced))


def _rivals_priced_above(
    election: _Election,
    run: _Run,
    queue: list[tuple[Fraction, int, int]],
    bought: set[int],
    target: _Round,
) -> bool:
    """Whether every project other than the target provably loses this round to it."""
    ranks = election.tie_rank
    winner = (target.rho, ranks[target.project])
    losers: list[tuple[Fraction, int, int]] = []
    while queue and queue[0][:2] < winner:
        _, rank, project = heapq.heappop(queue)
        if project in bought:
            continue
        if project == target.project:
            losers.append((Fraction(0), rank, project))
            continue
        priced = _price(election, run, project)
        if priced is None:
            continue
        if (priced[0], rank) < winner:
            return False
        losers.append((priced[0], rank, project))
    for entry in losers:
        heapq.heappush(queue, entry)
    return True


def _nothing_affordable(
    election: _Election, run: _Run, queue: list[tuple[Fraction, int, int]], bought: set[int]
) -> bool:
    """Whether no project left in the queue can still be bought."""
    return all(
        project in bought or _price(election, run, project) is None for _, _, project in queue
    )


def _spent(election: _Election, run: _Run) -> Fraction:
    return sum((election.costs[r.project] for r in run.rounds), Fraction(0))


def _exhaustive(election: _Election, run: _Run) -> bool:
    """No project with a supporter that this run did not buy fits in the money left."""
    left = election.budget - _spent(election, run)
    bought = set(run.order)
    return all(cost > left for p, cost in enumerate(election.costs) if p not in bought)


def _scan(election: _Election, exhaustive_stop: bool) -> tuple[_Run, int, int]:
    """Raise every voter's money by one unit at a time; ``(outcome, steps, runs computed)``.

    Keeps the last run within the budget (with ``exhaustive_stop``: stops at the first
    exhaustive one). A stretch of amounts is skipped only when proven to repeat the current
    outcome (``_run`` with ``follow``); otherwise the next amount is run.
    """
    start = election.budget / election.voters
    last_step = int(election.budget)  # pabutools stops raising at (voters + 1) * budget
    current = _run(election, start)
    assert current is not None
    runs = 1
    if exhaustive_stop and _exhaustive(election, current):
        return current, 0, runs
    steps, stride = 0, 1
    while steps < last_step:
        if stride > 1:
            stride = min(stride, last_step - steps)
            runs += 1
            skipped = _run(election, start + steps + stride, follow=current)
            if skipped is not None:
                current, steps, stride = skipped, steps + stride, stride * 2
                continue
            stride = 1
        runs += 1
        following = _run(election, start + steps + 1)
        assert following is not None
        if _spent(election, following) > election.budget:
            break
        stride = 2 if following.order == current.order else 1
        current, steps = following, steps + 1
        if exhaustive_stop and _exhaustive(election, current):
            break
    return current, steps, runs


def _steps(election: _Election, run: _Run) -> list[SelectionStep]:
    """One ``mes_round`` explanation per purchase, in order."""
    steps: list[SelectionStep] = []
    voter_money = run.per_voter * election.voters
    spent = Fraction(0)
    budgets = run.class_budgets
    for purchase in run.rounds:
        cost = election.costs[purchase.project]
        spent += cost
        voter_money -= cost
        paid_in_full = sum(m for _, _, m in purchase.rich)
        ran_out = sum(m for _, _, m in purchase.poor)
        steps.append(
            SelectionStep(
                "mes_round",
                election.ids[purchase.project],
                {
                    "price_per_unit_utility": purchase.rho,
                    "full_share_per_point": purchase.rho * cost,
                    "cost": cost,
                    "supporters": paid_in_full + ran_out,
                    "paid_in_full": paid_in_full,
                    "ran_out": ran_out,
                    "ran_out_paid": sum(budgets[c] * m for c, _, m in purchase.poor),
                    "ran_out_sample": tuple(purchase.ran_out_sample),
                    "spent": spent,
                    "remaining_budget": election.budget - spent,
                    "voter_money_left": voter_money,
                },
            )
        )
    return steps


def _fill_greedily(
    profile: ProjectProfile, selected: list[str], spent: Fraction
) -> tuple[list[SelectionStep], Fraction]:
    """Add what still fits, by score (votes on approval), in the engine's tie order."""
    chosen = set(selected)
    steps: list[SelectionStep] = []
    tallies = tally(profile)
    for project in ranked_by_score(profile, tallies):
        if project.id in chosen or spent + project.cost > profile.budget:
            continue
        spent += project.cost
        selected.append(project.id)
        steps.append(
            SelectionStep(
                "completion",
                project.id,
                {
                    "score": tallies[project.id].score,
                    "supporters": tallies[project.id].supporters,
                    "cost": project.cost,
                    "remaining_budget": profile.budget - spent,
                },
            )
        )
    return steps, spent


def equal_shares(profile: ProjectProfile, *, completion: str = "none") -> SelectionResult:
    """The Method of Equal Shares with cost utilities and the chosen completion.

    See the module docstring for the rule, its sources, the completions and the tie order
    (lower cost, then more supporters, then project id). ``steps`` explain each round
    (``mes_round``: price per unit of utility, how many supporters paid their full share and
    how many ran out of money) and each greedy addition (``completion``).
    """
    if completion not in COMPLETIONS:
        raise ValueError(
            f"Unknown completion {completion!r} for the Method of Equal Shares; "
            f"choose one of {', '.join(COMPLETIONS)}."
        )
    election = _prepare(profile)
    details: dict[str, object] = {"completion": completion}
    if election.voters == 0:
        run, steps_taken, runs = _start(election, Fraction(0)), 0, 0
    elif completion == "none":
        run, steps_taken, runs = _run(election, election.budget / election.voters), 0, 1
    else:
        run, steps_taken, runs = _scan(election, completion != "add1")
    assert run is not None
    selected = [*election.free, *(election.ids[p] for p in run.order)]
    spent = _spent(election, run)
    steps = _steps(election, run)
    if completion == "add1u":
        filled, spent = _fill_greedily(profile, selected, spent)
        steps.extend(filled)
    details.update(
        {
            "per_voter_budget": run.per_voter,
            "add1_steps": steps_taken,
            "mes_runs": runs,
            "voters": election.voters,
            "distinct_ballots": len(election.group_sizes),
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
