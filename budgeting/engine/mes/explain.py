"""How an MES outcome is explained: one step per purchase, and the greedy fill of ``add1u``.

Each purchase is a ``mes_round`` step (price per unit of utility, how many supporters paid
their full share, how many ran out of money and a sample of who); each project the greedy
fill adds is a ``completion`` step.
"""

from __future__ import annotations

import heapq
from fractions import Fraction
from itertools import chain
from typing import NamedTuple

from budgeting.engine.greedy import ranked_by_score, tally
from budgeting.engine.mes.election import _Election, _spent
from budgeting.engine.mes.money import _Purchases
from budgeting.engine.model import ProjectProfile
from budgeting.engine.steps import CompletionStep, EqualSharesStep

RAN_OUT_SAMPLE = 10
"""How many voter ids of supporters who ran out of money a round's explanation lists."""


def _ran_out_samples(election: _Election, run: _Purchases) -> list[tuple[str, ...]]:
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


def _steps(election: _Election, run: _Purchases) -> list[EqualSharesStep]:
    """One ``mes_round`` explanation per purchase, in order."""
    steps: list[EqualSharesStep] = []
    voter_money = run.per_voter * election.voters
    spent = Fraction(0)
    for purchase, ran_out_sample in zip(run.rounds, _ran_out_samples(election, run), strict=True):
        cost = election.costs[purchase.project]
        spent += cost
        voter_money -= cost
        paid_in_full, ran_out = purchase.paid_in_full, purchase.ran_out
        steps.append(
            EqualSharesStep(
                kind="mes_round",
                project_id=election.ids[purchase.project],
                price_per_unit_utility=purchase.rho,
                share_per_point=purchase.rho * cost,
                cost=cost,
                supporters=paid_in_full + ran_out,
                paid_in_full=paid_in_full,
                ran_out=ran_out,
                ran_out_paid=purchase.ran_out_paid,
                ran_out_sample=ran_out_sample,
                spent=spent,
                budget_left=election.budget - spent,
                voter_money_left=voter_money,
            )
        )
    return steps


class _Explained(NamedTuple):
    """A run's outcome as the rule reports it: the amount per voter it started from, the
    projects selected (free ones first), their cost and one step per purchase. Project ids
    and voter ids only, so it reads the same whichever election the run was made on."""

    per_voter: Fraction
    selected: tuple[str, ...]
    spent: Fraction
    steps: tuple[EqualSharesStep, ...]


def _explained(election: _Election, run: _Purchases) -> _Explained:
    """The outcome of ``run``, made on ``election``, explained (``_Explained``)."""
    return _Explained(
        run.per_voter,
        (*election.free, *(election.ids[p] for p in run.order)),
        _spent(election, run.order),
        tuple(_steps(election, run)),
    )


def _fill_greedily(
    profile: ProjectProfile, selected: list[str], spent: Fraction
) -> tuple[list[CompletionStep], Fraction]:
    """Add what still fits, by score (votes on approval), in the engine's tie order."""
    chosen = set(selected)
    steps: list[CompletionStep] = []
    tallies = tally(profile)
    for project in ranked_by_score(profile, tallies):
        if project.id in chosen or spent + project.cost > profile.budget:
            continue
        spent += project.cost
        selected.append(project.id)
        steps.append(
            CompletionStep(
                kind="completion",
                project_id=project.id,
                score=tallies[project.id].score,
                supporters=tallies[project.id].supporters,
                cost=project.cost,
                budget_left=profile.budget - spent,
            )
        )
    return steps, spent
