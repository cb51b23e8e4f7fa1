"""What voters hold during one MES run: money nodes, exact money on demand, float bounds.

Groups that paid the same rounds hold the same money and share a *money node*: a purchase
makes one child node per distinct node, in floating point; exact money is computed only
when needed, from the exact shares, with one common denominator per round so that sums over
many nodes are integer sums. Float money is trusted only further than a proven error margin
(``RELATIVE_MARGIN``) from a decision; closer decisions are taken in exact arithmetic. The
run's state (``_Run``), its record of purchases (``_Round``) and what it bought, which is
all its outcome needs (``_Purchases``), live here; prices and payments are in ``pricing``,
the order of purchases in ``run``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import compress

from budgeting.engine.mes.election import Score, _Election

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
class _Round:
    """One purchase: the project, its price and how its supporters paid."""

    project: int
    rho: Fraction
    paid_in_full: int
    ran_out: int
    ran_out_paid: Fraction
    poor: set[int]
    """The supporting groups who ran out of money."""


@dataclass(frozen=True)
class _Purchases:
    """What a run bought, in order, starting every voter with ``per_voter``: all that its
    outcome and explanation need (``explain._explained``), small enough to keep or send
    between processes."""

    per_voter: Fraction
    rounds: list[_Round]

    @property
    def order(self) -> tuple[int, ...]:
        return tuple(purchase.project for purchase in self.rounds)


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
    node_numerator: dict[int, Score]
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
    def purchases(self) -> _Purchases:
        return _Purchases(self.per_voter, self.rounds)


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


def _numerator(run: _Run, at: int) -> Score:
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
    by_generation: dict[int, Score] = {}
    for at, voters in voters_at.items():
        made_in = generation[at]
        by_generation[made_in] = by_generation.get(made_in, 0) + _numerator(run, at) * voters
    denominators = run.denominators
    common = denominators[max(by_generation, default=0)]
    return Fraction(
        sum(total * (common // denominators[g]) for g, total in by_generation.items()), common
    )


def _below(value: Fraction) -> float:
    """A float at most ``value`` (``float`` rounds to nearest; one step down is below)."""
    return math.nextafter(float(value), -math.inf)


def _above(value: Fraction) -> float:
    """A float at least ``value``."""
    return math.nextafter(float(value), math.inf)
