"""Whether a round can run: its settings checked in one place before it opens.

A round whose settings cannot work would refuse every ballot (ceilings that cannot hold the
budget) or fail only when results are due (a rule that does not exist, cannot read the
round's ballots, or a completion the rule does not have). ``round_problems`` lists every
such problem in words for the officer; the store refuses to open a round, or to change an
open one, while any remains. Rounds move one way: draft → open → closed → published
(``status_change_problem``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from budgeting.engine.ballots import ServiceSettings
from budgeting.engine.registry import RuleError, allocation_rule, selection_rule

STATUSES = ("draft", "open", "closed", "published")
BALLOT_KINDS = {"approval": "approval", "knapsack": "knapsack", "points": "cumulative"}
"""The registry's ballot kind for each ballot format a round offers residents."""


@dataclass(frozen=True)
class RoundPlan:
    """The settings that decide whether a round can run."""

    ballot_format: str
    selection_rule: str
    allocation_rule: str
    completion: str
    service_budget: Fraction
    project_budget: Fraction
    services: Sequence[ServiceSettings]
    projects: int
    max_approvals: int | None = None
    max_points: int | None = None


def round_problems(plan: RoundPlan) -> list[str]:
    """Every reason the round cannot run as set up (empty when it can)."""
    return [*_rule_problems(plan), *_budget_problems(plan), *_ballot_problems(plan)]


def status_change_problem(before: str, after: str) -> str | None:
    """Why a round cannot move from ``before`` to ``after`` (``None`` when it can)."""
    if after not in STATUSES:
        return f"status must be one of {', '.join(STATUSES)}, not '{after}'"
    if after == before or STATUSES.index(after) == STATUSES.index(before) + 1:
        return None
    return f"a round cannot go from {before} to {after}: rounds move {' → '.join(STATUSES)}"


def _rule_problems(plan: RoundPlan) -> list[str]:
    problems: list[str] = []
    try:
        allocation_rule(plan.allocation_rule)
    except RuleError as error:
        problems.append(f"service split: {error}")
    try:
        chosen = selection_rule(plan.selection_rule)
    except RuleError as error:
        return [*problems, f"project selection: {error}"]
    kind = BALLOT_KINDS.get(plan.ballot_format)
    if kind not in chosen.ballot_kinds:
        problems.append(
            f"project selection: rule '{chosen.id}' cannot read {plan.ballot_format} ballots"
        )
    if any(option.name == "completion" for option in chosen.options):
        try:
            chosen.checked_options({"completion": plan.completion})
        except RuleError as error:
            problems.append(f"project selection: {error}")
    return problems


def _budget_problems(plan: RoundPlan) -> list[str]:
    problems: list[str] = []
    if plan.service_budget <= 0:
        problems.append("the service budget must be more than 0")
    if plan.project_budget <= 0:
        problems.append("the project budget must be more than 0")
    if not plan.services:
        problems.append("a round needs at least one service to split the budget across")
    problems.extend(
        f"service '{service.name}': its floor is above its ceiling"
        for service in plan.services
        if service.ceiling is not None and service.floor > service.ceiling
    )
    floors = sum((service.floor for service in plan.services), Fraction(0))
    limited = [service.ceiling for service in plan.services if service.ceiling is not None]
    ceilings = sum(limited, Fraction(0)) if len(limited) == len(plan.services) else None
    budget = _amount(plan.service_budget)
    if plan.services and floors > plan.service_budget:
        problems.append(
            f"service floors add up to {_amount(floors)}, more than the service budget "
            f"{budget}: no ballot could balance"
        )
    if plan.services and ceilings is not None and ceilings < plan.service_budget:
        problems.append(
            f"service ceilings add up to {_amount(ceilings)}, less than the service budget "
            f"{budget}: no ballot could balance"
        )
    return problems


def _ballot_problems(plan: RoundPlan) -> list[str]:
    problems: list[str] = []
    if plan.ballot_format not in BALLOT_KINDS:
        problems.append(
            f"ballot format must be one of {', '.join(BALLOT_KINDS)}, not '{plan.ballot_format}'"
        )
    if plan.projects == 0:
        problems.append("a round needs at least one project to vote on")
    if plan.ballot_format == "points" and not plan.max_points:
        problems.append("a points ballot needs the number of points each resident has")
    return problems


def _amount(value: Fraction) -> str:
    """An amount for an officer to read: ``1,200,000`` or ``1,200.50``."""
    return f"{int(value):,}" if value.denominator == 1 else f"{float(value):,.2f}"
