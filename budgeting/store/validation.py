"""Ballot validation for the store: the engine's rules applied to a stored round.

The store only adapts its records (round, services, projects) to the engine's validators
and returns their problems unchanged; the rules themselves live in the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from budgeting.store.models import Problem, Project, Round, Service, StoreProblem


def ballot_problems(
    round_: Round,
    services: Sequence[Service],
    projects: Sequence[Project],
    allocation: Mapping[str, Any],
    project_scores: Mapping[str, Any],
) -> list[Problem]:
    """Every problem with an allocation and project vote for this round (empty when valid)."""
    try:
        from budgeting.engine import ballots as engine_ballots
    except ImportError:
        return _interim_problems(round_, services, projects, allocation, project_scores)
    return [
        *engine_ballots.validate_allocation(
            allocation, services, round_.service_budget, round_.allocation_tolerance
        ),
        *engine_ballots.validate_project_vote(
            project_scores,
            projects,
            round_.ballot_format,
            round_.project_budget,
            max_approvals=round_.max_approvals,
            max_points=round_.max_points,
        ),
    ]


def _interim_problems(
    round_: Round,
    services: Sequence[Service],
    projects: Sequence[Project],
    allocation: Mapping[str, Any],
    project_scores: Mapping[str, Any],
) -> list[Problem]:
    """Structural checks used until the engine's validators are importable."""
    problems: list[Problem] = []
    limits = {s.id: (s.floor, s.ceiling) for s in services}
    total = Fraction(0)
    for sid, amount in allocation.items():
        if sid not in limits:
            problems.append(StoreProblem(sid, "store.unknown_choice"))
            continue
        try:
            value = Fraction(amount)
        except (TypeError, ValueError):
            problems.append(StoreProblem(sid, "store.not_whole_pence"))
            continue
        total += value
        if not limits[sid][0] <= value <= limits[sid][1]:
            problems.append(StoreProblem(sid, "store.outside_limits"))
    if services and abs(total - round_.service_budget) > round_.allocation_tolerance:
        problems.append(StoreProblem("allocation", "store.unbalanced"))
    known_projects = {p.id for p in projects}
    problems.extend(
        StoreProblem(pid, "store.unknown_choice")
        for pid in project_scores
        if pid not in known_projects
    )
    chosen = [pid for pid, score in project_scores.items() if score]
    if round_.max_approvals is not None and len(chosen) > round_.max_approvals:
        problems.append(StoreProblem("projects", "store.too_many_projects"))
    return problems
