"""Shared value types of the engine: projects, project-vote profiles and rule results.

Money is exact: every amount is a ``fractions.Fraction`` (pabulib budgets and costs may
carry decimals, e.g. Kraków's ``2572946.76``). Rules may convert to integers internally
for speed, but what they return is exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from operator import attrgetter
from typing import Any, Literal

from budgeting.engine.steps import SelectionStep

VoteType = Literal["approval", "cumulative", "ordinal", "choose-1"]


@dataclass(frozen=True)
class Project:
    """An indivisible project that costs ``cost`` and is either funded in full or not."""

    id: str
    cost: Fraction
    name: str = ""
    category: str = ""
    area: str = ""


@dataclass(frozen=True, slots=True)
class ProjectBallot:
    """One voter's project vote as scores: project id -> positive score.

    Approval and choose-1 ballots score 1 per chosen project; cumulative ballots carry
    their points; ordinal ballots keep their order in ``ranking`` and are scored when read
    (rank r of a ballot of at most k projects scores k - r + 1, as Kraków counts).
    """

    scores: dict[str, Fraction]
    ranking: tuple[str, ...] = ()
    voter_id: str = ""


@dataclass(frozen=True)
class ProjectProfile:
    """Everything a selection rule needs: the budget, the projects and the ballots."""

    budget: Fraction
    projects: tuple[Project, ...]
    ballots: tuple[ProjectBallot, ...]
    vote_type: VoteType = "approval"

    def ballot_scores(self) -> list[dict[str, Fraction]]:
        """Every ballot's scores, in ballot order (the same dict where ballots share one)."""
        return list(map(attrgetter("scores"), self.ballots))

    def voter_ids(self) -> list[str]:
        """Every ballot's voter id, in ballot order. When no ballot has one (a stored round,
        whose identical votes share one ``ProjectBallot``: ``results.decide.project_profile``)
        voters are named by their number in that order, 1, 2, ...; otherwise the ids are
        as given (a number could clash with another voter's own id)."""
        ids = list(map(attrgetter("voter_id"), self.ballots))
        return ids if any(ids) else list(map(str, range(1, len(ids) + 1)))

    def project(self, project_id: str) -> Project:
        """The project with this id (``KeyError`` when unknown)."""
        for project in self.projects:
            if project.id == project_id:
                return project
        raise KeyError(project_id)


@dataclass(frozen=True)
class SelectionResult:
    """The outcome of a project selection rule: data, never printed text."""

    rule: str
    selected: tuple[str, ...]
    cost: Fraction
    budget: Fraction
    steps: tuple[SelectionStep, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
