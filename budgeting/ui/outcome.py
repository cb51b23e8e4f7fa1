"""What the projector shows about a round: live standings while voting is open, and the
decided outcome, with the rule's own explanation, after it closes.

The rules themselves are the engine's, looked up in its registry by the round's rule ids;
this module turns stored ballots into the engine's inputs and the engine's explanation
data (``SelectionStep``) into sentences from the message catalogue.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from budgeting import store
from budgeting.engine.greedy import Tally, tally
from budgeting.engine.model import Project, ProjectBallot, ProjectProfile, SelectionResult
from budgeting.engine.registry import rule
from budgeting.engine.ties import tie_order_key
from budgeting.i18n import format_money, text
from budgeting.ui.charts import AllocationBar

LINES_PER_PAGE = 7
SECONDS_PER_PAGE = 12
NOT_MONEY = frozenset({"score", "threshold", "load", "price_per_unit_utility"})
"""Explanation details that are exact numbers but not amounts of money."""


@dataclass(frozen=True)
class RoundOutcome:
    """A closed round's decision: the service split and the funded projects, with what is
    needed to explain them."""

    voting_round: store.Round
    projects: tuple[store.Project, ...]
    allocation_bars: tuple[AllocationBar, ...]
    selection: SelectionResult
    tallies: dict[str, Tally]


@dataclass(frozen=True)
class ExplanationLine:
    """One project's line on the projector: what happened and why, in words."""

    project_id: str
    funded: bool
    headline: str
    reason: str


@dataclass(frozen=True)
class ExplanationPage:
    """The lines shown now; long explanations turn pages on a timer (1-based ``number``)."""

    lines: tuple[ExplanationLine, ...]
    number: int
    count: int


def live_standings(
    projects: Sequence[store.Project], totals: Mapping[str, int]
) -> list[tuple[store.Project, int]]:
    """Projects with their total support, most first; ties in the engine's one tie order
    (lower cost, then more supporters, then project id)."""
    return sorted(
        ((project, totals.get(project.id, 0)) for project in projects),
        key=lambda pair: (-pair[1], tie_order_key(pair[0].cost, pair[1], pair[0].id)),
    )


def project_profile(
    voting_round: store.Round,
    projects: Sequence[store.Project],
    ballots: Sequence[store.StoredBallot],
) -> ProjectProfile:
    """The engine's view of the round's project vote.

    Approval and knapsack ballots are approval ballots (score 1 per chosen project); points
    ballots are cumulative. Ballots that chose no project express no project preference and
    are left out, so they do not dilute every voter's equal share under equal shares.
    """
    return ProjectProfile(
        budget=voting_round.project_budget,
        projects=tuple(
            Project(id=p.id, cost=p.cost, name=p.name, category=p.category, area=p.area)
            for p in projects
        ),
        ballots=tuple(
            ProjectBallot(
                scores={pid: Fraction(score) for pid, score in b.project_scores.items()},
                voter_id=str(b.id),
            )
            for b in ballots
            if b.project_scores
        ),
        vote_type="cumulative" if voting_round.ballot_format == "points" else "approval",
    )


def decide(
    voting_round: store.Round,
    services: Sequence[store.Service],
    projects: Sequence[store.Project],
    ballots: Sequence[store.StoredBallot],
) -> RoundOutcome:
    """Run the round's allocation rule and selection rule over its current ballots."""
    allocation = rule(voting_round.allocation_rule).function(
        [b.allocation for b in ballots],
        voting_round.service_budget,
        floors={s.id: s.floor for s in services},
        ceilings={s.id: s.ceiling for s in services},
        services=[s.id for s in services],
    )
    selection_rule = rule(voting_round.selection_rule)
    options: dict[str, Any] = {}
    if any(option.name == "completion" for option in selection_rule.options):
        options["completion"] = voting_round.completion
    profile = project_profile(voting_round, projects, ballots)
    return RoundOutcome(
        voting_round=voting_round,
        projects=tuple(projects),
        allocation_bars=tuple(AllocationBar(s.name, allocation.amounts[s.id]) for s in services),
        selection=selection_rule.function(profile, **options),
        tallies=tally(profile),
    )


def _money(amount: Any, voting_round: store.Round) -> str:
    return format_money(round(Fraction(amount), 2), voting_round.currency_symbol)


def _reason(
    outcome: RoundOutcome,
    step_kind: str,
    details: Mapping[str, Any],
    position: int,
    project: store.Project,
    language: str,
) -> str:
    """The catalogue sentence for one explanation step (``results.why.<kind>``)."""
    voting_round = outcome.voting_round
    support = outcome.tallies[project.id]
    params: dict[str, Any] = {
        "supporters": support.supporters,
        "score": support.score,
        "round": position,
        "cost": _money(project.cost, voting_round),
    }
    for name, value in details.items():
        if isinstance(value, Fraction) and name not in NOT_MONEY:
            params[name] = _money(value, voting_round)
        elif isinstance(value, int | str):
            params[name] = value
    key = f"results.why.{step_kind}"
    if step_kind == "not_selected" and outcome.selection.rule == "mes":
        key += "_mes"
    if step_kind == "mes_round":
        key += "_ran_out" if details.get("ran_out") else ""
        key += "_points" if voting_round.ballot_format == "points" else ""
    return text(key, language, **params)


def explanation_lines(outcome: RoundOutcome, language: str) -> list[ExplanationLine]:
    """Funded projects in the order the rule chose them, then the others by support; each
    with the rule's reason."""
    by_id = {p.id: p for p in outcome.projects}
    steps = {step.project_id: step for step in outcome.selection.steps}
    selected = outcome.selection.selected
    others = [
        p.id
        for p, _ in live_standings(
            outcome.projects, {pid: int(t.score) for pid, t in outcome.tallies.items()}
        )
        if p.id not in selected
    ]
    lines: list[ExplanationLine] = []
    mes_rounds = 0
    for project_id in (*selected, *others):
        project = by_id[project_id]
        step = steps.get(project_id)
        kind = (
            step.kind
            if step is not None
            else ("selected" if project_id in selected else "not_selected")
        )
        mes_rounds += kind == "mes_round"
        funded = project_id in selected
        headline = text(
            "results.funded" if funded else "results.not_funded",
            language,
            name=project.name,
            cost=_money(project.cost, outcome.voting_round),
        )
        reason = _reason(outcome, kind, step.details if step else {}, mes_rounds, project, language)
        lines.append(ExplanationLine(project_id, funded, headline, reason))
    return lines


def explanation_page(
    outcome: RoundOutcome, language: str, now: float | None = None
) -> ExplanationPage:
    """The page of explanation lines to show at time ``now``: pages turn every
    ``SECONDS_PER_PAGE`` seconds so a long explanation fits a screen without scrolling."""
    lines = explanation_lines(outcome, language)
    count = max(1, -(-len(lines) // LINES_PER_PAGE))
    index = int((time.time() if now is None else now) // SECONDS_PER_PAGE) % count
    shown = lines[index * LINES_PER_PAGE : (index + 1) * LINES_PER_PAGE]
    return ExplanationPage(tuple(shown), index + 1, count)
