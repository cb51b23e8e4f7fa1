"""Ballot validation for the store: the engine's validators applied to a stored round.

The store only turns its records (round, services, projects) into the engine's settings
and returns the engine's problems unchanged; the rules themselves live in the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from budgeting.engine import ballots as engine_ballots
from budgeting.store.models import Problem, Project, Round, Service


def allocation_settings(
    round_: Round, services: Sequence[Service]
) -> engine_ballots.AllocationSettings:
    """What the round's allocation ballots are checked against."""
    return engine_ballots.AllocationSettings(
        budget=round_.service_budget,
        services=tuple(
            engine_ballots.ServiceSettings(s.id, s.name, s.floor, s.ceiling) for s in services
        ),
        tolerance=round_.allocation_tolerance,
        currency_symbol=round_.currency_symbol,
    )


def project_vote_settings(
    round_: Round, projects: Sequence[Project]
) -> engine_ballots.ProjectVoteSettings:
    """What the round's project votes are checked against (knapsack cap: the project budget)."""
    return engine_ballots.ProjectVoteSettings(
        format=round_.ballot_format,
        projects=tuple(engine_ballots.ProjectSettings(p.id, p.name, p.cost) for p in projects),
        max_approvals=round_.max_approvals,
        max_points=round_.max_points,
        budget=round_.project_budget,
        currency_symbol=round_.currency_symbol,
    )


@dataclass(frozen=True)
class BallotRules:
    """A round's allocation and project-vote settings, made once and read for every ballot
    checked against them (a batch of a million ballots reads them a million times)."""

    allocation: engine_ballots.AllocationSettings
    vote: engine_ballots.ProjectVoteSettings

    def parse(
        self, allocation: Mapping[str, Any], project_scores: Mapping[str, Any]
    ) -> tuple[dict[str, engine_ballots.Exact], dict[str, int], list[Problem]]:
        """The ballot as exact amounts and whole scores, and every problem (empty when
        valid)."""
        amounts, allocation_problems = engine_ballots.parse_allocation(
            dict(allocation), self.allocation
        )
        vote, vote_problems = engine_ballots.parse_project_vote(dict(project_scores), self.vote)
        problems: list[Problem] = [*allocation_problems, *vote_problems]
        if amounts is None or vote is None or problems:
            return {}, {}, problems
        scores = {pid: int(score) for pid, score in vote.scores.items() if score}
        return dict(amounts.amounts), scores, []


def ballot_rules(
    round_: Round, services: Sequence[Service], projects: Sequence[Project]
) -> BallotRules:
    """What the round's ballots are checked against."""
    return BallotRules(
        allocation_settings(round_, services), project_vote_settings(round_, projects)
    )


def ballot_problems(
    round_: Round,
    services: Sequence[Service],
    projects: Sequence[Project],
    allocation: Mapping[str, Any],
    project_scores: Mapping[str, Any],
) -> list[Problem]:
    """Every problem with an allocation and project vote for this round (empty when valid)."""
    return ballot_rules(round_, services, projects).parse(allocation, project_scores)[2]
