"""Greedy project selection: what most cities use.

Source: the greedy utilitarian rule of pabutools ("greedy_utilitarian_welfare",
pabutools.readthedocs.io, Rules), as analysed in Faliszewski et al., "Participatory
Budgeting: Data, Tools and Analysis" (IJCAI 2023):

* ``greedy`` — cost satisfaction: projects in order of total score (approvals for approval
  and choose-1 ballots, points for cumulative ballots, positional points for ordinal
  ballots), each funded if it still fits, otherwise skipped. Two options real cities use
  (pabulib META ``rule``): ``greedy-threshold`` drops projects whose score is below
  ``min_project_score_threshold``; ``greedy-no-skip`` stops at the first project that does
  not fit.
* ``greedy-cost`` — cardinality satisfaction: projects in order of supporters per unit of
  cost.

As in pabutools, a project nobody supports is still funded when it fits (its score is 0, so
it comes last). Ties: equal scores (or equal supporters per cost) are broken by the one tie
order of ``budgeting.engine.ties`` — lower cost, then more supporters, then project id.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from itertools import chain

from budgeting.engine.bulk import sums_by_key
from budgeting.engine.model import Project, ProjectProfile, SelectionResult
from budgeting.engine.steps import GreedyOutcome, GreedyStep
from budgeting.engine.ties import tie_order_key


@dataclass(frozen=True)
class Tally:
    """A project's support: total score and number of ballots that give it a positive score."""

    score: Fraction
    supporters: int


def tally(profile: ProjectProfile) -> dict[str, Tally]:
    """Every project's total score and supporter count (projects nobody chose included)."""
    supporters = Counter(chain.from_iterable(profile.ballot_scores()))  # at C speed
    if profile.vote_type in ("approval", "choose-1"):
        scores: dict[str, Fraction] = {pid: Fraction(count) for pid, count in supporters.items()}
    else:
        scores = sums_by_key(profile.ballot_scores())
    return {
        project.id: Tally(Fraction(scores.get(project.id, 0)), supporters[project.id])
        for project in profile.projects
    }


def ranked_by_score(profile: ProjectProfile, tallies: dict[str, Tally]) -> list[Project]:
    """Projects by total score, highest first; ties in the engine's tie order."""
    return sorted(
        profile.projects,
        key=lambda project: (
            -tallies[project.id].score,
            tie_order_key(project.cost, tallies[project.id].supporters, project.id),
        ),
    )


def greedy(
    profile: ProjectProfile, *, threshold: Fraction | None = None, no_skip: bool = False
) -> SelectionResult:
    """Fund projects in order of total score, skipping those that no longer fit.

    ``threshold``: projects whose total score is below it are not eligible (pabulib
    ``greedy-threshold``). ``no_skip``: stop at the first project that does not fit
    (pabulib ``greedy-no-skip``). Ties: ``budgeting.engine.ties`` order.
    """
    tallies = tally(profile)
    return _fill(
        "greedy",
        profile,
        ranked_by_score(profile, tallies),
        tallies,
        threshold=threshold,
        no_skip=no_skip,
    )


def greedy_cost(profile: ProjectProfile) -> SelectionResult:
    """Fund projects in order of supporters per unit of cost, skipping what no longer fits.

    pabutools ``greedy_utilitarian_welfare`` with cardinality satisfaction. Free projects
    with supporters come first. Ties: ``budgeting.engine.ties`` order.
    """
    tallies = tally(profile)

    def density(project: Project) -> tuple[bool, Fraction]:
        supporters = tallies[project.id].supporters
        if project.cost == 0:
            return (supporters == 0, Fraction(0))
        return (False, -Fraction(supporters) / project.cost)

    order = sorted(
        profile.projects,
        key=lambda project: (
            density(project),
            tie_order_key(project.cost, tallies[project.id].supporters, project.id),
        ),
    )
    return _fill("greedy-cost", profile, order, tallies)


def _fill(
    rule: str,
    profile: ProjectProfile,
    order: list[Project],
    tallies: dict[str, Tally],
    *,
    threshold: Fraction | None = None,
    no_skip: bool = False,
) -> SelectionResult:
    """Walk ``order`` once, funding what fits, and explain every project considered."""
    remaining = profile.budget
    selected: list[str] = []
    steps: list[GreedyStep] = []
    stopped = False
    for project in order:
        support = tallies[project.id]
        shortfall: Fraction | None = None
        kind: GreedyOutcome
        if threshold is not None and support.score < threshold:
            kind = "below_threshold"
        elif stopped:
            kind = "not_reached_no_skip"
        elif project.cost > remaining:
            shortfall = project.cost - remaining
            stopped = no_skip
            kind = "stopped_no_skip" if no_skip else "skipped_does_not_fit"
        else:
            remaining -= project.cost
            selected.append(project.id)
            kind = "selected"
        steps.append(
            GreedyStep(
                kind=kind,
                project_id=project.id,
                score=support.score,
                supporters=support.supporters,
                cost=project.cost,
                budget_left=remaining,
                shortfall=shortfall,
                threshold=threshold if kind == "below_threshold" else None,
            )
        )
    return SelectionResult(
        rule=rule,
        selected=tuple(selected),
        cost=profile.budget - remaining,
        budget=profile.budget,
        steps=tuple(steps),
        details={"threshold": threshold, "no_skip": no_skip},
    )
