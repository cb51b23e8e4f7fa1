"""The store's value types and errors. Money is ``Fraction`` of the major unit (pounds)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, Literal, Protocol

from budgeting.i18n import text

BallotFormat = Literal["approval", "knapsack", "points"]
RoundStatus = Literal["draft", "open", "closed", "published"]
CodeMode = Literal["codes", "open"]
Channel = Literal["web", "paper"]

BALLOT_FORMATS = ("approval", "knapsack", "points")
ROUND_STATUSES = ("draft", "open", "closed", "published")
CODE_MODES = ("codes", "open")
CHANNELS = ("web", "paper")
AGE_BANDS = ("under-16", "16-24", "25-34", "35-49", "50-64", "65+")
"""The age bands a ballot may give (none is also allowed), as stored and exported; the
breakdowns on the officers' Review page group by them."""


@dataclass(frozen=True)
class Round:
    """A participatory budgeting round and its settings."""

    id: str
    name: str
    service_budget: Fraction
    project_budget: Fraction
    currency_symbol: str = "£"
    ballot_format: BallotFormat = "approval"
    max_approvals: int | None = None
    max_points: int | None = None
    selection_rule: str = "mes"
    allocation_rule: str = "independent-markets"
    completion: str = "add1"
    code_mode: CodeMode = "codes"
    allocation_tolerance: Fraction = Fraction(0)
    hide_results_until_close: bool = False
    status: RoundStatus = "draft"
    opens_at: datetime | None = None
    closes_at: datetime | None = None


Translations = Mapping[str, Mapping[str, str]]
"""Texts in languages other than the default: language code -> field -> text."""
TRANSLATED_FIELDS = {
    "services": ("name", "description", "unit_cost_text"),
    "projects": ("name", "description"),
}
"""The fields of services and projects that may carry a text per language."""


@dataclass(frozen=True)
class Service:
    """A public service that receives a share of the service budget."""

    id: str
    round_id: str
    name: str
    description: str = ""
    unit_cost_text: str = ""
    current_spend: Fraction = Fraction(0)
    floor: Fraction = Fraction(0)
    ceiling: Fraction = Fraction(0)
    position: int = 0
    translations: Translations = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Project:
    """An indivisible project residents vote on."""

    id: str
    round_id: str
    name: str
    description: str = ""
    cost: Fraction = Fraction(0)
    area: str = ""
    category: str = ""
    translations: Translations = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Area:
    """A part of the round's territory, with how many residents live there (turnout is read
    against it)."""

    id: str
    round_id: str
    name: str
    population: int = 0


@dataclass(frozen=True)
class StoredBallot:
    """A ballot as committed: allocation in pounds per service, scores per project."""

    id: int
    round_id: str
    receipt: str
    channel: Channel
    submitted_at: datetime
    code_hash: str | None
    area: str | None
    age_band: str | None
    allocation: dict[str, Fraction]
    project_scores: dict[str, int]
    superseded: bool = False


@dataclass(frozen=True)
class VoterCodeCheck:
    """A voter code as the ballot takes it: ``"valid"`` when it belongs to the round and is
    not revoked, else ``"unknown"`` (a revoked code is told apart from a mistyped one nowhere
    a resident could see it); for a valid code, the ballot that counts for it now (None
    before its first vote)."""

    status: str
    ballot: StoredBallot | None


@dataclass(frozen=True)
class RoundVotes:
    """What a round's rules read of its current ballots, oldest first (``current_votes``):
    each ballot's amounts in pounds per service, and its project scores. Either is ``None``
    when it was not asked for. Ballots that gave the same scores share one dict (a city's
    million ballots repeat tens of thousands of choices): read them, never change them."""

    ballots: int
    allocations: list[dict[str, Fraction]] | None
    scores: list[dict[str, int]] | None


@dataclass(frozen=True)
class ProjectorSnapshot:
    """What the projector shows live: counts and aggregates over current ballots."""

    ballot_count: int
    mean_allocation: dict[str, Fraction]
    project_totals: dict[str, int]
    paper_count: int = 0


@dataclass(frozen=True)
class AuditEntry:
    """One link of the hash-chained audit log."""

    seq: int
    round_id: str | None
    at: datetime
    kind: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class Problem(Protocol):
    """What a validation problem offers: the field it concerns and words for residents."""

    @property
    def field(self) -> str: ...

    def message(self, language: str = "en") -> str: ...


@dataclass(frozen=True)
class StoreProblem:
    """A problem found by the store itself (round not open, unknown code, ...)."""

    field: str
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def message(self, language: str = "en") -> str:
        """The problem in words, from the message catalogue."""
        return text(self.key, language, **self.params)


class StoreError(ValueError):
    """An operation the store refuses, with a message saying why."""


class RoundNotReady(StoreError):
    """A round that cannot open (or stay open) as set up: ``problems`` says every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("the round cannot open: " + "; ".join(problems))


class BallotRejected(StoreError):
    """A ballot that was not stored; ``problems`` says what was wrong, field by field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.field}: {p.message('en')}" for p in self.problems))


@dataclass(frozen=True)
class CsvProblem:
    """One problem in an imported CSV file: where (line, field) and what."""

    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f"{where}field '{self.field}': {self.message}"


class CsvImportError(StoreError):
    """A CSV import that wrote nothing; ``problems`` lists every problem found, by line."""

    def __init__(self, problems: list[CsvProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
        first = self.problems[0]
        self.line, self.field, self.message = first.line, first.field, first.message
        super().__init__("\n".join(str(problem) for problem in self.problems))
