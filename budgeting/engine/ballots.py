"""Ballots and their validation against a round's settings.

A resident's ballot arrives from a form, a paper ballot typed in by an officer, or a CSV
file, so it may hold anything. The validators read it without ever raising and return
*every* problem, each tied to the field it concerns (a service or project id, or
``"total"``) and worded for residents through the message catalogue (``budgeting.i18n``),
in any language we ship.

* ``validate_allocation(ballot, settings)`` / ``parse_allocation`` — an amount of money per
  service: every service exactly once, each amount a finite, non-negative number in whole
  minor units (pence), within the service's floor and ceiling, and the amounts adding up
  to the budget within the round's tolerance (an absolute amount of money; 0 means exact).
* ``validate_project_vote(ballot, settings)`` / ``parse_project_vote`` — the project vote
  in the round's format: ``approval`` (choose between ``min_approvals`` and
  ``max_approvals`` projects), ``knapsack`` (approval whose total cost fits the budget),
  ``points`` (non-negative whole points per project, at most ``max_points`` in all) or
  ``ranking`` (projects in order of preference, no repeats, at most ``max_ranked``).

Accepted shapes: a mapping (id -> amount, points, or 1/0 for chosen/not chosen), or a
sequence of (id, value) pairs, which is how duplicates can reach us; approval and knapsack
also take a collection of chosen ids, ranking a sequence of ids, best first.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import operator
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Literal

from budgeting.engine.model import ProjectBallot
from budgeting.i18n import format_money, text

ProjectVoteFormat = Literal["approval", "knapsack", "points", "ranking"]
PROJECT_VOTE_FORMATS: tuple[ProjectVoteFormat, ...] = ("approval", "knapsack", "points", "ranking")

MAX_ENTRIES = 10_000
"""A ballot with more entries than this is not read at all (no round has that many)."""

LARGEST_NUMBER = 10**15
"""Numbers above this (in pounds or points) are rejected before any arithmetic on them."""

_DESCRIPTION_LENGTH = 40
_CHOSEN = Fraction(1)
"""A chosen project's score (one ``Fraction`` shared by every choice: it is immutable)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a ballot.

    ``field`` is the service or project id concerned (``"total"`` for the ballot as a
    whole), ``key`` the message catalogue key, ``params`` the values for its template;
    the params named in ``money`` are amounts, shown with ``currency_symbol``.
    """

    field: str
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    money: tuple[str, ...] = ()
    currency_symbol: str = "£"

    def message(self, language: str = "en") -> str:
        """The problem in words a resident understands, in ``language``."""
        params = {
            name: format_money(value, self.currency_symbol) if name in self.money else value
            for name, value in self.params.items()
        }
        return text(self.key, language, **params)


Exact = Fraction | int
"""An exact amount as read from a ballot: a whole amount stays an ``int`` (Python's ints are
exact and mix exactly with fractions), so a city's million ballots of whole pounds are
checked without building a ``Fraction`` for each amount."""


@dataclass(frozen=True)
class ServiceSettings:
    """A service on the allocation ballot; ``ceiling`` None means no ceiling."""

    id: str
    name: str
    floor: Fraction = Fraction(0)
    ceiling: Fraction | None = None


@dataclass(frozen=True)
class AllocationSettings:
    """What an allocation ballot is checked against.

    ``tolerance`` is how far (in money) the total may be from ``budget``; ``smallest_unit``
    the finest amount a resident can give (a penny by default).
    """

    budget: Fraction
    services: tuple[ServiceSettings, ...]
    tolerance: Fraction = Fraction(0)
    currency_symbol: str = "£"
    smallest_unit: Fraction = Fraction(1, 100)

    @functools.cached_property
    def limits(self) -> dict[str, tuple[ServiceSettings, Exact, Exact | None]]:
        """Each service by id, with its floor and ceiling (whole ones as ints): read for every
        amount of every ballot checked against these settings."""
        return {
            s.id: (
                s,
                _whole_as_int(Fraction(s.floor)),
                None if s.ceiling is None else _whole_as_int(Fraction(s.ceiling)),
            )
            for s in self.services
        }

    @functools.cached_property
    def names(self) -> dict[str, str]:
        """Each service's name by id."""
        return {s.id: s.name for s in self.services}

    @functools.cached_property
    def service_ids(self) -> tuple[str, ...]:
        """The services' ids, in ballot order."""
        return tuple(s.id for s in self.services)

    @functools.cached_property
    def exact_totals(self) -> tuple[Exact, Exact]:
        """The budget and the tolerance, whole ones as ints (whole amounts then add up and
        compare without a ``Fraction``)."""
        return _whole_as_int(Fraction(self.budget)), _whole_as_int(Fraction(self.tolerance))

    @functools.cached_property
    def unit_parts(self) -> tuple[int, int]:
        """``smallest_unit`` as (numerator, denominator) in lowest terms."""
        return self.smallest_unit.numerator, self.smallest_unit.denominator

    @functools.cached_property
    def whole_limits(self) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
        """The least and most each service may get, in ballot order, as whole numbers (the
        least at 0 or above: a negative amount is a problem of its own; the most at
        ``LARGEST_NUMBER`` or below, past which an amount is too large), when every floor
        and ceiling is whole and every whole amount is a whole number of smallest units;
        else ``None``. What ``_usual_amounts`` compares a ballot with."""
        limits = list(self.limits.values())
        if len(limits) != len(self.services) or len(limits) > MAX_ENTRIES:
            return None  # a service id listed twice, or more services than a ballot is read for
        floors = [floor for _, floor, _ in limits]
        ceilings = [LARGEST_NUMBER if ceiling is None else ceiling for _, _, ceiling in limits]
        if self.unit_parts[0] != 1 or not all(type(n) is int for n in (*floors, *ceilings)):
            return None
        return (
            tuple(max(0, int(floor)) for floor in floors),
            tuple(min(LARGEST_NUMBER, int(ceiling)) for ceiling in ceilings),
        )


@dataclass(frozen=True)
class ProjectSettings:
    """A project on the project vote."""

    id: str
    name: str
    cost: Fraction


@dataclass(frozen=True)
class ProjectVoteSettings:
    """What a project vote is checked against; limits left as None do not apply.

    ``budget`` is the cap on the chosen projects' total cost in the ``knapsack`` format.
    """

    format: ProjectVoteFormat
    projects: tuple[ProjectSettings, ...]
    min_approvals: int = 0
    max_approvals: int | None = None
    max_points: int | None = None
    max_ranked: int | None = None
    budget: Fraction | None = None
    currency_symbol: str = "£"

    @functools.cached_property
    def names(self) -> dict[str, str]:
        """Each project's name by id: read for every vote checked against these settings."""
        return {project.id: project.name for project in self.projects}

    @functools.cached_property
    def costs(self) -> dict[str, Fraction]:
        """Each project's cost by id."""
        return {project.id: project.cost for project in self.projects}

    def __post_init__(self) -> None:
        if self.format not in PROJECT_VOTE_FORMATS:
            raise ValueError(f"unknown ballot format {self.format!r}")
        if self.format == "knapsack" and self.budget is None:
            raise ValueError("a knapsack vote needs a budget")


@dataclass(frozen=True)
class AllocationBallot:
    """A valid allocation ballot: an exact amount for every service."""

    amounts: dict[str, Exact]


def validate_allocation(ballot: object, settings: AllocationSettings) -> list[Problem]:
    """Every problem with an allocation ballot (empty when it is valid). Never raises."""
    return parse_allocation(ballot, settings)[1]


def parse_allocation(
    ballot: object, settings: AllocationSettings
) -> tuple[AllocationBallot | None, list[Problem]]:
    """The ballot read exactly, or None with every problem found. Never raises.

    The total is only checked when every amount could be read, since otherwise it is not
    known what the resident meant.
    """
    if (
        type(ballot) is dict
        and {*map(type, ballot)} == {str}
        and ballot.keys() == settings.names.keys()
    ):
        usual = _usual_amounts(ballot, settings)
        if usual is not None:
            return AllocationBallot(amounts=usual), []
    report = _Report(settings.currency_symbol)
    entries = _entries(ballot)
    if entries is None:
        report.add("total", "validation.ballot.unreadable")
        return None, report.problems
    limits = settings.limits
    distinct, repeated = _distinct_known(
        entries,
        settings.names,
        report,
        unknown=("validation.allocation.unknown_service", "service_id"),
        repeated=("validation.allocation.duplicate", "service"),
    )
    amounts: dict[str, Exact] = {}
    for service_id, value in distinct.items():
        service, floor, ceiling = limits[service_id]
        amount, reason = _read_number(value)
        if amount is not None and not _whole_units(amount, settings.unit_parts):
            amount, reason = None, "too_precise"
        if amount is None:
            report.add(
                service_id,
                f"validation.amount.{reason}",
                service=service.name,
                smallest=settings.smallest_unit,
                money=("smallest",),
            )
            continue
        amounts[service_id] = amount
        _check_limits(report, service, amount, floor, ceiling)
    if len(distinct) < len(settings.services):  # fewer services given than listed
        for service in settings.services:
            if service.id not in distinct and service.id not in repeated:
                report.add(service.id, "validation.allocation.missing", service=service.name)
    if len(amounts) == len(settings.services):
        _check_total(report, sum(amounts.values()), settings)
    if report.problems:
        return None, report.problems
    ids = settings.service_ids
    return AllocationBallot(amounts=dict(zip(ids, map(amounts.__getitem__, ids), strict=True))), []


def _usual_amounts(
    given: Mapping[str, object], settings: AllocationSettings
) -> dict[str, Exact] | None:
    """The usual valid ballot read whole at once, mostly at C speed: a ``dict`` giving
    every service once (the caller checks), each amount an ``int`` or a whole ``Fraction``
    within its limits (``AllocationSettings.whole_limits``), the total within the
    tolerance of the budget.
    ``None`` for any other ballot, which ``parse_allocation`` then reads amount by amount:
    it accepts every ballot this accepts, with the same amounts, and says what is wrong
    with the others."""
    limits = settings.whole_limits
    if limits is None:
        return None
    floors, ceilings = limits
    ids = settings.service_ids
    values: list[Any] = list(map(given.__getitem__, ids))
    if not {*map(type, values)} <= {int, Fraction}:
        return None
    amounts: list[Exact] = [value.numerator for value in values if value.denominator == 1]
    if len(amounts) != len(values):
        return None
    if not (all(map(operator.le, floors, amounts)) and all(map(operator.le, amounts, ceilings))):
        return None
    budget, tolerance = settings.exact_totals
    if not -tolerance <= budget - sum(amounts) <= tolerance:
        return None
    return dict(zip(ids, amounts, strict=True))


def _whole_units(amount: Exact, unit_parts: tuple[int, int]) -> bool:
    """Whether ``amount`` is a whole number of the unit p/q (``unit_parts``, in lowest
    terms): ``amount·q`` is a multiple of p, in integers alone when the amount is whole."""
    numerator, denominator = unit_parts
    return (amount * denominator) % numerator == 0


def _check_limits(
    report: _Report, service: ServiceSettings, amount: Exact, floor: Exact, ceiling: Exact | None
) -> None:
    """Report an ``amount`` that is negative, below the service's ``floor`` or above its
    ``ceiling`` (read once per settings: ``AllocationSettings.limits``)."""
    if amount < 0:
        report.add(service.id, "validation.amount.negative", service=service.name)
    elif amount < floor:
        report.add(
            service.id,
            "validation.allocation.below_floor",
            service=service.name,
            shortfall=floor - amount,
            floor=floor,
            money=("shortfall", "floor"),
        )
    elif ceiling is not None and amount > ceiling:
        report.add(
            service.id,
            "validation.allocation.above_ceiling",
            service=service.name,
            excess=amount - ceiling,
            ceiling=ceiling,
            money=("excess", "ceiling"),
        )


def _check_total(report: _Report, total: Exact, settings: AllocationSettings) -> None:
    budget, tolerance = settings.exact_totals
    left = budget - total
    if left > tolerance:
        report.add("total", "validation.allocation.left_to_allocate", left=left, money=("left",))
    elif -left > tolerance:
        report.add(
            "total",
            "validation.allocation.over_budget",
            excess=-left,
            budget=settings.budget,
            money=("excess", "budget"),
        )


def validate_project_vote(ballot: object, settings: ProjectVoteSettings) -> list[Problem]:
    """Every problem with a project vote (empty when it is valid). Never raises."""
    return parse_project_vote(ballot, settings)[1]


def parse_project_vote(
    ballot: object, settings: ProjectVoteSettings
) -> tuple[ProjectBallot | None, list[Problem]]:
    """The vote as scores per project, or None with every problem found. Never raises.

    Approval and knapsack votes score 1 per chosen project; points votes carry their points
    (projects given 0 are left out); a ranking of at most k projects (k = ``max_ranked``,
    else the number of projects) scores k − r + 1 at rank r and keeps its order.
    """
    report = _Report(settings.currency_symbol)
    reader = {"ranking": _read_ranking, "points": _read_points}.get(settings.format, _read_choices)
    vote = reader(ballot, settings, report)
    if vote is None or report.problems:
        if not report.problems:
            report.add("total", "validation.ballot.unreadable")
        return None, report.problems
    return vote, []


def _read_choices(
    ballot: object, settings: ProjectVoteSettings, report: _Report
) -> ProjectBallot | None:
    """Approval and knapsack: the chosen projects, checking their number and (knapsack) cost."""
    names = settings.names
    distinct: Collection[str] | None = _usual_choices(ballot, names)
    if distinct is None:
        if isinstance(ballot, Mapping):
            entries = _entries(ballot)
            if entries is None:
                return None
            ids: list[object] = []
            for key, value in entries:
                flag = _read_flag(value)
                if flag is None:
                    description = _describe(key)
                    name = names.get(key, description) if isinstance(key, str) else description
                    report.add(description, "validation.vote.not_a_choice", project=name)
                elif flag:
                    ids.append(key)
        else:
            items = _items(ballot)
            if items is None:
                return None
            ids = items
        distinct, _ = _distinct_known(
            [(project_id, None) for project_id in ids],
            names,
            report,
            unknown=("validation.vote.unknown_project", "project_id"),
            repeated=("validation.vote.duplicate", "project"),
        )
    count = len(distinct)
    if settings.max_approvals is not None and count > settings.max_approvals:
        report.add("total", "validation.vote.too_many", count=count, limit=settings.max_approvals)
    if count < settings.min_approvals:
        report.add("total", "validation.vote.too_few", count=count, limit=settings.min_approvals)
    if settings.format == "knapsack" and settings.budget is not None:
        costs = settings.costs
        total = sum((costs[project_id] for project_id in distinct), Fraction(0))
        if total > settings.budget:
            report.add(
                "total",
                "validation.vote.over_budget",
                total=total,
                excess=total - settings.budget,
                budget=settings.budget,
                money=("total", "excess", "budget"),
            )
    return ProjectBallot(scores=dict.fromkeys(distinct, _CHOSEN))


def _usual_choices(ballot: object, names: Mapping[str, str]) -> list[str] | None:
    """The usual approval ballot read at C speed: a ``dict`` of known project ids, each
    marked 1 or ``True`` (chosen) or 0 or ``False`` (not chosen); its chosen ids in ballot
    order. ``None`` for any other ballot, which ``_read_choices`` then reads entry by
    entry: it accepts every ballot this accepts, with the same choices, and says what is
    wrong with the others."""
    if type(ballot) is not dict or not {*map(type, ballot)} <= {str}:
        return None
    if not names.keys() >= ballot.keys():
        return None
    flags = ballot.values()
    if not ({*map(type, flags)} <= {int, bool} and {*flags} <= {0, 1}):
        return None
    return list(itertools.compress(ballot, flags))


def _read_points(
    ballot: object, settings: ProjectVoteSettings, report: _Report
) -> ProjectBallot | None:
    """Points: whole, non-negative points per project, at most ``max_points`` in all."""
    entries = _entries(ballot)
    if entries is None:
        return None
    names = settings.names
    distinct, repeated = _distinct_known(
        entries,
        names,
        report,
        unknown=("validation.vote.unknown_project", "project_id"),
        repeated=("validation.vote.duplicate", "project"),
    )
    points: dict[str, int] = {}
    for project_id, value in distinct.items():
        number, reason = _read_number(value)
        if number is not None and number.denominator != 1:
            number, reason = None, "too_precise"
        if number is not None and number < 0:
            number, reason = None, "negative"
        if number is None:
            report.add(project_id, f"validation.points.{reason}", project=names[project_id])
        else:
            points[project_id] = int(number)
    total = sum(points.values())
    complete = len(points) == len(distinct) and not repeated
    if complete and settings.max_points is not None and total > settings.max_points:
        report.add("total", "validation.points.too_many", total=total, limit=settings.max_points)
    return ProjectBallot(scores={key: Fraction(value) for key, value in points.items() if value})


def _read_ranking(
    ballot: object, settings: ProjectVoteSettings, report: _Report
) -> ProjectBallot | None:
    """Ranking: known projects, best first, each once, at most ``max_ranked``."""
    if isinstance(ballot, set | frozenset):
        return None  # a set has no order, so it is no ranking
    items = _items(ballot)
    if items is None:
        return None
    distinct, _ = _distinct_known(
        [(project_id, None) for project_id in items],
        settings.names,
        report,
        unknown=("validation.vote.unknown_project", "project_id"),
        repeated=("validation.ranking.duplicate", "project"),
    )
    ranking = tuple(distinct)
    if settings.max_ranked is not None and len(ranking) > settings.max_ranked:
        report.add(
            "total", "validation.ranking.too_many", count=len(ranking), limit=settings.max_ranked
        )
    k = settings.max_ranked if settings.max_ranked is not None else len(settings.projects)
    scores = {project_id: Fraction(k - rank) for rank, project_id in enumerate(ranking)}
    return ProjectBallot(scores=scores, ranking=ranking)


class _Report:
    """The problems found so far, all shown with one currency symbol."""

    def __init__(self, currency_symbol: str) -> None:
        self.currency_symbol = currency_symbol
        self.problems: list[Problem] = []

    def add(self, field_: str, key: str, money: tuple[str, ...] = (), **params: Any) -> None:
        self.problems.append(
            Problem(field_, key, params, money=money, currency_symbol=self.currency_symbol)
        )


def _distinct_known(
    entries: Sequence[tuple[object, object]],
    names: Mapping[str, str],
    report: _Report,
    unknown: tuple[str, str],
    repeated: tuple[str, str],
) -> tuple[dict[str, object], set[str]]:
    """The entries whose id is known and given once (id -> value, in ballot order), and the
    ids given more than once. Unknown ids and repeats are reported once each, with the
    catalogue key and parameter name given in ``unknown`` and ``repeated``."""
    try:  # the usual ballot first: every id known and given once (``entries`` is read twice)
        given: dict[Any, object] = dict(entries)
        if (
            len(given) == len(entries)
            and all(map(isinstance, given, itertools.repeat(str)))
            and names.keys() >= given.keys()
        ):
            return given, set()
    except Exception:  # an id that is not text and cannot be hashed: reported below
        pass
    distinct: dict[str, object] = {}
    seen: set[str] = set()
    repeats: set[str] = set()
    unknown_key, unknown_param = unknown
    repeated_key, repeated_param = repeated
    for key, value in entries:
        if not isinstance(key, str) or key not in names:
            description = _describe(key)
            named: dict[str, Any] = {unknown_param: description}
            report.add(description, unknown_key, **named)
        elif key in seen:
            if key not in repeats:
                repeated_name: dict[str, Any] = {repeated_param: names[key]}
                report.add(key, repeated_key, **repeated_name)
            repeats.add(key)
            distinct.pop(key, None)
        else:
            seen.add(key)
            distinct[key] = value
    return distinct, repeats


def _entries(ballot: object) -> list[tuple[object, object]] | None:
    """(id, value) pairs from a mapping or a sequence of pairs; None if it is neither."""
    if isinstance(ballot, Mapping):
        try:
            pairs = list(itertools.islice(ballot.items(), MAX_ENTRIES + 1))
        except Exception:  # a foreign mapping that fails while read is an unreadable ballot
            return None
        return pairs if len(pairs) <= MAX_ENTRIES else None
    items = _items(ballot)
    if items is None:
        return None
    entries = []
    for item in items:
        if not isinstance(item, tuple | list) or len(item) != 2:
            return None
        entries.append((item[0], item[1]))
    return entries


def _items(ballot: object) -> list[object] | None:
    """The items of a list-like ballot, or None (not iterable, text, or too many items)."""
    if isinstance(ballot, str | bytes | bytearray | Mapping) or not isinstance(ballot, Iterable):
        return None
    try:
        items = list(itertools.islice(ballot, MAX_ENTRIES + 1))
    except Exception:  # a foreign iterable that fails while read is an unreadable ballot
        return None
    return items if len(items) <= MAX_ENTRIES else None


def _read_flag(value: object) -> bool | None:
    """Chosen (True) or not (False) from a checkbox-like value: a bool, 1 or 0."""
    if isinstance(value, bool):
        return value
    number, _ = _read_number(value)
    return None if number not in (0, 1) else number == 1


def _read_number(value: object) -> tuple[Exact | None, str]:
    """An exact number from a form value (an ``int`` when it is whole), or None and why not.

    Accepted: int, Fraction, Decimal, float and text such as "1500" or "1500.50" (floats
    are read by their shortest decimal form, so 0.1 is one tenth). Booleans are not numbers.
    The reason is one of "not_a_number", "not_finite", "too_large" and "too_precise".
    """
    if type(value) is int:  # the usual forms, looked at first
        number: Exact = value
    elif type(value) is Fraction:
        number = _whole_as_int(value)
    else:
        read, reason = _read_other_number(value)
        if read is None:
            return None, reason
        number = read
    if not -LARGEST_NUMBER <= number <= LARGEST_NUMBER:
        return None, "too_large"
    return number, ""


def _read_other_number(value: object) -> tuple[Exact | None, str]:
    """``_read_number`` for every form but a plain int or Fraction, before the range check."""
    if isinstance(value, bool):
        return None, "not_a_number"
    if isinstance(value, str):
        if len(value) > _DESCRIPTION_LENGTH:
            return None, "not_a_number"
        try:
            value = Decimal(value.strip())
        except (InvalidOperation, ValueError):
            return None, "not_a_number"
    if isinstance(value, float):
        if not math.isfinite(value):
            return None, "not_finite"
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None, "not_finite"
        if value.is_zero():
            return 0, ""
        if value.adjusted() > 15:
            return None, "too_large"
        if value.adjusted() < -15 or len(value.as_tuple().digits) > _DESCRIPTION_LENGTH:
            return None, "too_precise"
        return _whole_as_int(Fraction(value)), ""
    if isinstance(value, int | Fraction):  # subclasses of either
        return _whole_as_int(Fraction(value)), ""
    return None, "not_a_number"


def _whole_as_int(number: Exact) -> Exact:
    return number.numerator if number.denominator == 1 else number


def _describe(value: object) -> str:
    """A short printable text for an id we do not know (it may be any object)."""
    if isinstance(value, str):
        description = value
    else:
        try:
            description = repr(value)
        except Exception:  # an object whose repr fails is still a problem to report
            description = f"<{type(value).__name__}>"
    if len(description) > _DESCRIPTION_LENGTH:
        return description[: _DESCRIPTION_LENGTH - 1] + "…"
    return description


BalanceBlock = Literal["kept_over_budget", "others_at_floors", "others_at_ceilings"]


@dataclass(frozen=True)
class Balancing:
    """What balancing an allocation ballot does (``balance_allocation``).

    ``kept`` are the services left exactly as they are, ``spread_over`` the ones that take
    the difference, in the settings' order; ``difference`` is the budget minus the ballot's
    total before balancing (positive: money left; negative: over budget). ``amounts`` is the
    whole ballot afterwards. When the kept services leave the others a sum they cannot
    reach, ``blocked`` says why and ``gap`` by how much: ``kept_over_budget`` (the kept
    services alone add up to ``gap`` more than the budget), ``others_at_floors`` (even at
    their floors the others need ``gap`` more than is left) or ``others_at_ceilings`` (even
    at their ceilings they leave ``gap`` unspent); ``amounts`` then keeps the kept services
    and only brings the others within their floors and ceilings.
    """

    amounts: dict[str, Fraction]
    kept: tuple[str, ...]
    spread_over: tuple[str, ...]
    difference: Fraction
    kept_total: Fraction
    blocked: BalanceBlock | None = None
    gap: Fraction = Fraction(0)


def balance_allocation(
    amounts: Mapping[str, Fraction | int],
    services: Sequence[ServiceSettings],
    budget: Fraction,
    keep: Collection[str] = (),
    unit: Fraction = Fraction(1),
) -> Balancing:
    """The "Balance" helper of an allocation ballot: keep the services in ``keep`` (the
    ones the resident has changed) and spread the difference to ``budget`` over the others.

    The others keep their proportions above their floors: each gets its floor plus one
    common factor times what it had above its floor; a service that would pass its ceiling
    is fixed at it and the factor is worked out again for the rest. When none of them has
    anything above its floor, the room up to each ceiling is used as the proportions (and
    equal parts among services without a ceiling). When ``keep`` names every service there
    are no others, so every service takes part. A missing amount counts as the service's
    floor. Results are whole multiples of ``unit`` (the widgets' smallest step) adding up to
    the budget exactly: each is rounded down and the units lost go to the largest
    remainders that still have room below their ceiling.
    """
    current = {s.id: Fraction(amounts.get(s.id, s.floor)) for s in services}
    kept = tuple(s.id for s in services if s.id in keep)
    if len(kept) == len(services):
        kept = ()
    others = [s for s in services if s.id not in kept]
    kept_total = sum((current[service_id] for service_id in kept), Fraction(0))
    target = budget - kept_total
    clipped = {s.id: _within(s, current[s.id]) for s in others}
    result = Balancing(
        amounts={**current, **clipped},
        kept=kept,
        spread_over=tuple(s.id for s in others),
        difference=budget - sum(current.values(), Fraction(0)),
        kept_total=kept_total,
    )
    floors = sum((s.floor for s in others), Fraction(0))
    ceilings = [s.ceiling for s in others]
    if target < 0:
        return dataclasses.replace(result, blocked="kept_over_budget", gap=-target)
    if floors > target:
        return dataclasses.replace(result, blocked="others_at_floors", gap=floors - target)
    if None not in ceilings and sum((c for c in ceilings if c is not None), Fraction(0)) < target:
        room = target - sum((c for c in ceilings if c is not None), Fraction(0))
        return dataclasses.replace(result, blocked="others_at_ceilings", gap=room)
    weights = {s.id: clipped[s.id] - s.floor for s in others}
    spread = _round_to_unit(_fill_to(others, weights, target), others, target, unit)
    return dataclasses.replace(result, amounts={**current, **spread})


def _within(service: ServiceSettings, amount: Fraction) -> Fraction:
    """``amount`` brought within the service's floor and ceiling."""
    amount = max(amount, service.floor)
    return amount if service.ceiling is None else min(amount, service.ceiling)


def _fill_to(
    services: Sequence[ServiceSettings], weights: Mapping[str, Fraction], target: Fraction
) -> dict[str, Fraction]:
    """Floors plus ``factor * weight`` adding up to ``target``, services that would pass
    their ceiling fixed at it and the factor recomputed for the rest (at most one pass per
    service). When the services left all weigh nothing, the room up to their ceilings is
    their weight (equal weights when one has no ceiling)."""
    at_ceiling: dict[str, Fraction] = {}
    while True:
        free = [s for s in services if s.id not in at_ceiling]
        room = target - sum(at_ceiling.values(), Fraction(0))
        room -= sum((s.floor for s in free), Fraction(0))
        free_weights = {s.id: weights[s.id] for s in free}
        if not any(free_weights.values()):
            unbounded = any(s.ceiling is None for s in free)
            free_weights = {
                s.id: Fraction(1) if unbounded or s.ceiling is None else s.ceiling - s.floor
                for s in free
            }
        weight_total = sum(free_weights.values(), Fraction(0))
        factor = room / weight_total if weight_total else Fraction(0)
        overflowing = {
            s.id: s.ceiling
            for s in free
            if s.ceiling is not None and s.floor + factor * free_weights[s.id] > s.ceiling
        }
        if not overflowing:
            break
        at_ceiling.update(overflowing)
    return {
        s.id: at_ceiling[s.id] if s.id in at_ceiling else s.floor + factor * free_weights[s.id]
        for s in services
    }


def _round_to_unit(
    exact: Mapping[str, Fraction],
    services: Sequence[ServiceSettings],
    target: Fraction,
    unit: Fraction,
) -> dict[str, Fraction]:
    """Whole multiples of ``unit`` adding up to ``target`` (rounded to the nearest unit):
    each rounded down, then one unit more for the largest remainders with room left."""
    units = {service_id: math.floor(value / unit) for service_id, value in exact.items()}
    shortfall = math.floor(target / unit + Fraction(1, 2)) - sum(units.values())
    ceilings = {s.id: s.ceiling for s in services}
    by_remainder = sorted(
        exact, key=lambda service_id: units[service_id] * unit - exact[service_id]
    )
    for service_id in by_remainder:
        if shortfall <= 0:
            break
        ceiling = ceilings[service_id]
        if ceiling is None or (units[service_id] + 1) * unit <= ceiling:
            units[service_id] += 1
            shortfall -= 1
    return {service_id: count * unit for service_id, count in units.items()}
