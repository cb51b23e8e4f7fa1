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
* ``add1u`` — ``add1`` (the last outcome within the budget, no exhaustive stop), then fill
  what is left greedily by score (by votes on approval ballots), skipping what does not
  fit. The equalshares.net "add1u" completion and pabutools' combination of
  ``method_of_equal_shares(..., voter_budget_increment=1)`` with greedy utilitarian welfare
  start from ``add1-exhaustive`` instead; the two agree wherever ``add1`` and
  ``add1-exhaustive`` do (not on Wieliczka 2023).

Ties: equal prices per unit of utility, and equal scores in the greedy fill, are broken by
the one order of ``budgeting.engine.ties``: lower cost, then more supporters, then the
smaller project id. (pabutools' default compares only ids as strings.)

Speed: voters with identical ballots are one weighted group (they start with equal money
and always pay alike, so a group never splits); approval ballots are grouped by their
sorted project ids, without exact numbers. Groups that paid the same rounds hold the same
money and share a *money node*: a purchase makes one child node per distinct node, in
floating point; exact money is computed only when needed, from the exact shares, with one
common denominator per round so that sums over many nodes are integer sums. Prices are kept
in a lazy priority queue with float keys: within a run a project's ``rho`` never decreases
(money only shrinks), so a stale price is a lower bound and only the best candidate needs
re-pricing. A candidate that loses is re-queued with a floating-point lower bound
(``_lower_bound``: one Newton step on the concave payments, no exact arithmetic), and only a
candidate that would win is priced exactly: in floating point when every supporter is
further than a proven error margin from the share (``RELATIVE_MARGIN``), otherwise exactly.
Before the first purchase every price is known without pricing.

The ``add1`` scans go by stretches of amounts ``a < b``. Along one order of purchases every
voter's money after each round grows with the starting amount, so every price falls: when a
round's winner at ``a`` is priced below every rival at ``b``, every amount in between makes
that purchase too. The run at ``b`` is certified round by round against the one at ``a``
(``_certified_run``); a stretch certified whole, with nothing affordable at ``b`` at the end,
repeats the outcome at ``a`` and is skipped; otherwise every amount in it is run from the
certified first purchases (replayed, pricing only the known winner) with the prices at ``b``
as lower bounds (``_Resume``). The scans also leave out the projects nobody can afford up to
the amount they look ahead to (their supporters hold less than the cost before paying for
anything) and merge the ballots that then agree (``_restrict``): on elections with many
local projects most of them drop out of the early runs.
"""

from __future__ import annotations

import gc
import heapq
import math
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import chain, compress, count, repeat
from operator import attrgetter, gt, mul, not_, sub, truediv
from typing import TypeVar

from budgeting.engine.greedy import ranked_by_score, tally
from budgeting.engine.model import ProjectProfile, SelectionResult, SelectionStep
from budgeting.engine.ties import tie_order_key

COMPLETIONS: tuple[str, ...] = ("none", "add1", "add1-exhaustive", "add1u")

RAN_OUT_SAMPLE = 10
"""How many voter ids of supporters who ran out of money a round's explanation lists."""


Score = int | Fraction
_Queued = tuple[float, int, int]
"""A lazy-queue entry: a float lower bound on the project's ``rho``, its tie rank, the project."""
_Value = TypeVar("_Value")

RELATIVE_MARGIN = 1e-9
"""Floating-point screening margin, relative to the largest money per unit of score.

A money node's float value is its parent's minus the round's exact share rounded to float,
times the score (what a rich supporter pays never exceeds its money), so each round adds at
most three roundings of at most ``2^-53`` of the starting amount: after R rounds the float
money is within ``3 R 2^-53`` of the starting amount of the exact value, far below this
margin for any number of rounds a budget can have. Decisions closer than the margin are
taken in exact arithmetic.
"""


@dataclass
class _Election:
    """A profile prepared for MES: grouped ballots and candidate projects by index."""

    budget: Fraction
    voters: int
    ids: list[str]
    costs: list[Fraction]
    tie_rank: list[int]
    group_sizes: list[int]
    group_projects: list[tuple[str, ...]]
    """Each group's projects (ids, as on its ballots)."""
    group_scores: list[tuple[Score, ...]] | None
    """Each group's scores for those projects; ``None`` when every score is 1."""
    ballot_group: list[int]
    """Each ballot's group, in ballot order."""
    voter_ids: list[str]
    supporter_groups: list[list[int]]
    supporter_scores: list[list[Score]]
    supporter_weights: list[list[Score]]
    """Per project and supporting group: voters times score."""
    unit_scores: bool
    supporters: list[int]
    """Per project: its number of supporters (voters)."""
    first_rho: list[Fraction]
    """Per project: one over its supporters' total score (its first-round price when nobody
    is poor; one over its number of supporters with scores 1)."""
    free: list[str]
    key_scale: float
    """One over the smallest score: money per unit of score is at most this times the money."""


@dataclass
class _Priced:
    """A project's price: ``share`` per unit of score, ``rho = share / cost``; who is poor."""

    rho: Fraction
    share: Fraction
    poor: set[int]
    poor_money: Fraction
    emptied: set[int]
    """Supporters who pay their full share and are left with exactly nothing."""


@dataclass
class _Round:
    """One purchase: the project, its price and how its supporters paid."""

    project: int
    rho: Fraction
    paid_in_full: int
    ran_out: int
    ran_out_paid: Fraction
    poor: set[int]
    """The supporting groups who ran out of money."""


@dataclass
class _Run:
    """One MES run at a given starting amount per voter.

    Groups that paid the same rounds with the same scores hold the same money, so money is
    kept per *money node*: a node is its ``node_parent`` minus ``node_score`` times the
    share of the round that made it (``node_generation``, 1 for the first round; the root,
    0, is the starting amount). ``node_float`` is its money per voter in floating point
    (for screening, see ``RELATIVE_MARGIN``). Exact money is computed only when needed and
    memoised in ``node_numerator``: the numerator over ``denominators[generation]``, the
    common denominator of the starting amount and the shares up to that round (unreduced,
    so exact sums over many nodes are integer sums; ``scaled_shares`` are the shares over
    the same denominators); ``node`` is each group's node and ``money`` its float money per voter.
    A purchase moves each paying group to a child node (one exact subtraction per distinct
    node, not per group). ``supporters`` / ``weights`` / ``scores`` list each project's
    supporting groups that still have money; they are pruned when ``deaths`` (groups that
    ran out) has grown.
    """

    per_voter: Fraction
    money: list[float]
    node: list[int]
    node_parent: list[int]
    node_generation: list[int]
    node_score: list[Score]
    node_float: list[float]
    node_numerator: dict[int, int]
    denominators: list[int]
    scaled_shares: list[int]
    alive: bytearray
    supporters: list[list[int]]
    weights: list[list[Score]]
    scores: list[list[Score]]
    pruned_at: list[int]
    margin: float
    deaths: int = 0
    rounds: list[_Round] = field(default_factory=list)

    @property
    def order(self) -> tuple[int, ...]:
        return tuple(purchase.project for purchase in self.rounds)


def _score(score: Fraction) -> Score:
    """Whole scores as ``int`` (fast to hash and multiply), others as exact fractions."""
    return score.numerator if score.denominator == 1 else score


def _group_ballots(
    profile: ProjectProfile,
) -> tuple[list[tuple[str, ...]], list[tuple[Score, ...]] | None, list[int]]:
    """Identical ballots as groups: each group's projects and scores, and each ballot's group.

    Groups are numbered in order of first appearance. When every score is 1 (approval-type
    ballots; checked once per distinct score object, as parsers share one object per
    ballot) ballots are keyed by their sorted project ids alone, so grouping hashes and
    compares no exact numbers, and the scores are ``None``. Other ballots are keyed by their
    sorted (project, score) pairs, whole scores as ``int`` (fast to hash); scores of 0 are
    dropped once per group.
    """
    scores_of = list(map(attrgetter("scores"), profile.ballots))
    values = list(chain.from_iterable(map(dict.values, scores_of)))
    unit = all(value == 1 for value in dict(zip(map(id, values), values, strict=True)).values())
    keys: list[tuple[str, ...]] | list[tuple[tuple[str, ...], tuple[Fraction, ...]]]
    if unit:
        keys = list(map(tuple, map(sorted, scores_of)))
    else:
        keys = [
            tuple(sorted(zip(scores, map(_score, scores.values()), strict=True)))
            for scores in scores_of
        ]
    first_ballot: dict[object, int] = {}
    firsts = list(map(first_ballot.setdefault, keys, count()))
    number = dict(zip(first_ballot.values(), count(), strict=False))
    ballot_group = list(map(number.__getitem__, firsts))
    if unit:
        return list(first_ballot), None, ballot_group  # type: ignore[arg-type]
    projects_of: list[tuple[str, ...]] = []
    scores_out: list[tuple[Score, ...]] = []
    for items in first_ballot:
        scored = [(pid, value) for pid, value in items if value > 0]  # type: ignore[attr-defined]
        projects_of.append(tuple(pid for pid, _ in scored))
        scores_out.append(tuple(value for _, value in scored))
    return projects_of, scores_out, ballot_group


def _prepare(profile: ProjectProfile) -> _Election:
    """Group identical ballots and index the projects MES can buy (once per call)."""
    group_projects, group_scores, ballot_group = _group_ballots(profile)
    voters_in = Counter(ballot_group)
    group_sizes = list(map(voters_in.__getitem__, range(len(group_projects))))
    groups_of: dict[str, list[int]] = {}
    for index, projects in enumerate(group_projects):
        for pid in projects:
            groups_of.setdefault(pid, []).append(index)
    counts = {pid: sum(map(group_sizes.__getitem__, groups)) for pid, groups in groups_of.items()}
    candidates = [p for p in profile.projects if p.cost > 0 and p.id in groups_of]
    by_tie = sorted(candidates, key=lambda p: tie_order_key(p.cost, counts[p.id], p.id))
    rank = {p.id: position for position, p in enumerate(by_tie)}
    supporter_groups = [groups_of[p.id] for p in candidates]
    sizes_of = [list(map(group_sizes.__getitem__, groups)) for groups in supporter_groups]
    if group_scores is None:
        supporter_scores: list[list[Score]] = [[1] * len(groups) for groups in supporter_groups]
        supporter_weights: list[list[Score]] = list(sizes_of)
        smallest_score: Score = 1
    else:
        score_of: dict[str, list[Score]] = {}
        for projects, scores in zip(group_projects, group_scores or (), strict=True):
            for pid, score in zip(projects, scores, strict=True):
                score_of.setdefault(pid, []).append(score)
        supporter_scores = [score_of[p.id] for p in candidates]
        supporter_weights = [
            list(map(mul, sizes, scores))
            for sizes, scores in zip(sizes_of, supporter_scores, strict=True)
        ]
        smallest_score = min((min(scores) for scores in supporter_scores), default=1)
    return _Election(
        budget=profile.budget,
        voters=len(profile.ballots),
        ids=[p.id for p in candidates],
        costs=[p.cost for p in candidates],
        tie_rank=[rank[p.id] for p in candidates],
        group_sizes=group_sizes,
        group_projects=group_projects,
        group_scores=group_scores,
        ballot_group=ballot_group,
        voter_ids=[ballot.voter_id for ballot in profile.ballots],
        supporter_groups=supporter_groups,
        supporter_scores=supporter_scores,
        supporter_weights=supporter_weights,
        unit_scores=group_scores is None,
        supporters=[counts[p.id] for p in candidates],
        first_rho=[1 / Fraction(sum(weights)) for weights in supporter_weights],
        free=[p.id for p in profile.projects if p.cost == 0 and p.id in groups_of],
        key_scale=float(1 / Fraction(smallest_score)),
    )


def _affordable_at_start(election: _Election, per_voter: Fraction) -> list[int]:
    """The projects whose supporters hold their cost when each holds ``per_voter``.

    Money only shrinks during a run, so these are the only projects a run starting from
    ``per_voter`` (or less) can ever buy.
    """
    return [
        p
        for p, (supporters, cost) in enumerate(
            zip(election.supporters, election.costs, strict=True)
        )
        if supporters * per_voter >= cost
    ]


def _restrict(election: _Election, per_voter: Fraction) -> _Election:
    """The election without the projects nobody can afford up to ``per_voter`` each.

    A project whose ``n`` supporters hold ``n * per_voter`` below its cost at the start of a
    run is never bought in it (money only shrinks) and changes nobody's payments, so it can
    be left out of every run up to that amount; ballots that then agree are merged into one
    group (they hold and pay alike). On elections with many local projects this makes runs
    several times faster. Groups keep their order of first appearance.
    """
    kept = _affordable_at_start(election, per_voter)
    kept_work = sum(len(election.supporter_groups[p]) for p in kept)
    if kept_work >= RESTRICT_BELOW * sum(map(len, election.supporter_groups)):
        return election
    position = {election.ids[p]: index for index, p in enumerate(kept)}
    keeps = position.__contains__
    projects_of = [tuple(filter(keeps, projects)) for projects in election.group_projects]
    keys: list[object] = list(projects_of)
    if election.group_scores is not None:
        keys = [
            (projects, tuple(compress(scores, map(keeps, every))))
            for projects, scores, every in zip(
                projects_of, election.group_scores, election.group_projects, strict=True
            )
        ]
    merged: dict[object, int] = {}
    firsts = list(map(merged.setdefault, keys, count()))
    renumber = dict(zip(merged.values(), count(), strict=False))
    old_to_new = list(map(renumber.__getitem__, firsts))
    sizes = [0] * len(renumber)
    for group, size in zip(old_to_new, election.group_sizes, strict=True):
        sizes[group] += size
    group_projects = [projects_of[first] for first in merged.values()]
    group_scores = (
        None if election.group_scores is None else [key[1] for key in merged]  # type: ignore[index]
    )
    supporter_groups: list[list[int]] = [[] for _ in kept]
    supporter_scores: list[list[Score]] = [[] for _ in kept]
    scores_of = group_scores or [(1,) * len(projects) for projects in group_projects]
    for group, (projects, scores) in enumerate(zip(group_projects, scores_of, strict=True)):
        for pid, score in zip(projects, scores, strict=True):
            supporter_groups[position[pid]].append(group)
            supporter_scores[position[pid]].append(score)
    return _Election(
        budget=election.budget,
        voters=election.voters,
        ids=[election.ids[p] for p in kept],
        costs=[election.costs[p] for p in kept],
        tie_rank=[election.tie_rank[p] for p in kept],
        group_sizes=sizes,
        group_projects=group_projects,
        group_scores=group_scores,
        ballot_group=list(map(old_to_new.__getitem__, election.ballot_group)),
        voter_ids=election.voter_ids,
        supporter_groups=supporter_groups,
        supporter_scores=supporter_scores,
        supporter_weights=[
            list(map(mul, map(sizes.__getitem__, groups), scores))
            for groups, scores in zip(supporter_groups, supporter_scores, strict=True)
        ],
        unit_scores=election.unit_scores,
        supporters=[election.supporters[p] for p in kept],
        first_rho=[election.first_rho[p] for p in kept],
        free=election.free,
        key_scale=election.key_scale,
    )


def _start(election: _Election, per_voter: Fraction) -> _Run:
    """A run where every group holds ``per_voter`` per voter (all at the root node)."""
    groups = len(election.group_sizes)
    return _Run(
        per_voter=per_voter,
        money=[float(per_voter)] * groups,
        node=[0] * groups,
        node_parent=[-1],
        node_generation=[0],
        node_score=[0],
        node_float=[float(per_voter)],
        node_numerator={0: per_voter.numerator},
        denominators=[per_voter.denominator],
        scaled_shares=[0],
        alive=bytearray(b"\x01") * groups,
        supporters=[list(sup) for sup in election.supporter_groups],
        weights=[list(w) for w in election.supporter_weights],
        scores=[] if election.unit_scores else [list(s) for s in election.supporter_scores],
        pruned_at=[0] * len(election.ids),
        margin=RELATIVE_MARGIN * float(per_voter) * election.key_scale,
    )


def _live_supporters(
    election: _Election, run: _Run, project: int
) -> tuple[list[int], list[Score], list[Score] | None]:
    """The project's supporting groups that still have money, their weights and scores.

    Scores are ``None`` when every score is 1.
    """
    groups = run.supporters[project]
    unit = election.unit_scores
    if run.pruned_at[project] != run.deaths:
        run.pruned_at[project] = run.deaths
        keep = list(map(run.alive.__getitem__, groups))
        if not all(keep):
            groups[:] = compress(groups, keep)
            weights = run.weights[project]
            weights[:] = compress(weights, keep)
            if not unit:
                scores = run.scores[project]
                scores[:] = compress(scores, keep)
    return groups, run.weights[project], None if unit else run.scores[project]


def _numerator(run: _Run, at: int) -> int:
    """A node's exact money per voter, over ``denominators[node_generation[at]]``."""
    known = run.node_numerator
    path: list[int] = []
    while at not in known:
        path.append(at)
        at = run.node_parent[at]
    value = known[at]
    generation, denominators = run.node_generation, run.denominators
    made_in = generation[at]
    for child in reversed(path):
        child_made_in = generation[child]
        scale = denominators[child_made_in] // denominators[made_in]
        value = value * scale - run.scaled_shares[child_made_in] * run.node_score[child]
        known[child] = value
        made_in = child_made_in
    return value


def _node_money(run: _Run, at: int) -> Fraction:
    """The exact money per voter of a money node."""
    return Fraction(_numerator(run, at), run.denominators[run.node_generation[at]])


def _exact_money(election: _Election, run: _Run, groups: list[int]) -> Fraction:
    """The exact money the voters of ``groups`` (all still with money) hold."""
    sizes, node = election.group_sizes, run.node
    voters_at: dict[int, int] = {}
    for group in groups:
        at = node[group]
        voters_at[at] = voters_at.get(at, 0) + sizes[group]
    generation = run.node_generation
    by_generation: dict[int, int] = {}
    for at, voters in voters_at.items():
        made_in = generation[at]
        by_generation[made_in] = by_generation.get(made_in, 0) + _numerator(run, at) * voters
    denominators = run.denominators
    common = denominators[max(by_generation, default=0)]
    return Fraction(
        sum(total * (common // denominators[g]) for g, total in by_generation.items()), common
    )


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
    held_by = list(map(mul, keys, weights))
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
    rich = list(map(gt, keys, repeat(guess)))
    rich_weight = sum(compress(weights, rich))
    while rich_weight:
        guess = (float(cost) - held + sum(compress(held_by, rich))) / rich_weight
        richer = list(map(gt, keys, repeat(guess)))
        richer_weight = sum(compress(weights, richer))
        if richer_weight >= rich_weight:
            break
        rich, rich_weight = richer, richer_weight
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


def _scatter(values: list[_Value], positions: list[int], new: Iterable[_Value]) -> None:
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
    befores: list[int] | list[tuple[int, Score]] = list(map(node.__getitem__, groups))
    first = len(run.node_float)
    if scores is None:
        parents = list(dict.fromkeys(befores))
        run.node_parent.extend(parents)
        run.node_score.extend(repeat(1, len(parents)))
        paid: Iterable[float] = repeat(share_float)
    else:
        befores = list(zip(befores, scores, strict=True))
        distinct = list(dict.fromkeys(befores))
        parents = [parent for parent, _ in distinct]
        node_scores = [score for _, score in distinct]
        run.node_parent.extend(parents)
        run.node_score.extend(node_scores)
        paid = map(mul, repeat(share_float), node_scores)
    run.node_generation.extend(repeat(made_in, len(parents)))
    node_float = run.node_float
    node_float.extend(map(sub, map(node_float.__getitem__, parents), paid))
    children = dict(zip(parents if scores is None else distinct, count(first), strict=False))
    afters = list(map(children.__getitem__, befores))
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


@dataclass
class _Resume:
    """A certified start for runs at amounts between two computed ones.

    ``prefix`` is the order of the first purchases that every amount in the stretch makes;
    ``queue`` a lazy queue of lower-bound prices valid after them at every such amount.
    """

    prefix: list[int]
    queue: list[_Queued]


def _run(election: _Election, per_voter: Fraction, resume: _Resume | None = None) -> _Run:
    """One MES run starting every voter with ``per_voter``.

    With ``resume``, the certified first purchases are replayed (only the known winner is
    priced, exactly, at this amount) and the lazy queue starts from the certified bounds.
    """
    run = _start(election, per_voter)
    bought: set[int] = set()
    if resume is None:
        queue = _first_round_queue(election, per_voter)
    else:
        for project in resume.prefix:
            priced = _price(election, run, project)
            assert priced is not None  # certified: more money never makes a purchase fail
            bought.add(project)
            run.rounds.append(_pay(election, run, project, priced))
        queue = list(resume.queue)
    _finish(election, run, queue, bought)
    return run


def _finish(election: _Election, run: _Run, queue: list[_Queued], bought: set[int]) -> None:
    """Buy the cheapest project per unit of utility until none is affordable (lazy queue)."""
    while (purchase := _cheapest(election, run, queue, bought)) is not None:
        project, priced = purchase
        bought.add(project)
        run.rounds.append(_pay(election, run, project, priced))


def _cheapest(
    election: _Election, run: _Run, queue: list[_Queued], bought: set[int]
) -> tuple[int, _Priced] | None:
    """This round's purchase: the affordable project with the smallest ``(rho, tie rank)``.

    Candidates come off the lazy queue in order of their lower bounds. Until one is priced
    exactly, a candidate is bounded against the next key in the queue and goes back if it
    provably loses to it; after that, against the best exact price so far. A candidate is
    priced only when its bound cannot show that it loses. Candidates looked at after the
    first price go back into the queue after the round, with their new bound or price, so
    each is looked at once per round; everything in the queue keeps a valid lower bound
    (within a run ``rho`` never decreases). Keys are floats: comparing exact prices is
    left to the few candidates that are priced.
    """
    best: tuple[Fraction, int, int, _Priced] | None = None
    ceiling = math.inf  # at least the best price: a key above it cannot win
    looked_at: list[_Queued] = []
    while queue and queue[0][0] <= ceiling:
        known, rank, project = heapq.heappop(queue)
        if project in bought:
            continue
        if best is not None:
            bound = _lower_bound(election, run, project, best[0])
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
        priced = _price(election, run, project)
        if priced is None:
            continue
        if best is None or (priced.rho, rank) < best[:2]:
            if best is not None:
                looked_at.append((_below(best[0]), best[1], best[2]))
            best, ceiling = (priced.rho, rank, project, priced), _above(priced.rho)
        else:
            looked_at.append((_below(priced.rho), rank, project))
    for entry in looked_at:
        heapq.heappush(queue, entry)
    return None if best is None else (best[2], best[3])


def _below(value: Fraction) -> float:
    """A float at most ``value`` (``float`` rounds to nearest; one step down is below)."""
    return math.nextafter(float(value), -math.inf)


def _above(value: Fraction) -> float:
    """A float at least ``value``."""
    return math.nextafter(float(value), math.inf)


def _certified_run(
    election: _Election, follow: _Run, per_voter: Fraction
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
    flag says the whole order was certified and nothing is affordable here at its end, so
    every amount in between buys exactly ``follow``'s projects.
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
    whole = len(run.rounds) == len(follow.rounds) and _nothing_affordable(
        election, run, queue, bought
    )
    if not whole:
        _finish(election, run, queue, bought)
    return run, resume, whole


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


def _nothing_affordable(
    election: _Election, run: _Run, queue: list[_Queued], bought: set[int]
) -> bool:
    """Whether no project left in the queue can still be bought."""
    return all(
        project in bought or _price(election, run, project) is None for _, _, project in queue
    )


def _spent(election: _Election, run: _Run) -> Fraction:
    return sum((election.costs[r.project] for r in run.rounds), Fraction(0))


def _exhaustive(full: _Election, election: _Election, run: _Run) -> bool:
    """No project with a supporter that this run did not buy fits in the money left.

    ``full`` is the election with every project (``election`` may leave some out).
    """
    left = full.budget - _spent(election, run)
    bought = {election.ids[p] for p in run.order}
    return all(
        cost > left for pid, cost in zip(full.ids, full.costs, strict=True) if pid not in bought
    )


STRIDE = 4
"""Amounts per stretch in the ``add1`` scans when the last stretch was not skipped whole."""


RESTRICT_BELOW = 0.8
"""``_restrict`` leaves projects out only when the rest carry less than this share of the
(supporting group, project) pairs: otherwise regrouping costs more than it saves."""

LOOK_AHEAD = 16
"""Steps of one unit per voter the ``add1`` scans first look ahead when they leave out the
projects nobody can afford yet (``_restrict``); each new look goes twice as far."""


def _scan(full: _Election, exhaustive_stop: bool) -> tuple[_Election, _Run, int, int]:
    """Raise every voter's money by one unit at a time: ``(election, outcome, steps, runs)``.

    Keeps the last run within the budget (with ``exhaustive_stop``: stops at the first
    exhaustive one). Runs use the election without the projects nobody can afford up to
    the amount the scan has looked ahead to (``_restrict``, the returned election); past it
    the scan looks twice as far and reruns the current amount. The scan goes by stretches:
    the run at a stretch's far end is certified against the current one
    (``_certified_run``); a stretch proven to repeat the current outcome is skipped whole
    (and the next is twice as long), otherwise every amount in it is run from the certified
    prefix of purchases (``_Resume``), in order.
    """
    start = full.budget / full.voters
    last_step = int(full.budget)  # pabutools stops raising at (voters + 1) * budget
    span = look_ahead = LOOK_AHEAD
    election = _restrict(full, start + look_ahead)
    current = _run(election, start)
    runs = 1
    if exhaustive_stop and _exhaustive(full, election, current):
        return election, current, 0, runs
    steps, stride = 0, 1
    while steps < last_step:
        stride = min(stride, last_step - steps)
        if steps + stride > look_ahead:
            span *= 2
            look_ahead = steps + stride + span
            wider = _restrict(full, start + look_ahead)
            if wider.ids != election.ids:
                election, current = wider, _run(wider, start + steps)
                runs += 1
        end = steps + stride
        far, resume, whole = _certified_run(election, current, start + end)
        runs += 1
        if whole:
            current, steps, stride = far, end, stride * 2
            continue
        for step in range(steps + 1, end + 1):
            if step == end:
                following = far
            else:
                following = _run(election, start + step, resume)
                runs += 1
            if _spent(election, following) > election.budget:
                return election, current, steps, runs
            current, steps = following, step
            if exhaustive_stop and _exhaustive(full, election, current):
                return election, current, steps, runs
        stride = STRIDE
    return election, current, steps, runs


def _ran_out_samples(election: _Election, run: _Run) -> list[tuple[str, ...]]:
    """Per round, the first ``RAN_OUT_SAMPLE`` supporters (in ballot order) who ran out."""
    ballots_of: dict[int, list[int]] = {g: [] for purchase in run.rounds for g in purchase.poor}
    for ballot, group in enumerate(election.ballot_group):
        if group in ballots_of:
            ballots_of[group].append(ballot)
    samples: list[tuple[str, ...]] = []
    for purchase in run.rounds:
        first = heapq.nsmallest(
            RAN_OUT_SAMPLE,
            chain.from_iterable(ballots_of[g][:RAN_OUT_SAMPLE] for g in purchase.poor),
        )
        samples.append(tuple(election.voter_ids[ballot] for ballot in first))
    return samples


def _steps(election: _Election, run: _Run) -> list[SelectionStep]:
    """One ``mes_round`` explanation per purchase, in order."""
    steps: list[SelectionStep] = []
    voter_money = run.per_voter * election.voters
    spent = Fraction(0)
    for purchase, ran_out_sample in zip(run.rounds, _ran_out_samples(election, run), strict=True):
        cost = election.costs[purchase.project]
        spent += cost
        voter_money -= cost
        paid_in_full, ran_out = purchase.paid_in_full, purchase.ran_out
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
                    "ran_out_paid": purchase.ran_out_paid,
                    "ran_out_sample": ran_out_sample,
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
    with _without_cycle_collection():
        election = _prepare(profile)
        distinct_ballots = len(election.group_sizes)
        if election.voters == 0:
            run, steps_taken, runs = _start(election, Fraction(0)), 0, 0
        elif completion == "none":
            run, steps_taken, runs = _run(election, election.budget / election.voters), 0, 1
        else:
            election, run, steps_taken, runs = _scan(election, completion == "add1-exhaustive")
    details: dict[str, object] = {"completion": completion}
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
