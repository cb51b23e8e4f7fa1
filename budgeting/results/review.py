"""What an officer reviews while a round is open and after: the aggregate votes as plain data.

``review_round(conn, round_id)`` reads the round once and ``review`` computes, with one pass
over the ballots per figure:

* turnout over time (ballots per day and cumulative, ``by_day``), and by area against each
  area's population (``by_area``: groups with ``population`` and ``turnout``);
* the channel split (web / paper, ``by_channel``);
* the service split under every allocation rule of the registry side by side
  (``allocation``), the round's own rule marked;
* the projects under every selection rule of the registry side by side (``selection``):
  which projects differ between rules, money spent, and the share of voters with at least
  one funded project they chose; the round's own rule marked, each rule run with the
  round's settings that are options of it (equal shares' completion), and rules that do not
  read the round's ballots left out with the reason;
* breakdowns by area, age band and channel: per group the ballot count, the mean service
  split and each project's support (ballots in the group that chose it).

Small groups are never shown (``suppressed_cells``, k = 10): a suppressed group carries no
number at all (``ballots``, ``mean_allocation``, ``project_support`` and ``turnout`` are
``None``), so a page cannot show one by mistake. Every breakdown is suppressed as one
table, and turnout by area is the area breakdown itself, so the two can never be
differenced against each other. Ballots per day are not suppressed: they carry no vote and
no attribute of a resident, only when ballots arrived (to the day).

Who "chose" a project: a ballot that gives it a positive score (an approval, or at least one
point). Ballots that chose no project are left out of the project figures, as the rules
leave them out (``decide.project_profile``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from itertools import chain
from typing import Any, Literal, TypeVar

from budgeting import store
from budgeting.engine.allocation import integer_columns
from budgeting.engine.registry import allocation_rule, rules, selection_rule
from budgeting.results.decide import allocation_profile, project_profile, selection_options
from budgeting.store.models import CHANNELS

K = 10
"""The smallest group shown: a group of fewer than K ballots is suppressed."""

_ZERO = Fraction(0)

Dimension = Literal["area", "age_band", "channel"]
KeyT = TypeVar("KeyT", bound=Hashable)


def suppressed_cells(counts: Mapping[KeyT, int], k: int = K) -> frozenset[KeyT]:
    """The cells of a one-way table of counts that must not be shown.

    Primary suppression: every cell under ``k`` (zero included). Secondary suppression: the
    table's total is known, so a single suppressed cell would be the total minus the cells
    shown, and suppressed cells summing to under ``k`` would reveal a group of fewer than
    ``k`` together; while that is so, the smallest cell still shown is suppressed too (equal
    counts in table order). This is the threshold rule with complementary suppression of
    the UK Government Statistical Service's "Disclosure control guidance for tables
    produced from administrative sources" (GSS/ONS, 2014: primary suppression of small
    cells, then secondary suppression so that they cannot be recovered by differencing
    from totals), also described in the US Federal Committee on Statistical Methodology's
    Statistical Policy Working Paper 22, "Report on Statistical Disclosure Limitation
    Methodology" (1994, revised 2005), chapter on tables of frequency data.

    The invariant, for any counts ``c`` and result ``S``:

    1. every cell with ``c < k`` is in ``S``;
    2. ``S`` is empty; or ``S`` has at least two cells and ``sum(c[S]) >= k``; or ``S`` is
       every cell and all of them together have fewer than ``k`` ballots (nothing can be
       shown then, and with two cells or more none can be told apart);
    3. no cell shown is smaller than a cell suppressed (secondary cells are the smallest).
    """
    hidden = {key for key, count in counts.items() if count < k}
    if not hidden:
        return frozenset()
    position = {key: index for index, key in enumerate(counts)}
    total = sum(counts[key] for key in hidden)
    for key in sorted(counts, key=lambda key: (counts[key], position[key])):
        if len(hidden) >= 2 and total >= k:
            break
        if key not in hidden:
            hidden.add(key)
            total += counts[key]
    return frozenset(hidden)


@dataclass(frozen=True)
class DayTurnout:
    """Ballots that arrived on ``day`` (the current ballot of each voter, by the day it was
    cast), and all current ballots up to and including that day."""

    day: date
    ballots: int
    cumulative: int


@dataclass(frozen=True)
class Group:
    """One group of a breakdown: the value ballots carry (``key``; ``None``: not stated)
    and its name (``label``: an area's name, the age band, the channel).

    When ``suppressed``, every figure is ``None``: the group is named, never counted.
    ``mean_allocation``: the group's mean amount per service id. ``project_support``:
    ballots in the group that chose each project id. ``population`` (areas only) is the
    area's population as set up, shown either way; ``turnout`` is ballots / population.
    """

    key: str | None
    label: str
    suppressed: bool
    ballots: int | None
    mean_allocation: dict[str, Fraction] | None
    project_support: dict[str, int] | None
    population: int | None = None

    @property
    def turnout(self) -> Fraction | None:
        """The share of the area's population that voted, when shown and known."""
        if self.ballots is None or not self.population:
            return None
        return Fraction(self.ballots, self.population)


@dataclass(frozen=True)
class Breakdown:
    """The round's ballots split by one attribute; ``ballots`` is the round's total (the
    groups' sum), which is why a lone small group is never the only one suppressed."""

    dimension: Dimension
    groups: tuple[Group, ...]
    ballots: int

    @property
    def suppressed(self) -> int:
        """How many groups are suppressed."""
        return sum(group.suppressed for group in self.groups)


@dataclass(frozen=True)
class AllocationOutcome:
    """The service split one allocation rule gives (amount per service id); ``own`` marks
    the round's rule; ``problem`` says why the rule could not split (amounts empty then)."""

    rule_id: str
    name: str
    own: bool
    amounts: dict[str, Fraction]
    problem: str | None = None


@dataclass(frozen=True)
class AllocationComparison:
    """Every allocation rule of the registry over the round's ballots, in registry order."""

    budget: Fraction
    services: tuple[str, ...]
    outcomes: tuple[AllocationOutcome, ...]


@dataclass(frozen=True)
class SelectionOutcome:
    """The projects one selection rule funds, run with ``options``.

    ``skipped`` says why the rule was not run (it does not read the round's ballots);
    ``selected`` is empty and the figures 0 then. ``with_funded_choice``: voters (ballots
    that chose a project) with at least one funded project they chose.
    """

    rule_id: str
    name: str
    own: bool
    options: dict[str, Any]
    selected: tuple[str, ...]
    spent: Fraction
    with_funded_choice: int
    skipped: str | None = None


@dataclass(frozen=True)
class SelectionComparison:
    """Every selection rule of the registry over the round's project vote.

    ``voters``: ballots that chose at least one project (the share of voters with a funded
    choice is read against them). ``differing``: projects funded by some rules that ran
    but not by all of them, in the round's project order.
    """

    budget: Fraction
    voters: int
    outcomes: tuple[SelectionOutcome, ...]
    differing: tuple[str, ...]

    def share_with_funded_choice(self, outcome: SelectionOutcome) -> Fraction | None:
        """The share of voters with a funded project they chose (``None``: no voters)."""
        return Fraction(outcome.with_funded_choice, self.voters) if self.voters else None


@dataclass(frozen=True)
class Review:
    """Everything the officers' review page shows for one round."""

    voting_round: store.Round
    services: tuple[store.Service, ...]
    projects: tuple[store.Project, ...]
    ballots: int
    population: int
    by_day: tuple[DayTurnout, ...]
    by_area: Breakdown
    by_age_band: Breakdown
    by_channel: Breakdown
    allocation: AllocationComparison
    selection: SelectionComparison

    @property
    def turnout(self) -> Fraction | None:
        """All ballots against the areas' total population, when areas have one."""
        return Fraction(self.ballots, self.population) if self.population else None

    @property
    def breakdowns(self) -> tuple[Breakdown, ...]:
        return (self.by_area, self.by_age_band, self.by_channel)


def review_round(conn: store.Connection, round_id: str) -> Review:
    """The review of the stored round ``round_id`` over its current ballots (``StoreError``
    when there is no such round)."""
    voting_round = store.get_round(conn, round_id)
    if voting_round is None:
        raise store.StoreError(f"there is no round '{round_id}'")
    return review(
        voting_round,
        store.list_services(conn, round_id),
        store.list_projects(conn, round_id),
        store.list_areas(conn, round_id),
        store.current_ballots(conn, round_id),
    )


def review(
    voting_round: store.Round,
    services: Sequence[store.Service],
    projects: Sequence[store.Project],
    areas: Sequence[store.Area],
    ballots: Sequence[store.StoredBallot],
    *,
    k: int = K,
) -> Review:
    """The review of ``voting_round`` over ``ballots`` (the current ones), groups under
    ``k`` ballots suppressed."""
    chosen = [
        frozenset(pid for pid, score in b.project_scores.items() if score > 0) for b in ballots
    ]
    figures = _GroupFigures(services, ballots, chosen)
    area_key = _area_matcher(areas)
    population = {area.id: area.population for area in areas}
    return Review(
        voting_round=voting_round,
        services=tuple(services),
        projects=tuple(projects),
        ballots=len(ballots),
        population=sum(population.values()),
        by_day=turnout_by_day(ballots),
        by_area=_breakdown(
            "area",
            [area_key(b.area) for b in ballots],
            [(area.id, area.name) for area in areas],
            figures,
            k,
            population,
        ),
        by_age_band=_breakdown(
            "age_band", [_stated(b.age_band) for b in ballots], [], figures, k, sort=True
        ),
        by_channel=_breakdown(
            "channel",
            [b.channel for b in ballots],
            [(channel, channel) for channel in CHANNELS],
            figures,
            k,
            listed_only_when_seen=True,
        ),
        allocation=compare_allocation(voting_round, services, ballots),
        selection=compare_selection(voting_round, projects, ballots, chosen),
    )


def turnout_by_day(ballots: Iterable[store.StoredBallot]) -> tuple[DayTurnout, ...]:
    """Ballots per day from the first day to the last (days without ballots as 0), with
    the running total."""
    per_day = Counter(b.submitted_at.date() for b in ballots)
    if not per_day:
        return ()
    first, last = min(per_day), max(per_day)
    days: list[DayTurnout] = []
    cumulative = 0
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        cumulative += per_day[day]
        days.append(DayTurnout(day=day, ballots=per_day[day], cumulative=cumulative))
    return tuple(days)


def compare_allocation(
    voting_round: store.Round,
    services: Sequence[store.Service],
    ballots: Sequence[store.StoredBallot],
) -> AllocationComparison:
    """The service split under every allocation rule of the registry (none without
    services)."""
    outcomes: list[AllocationOutcome] = []
    if services:
        profile = allocation_profile(voting_round, services, [b.allocation for b in ballots])
        for rule in (allocation_rule(entry.id) for entry in rules("allocation")):
            own = rule.id == voting_round.allocation_rule
            try:
                amounts = rule.run(profile).amounts
            except ValueError as error:  # a round set up so that no split is possible
                outcomes.append(AllocationOutcome(rule.id, rule.name, own, {}, str(error)))
                continue
            outcomes.append(AllocationOutcome(rule.id, rule.name, own, dict(amounts)))
    return AllocationComparison(
        budget=voting_round.service_budget,
        services=tuple(s.id for s in services),
        outcomes=tuple(outcomes),
    )


def compare_selection(
    voting_round: store.Round,
    projects: Sequence[store.Project],
    ballots: Sequence[store.StoredBallot],
    chosen: Sequence[frozenset[str]] | None = None,
) -> SelectionComparison:
    """The projects under every selection rule of the registry, each run with the round's
    settings that are options of it; rules that do not read the round's ballots are left
    out with the reason. ``chosen``: each ballot's chosen project ids, when known."""
    if chosen is None:
        chosen = [
            frozenset(pid for pid, score in b.project_scores.items() if score > 0) for b in ballots
        ]
    patterns = Counter(choice for choice in chosen if choice)
    profile = project_profile(voting_round, projects, [b.project_scores for b in ballots])
    outcomes: list[SelectionOutcome] = []
    for rule in (selection_rule(entry.id) for entry in rules("selection")):
        own = rule.id == voting_round.selection_rule
        options = selection_options(voting_round, rule)
        if profile.vote_type not in rule.ballot_kinds:
            reason = (
                f"reads only {', '.join(rule.ballot_kinds)} ballots; "
                f"this round's project vote is {profile.vote_type}"
            )
            outcomes.append(
                SelectionOutcome(rule.id, rule.name, own, options, (), Fraction(0), 0, reason)
            )
            continue
        result = rule.run(profile, **options)
        funded = frozenset(result.selected)
        outcomes.append(
            SelectionOutcome(
                rule_id=rule.id,
                name=rule.name,
                own=own,
                options=options,
                selected=result.selected,
                spent=result.cost,
                with_funded_choice=sum(
                    count for pattern, count in patterns.items() if not pattern.isdisjoint(funded)
                ),
            )
        )
    ran = [frozenset(o.selected) for o in outcomes if o.skipped is None]
    anywhere = frozenset().union(*ran) if ran else frozenset()
    everywhere = frozenset.intersection(*ran) if ran else frozenset()
    return SelectionComparison(
        budget=voting_round.project_budget,
        voters=sum(patterns.values()),
        outcomes=tuple(outcomes),
        differing=tuple(p.id for p in projects if p.id in anywhere - everywhere),
    )


class _GroupFigures:
    """Each service's amounts, ballot by ballot, as integers over one common denominator
    (so a group's sums are exact, and summed at C speed) and each ballot's chosen projects:
    the per-group figures come from these."""

    def __init__(
        self,
        services: Sequence[store.Service],
        ballots: Sequence[store.StoredBallot],
        chosen: Sequence[frozenset[str]],
    ) -> None:
        self.service_ids = [s.id for s in services]
        allocations = [b.allocation for b in ballots]
        amounts = [[a.get(sid, _ZERO) for a in allocations] for sid in self.service_ids]
        self.scale, self.columns = integer_columns(amounts)
        self.chosen = chosen

    def mean_allocation(self, members: Sequence[int]) -> dict[str, Fraction]:
        """The members' mean amount per service id (members: ballot indices, not empty)."""
        denominator = self.scale * len(members)
        return {
            sid: Fraction(sum(map(column.__getitem__, members)), denominator)
            for sid, column in zip(self.service_ids, self.columns, strict=True)
        }

    def project_support(self, members: Sequence[int]) -> dict[str, int]:
        """How many of the members chose each project id."""
        return dict(Counter(chain.from_iterable(map(self.chosen.__getitem__, members))))


def _stated(value: str | None) -> str | None:
    """A ballot's attribute, ``None`` when left blank."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def _area_matcher(areas: Sequence[store.Area]) -> Callable[[str | None], str | None]:
    """A ballot's area as the id of the round's area it names (by id, else by name, case
    and surrounding spaces ignored); a value naming no area is kept as written; blank is
    ``None``."""
    by_value: dict[str, str] = {}
    for area in areas:
        by_value.setdefault(area.name.strip().casefold(), area.id)
    for area in areas:
        by_value[area.id.strip().casefold()] = area.id
    cache: dict[str | None, str | None] = {}

    def key(value: str | None) -> str | None:
        if value not in cache:
            stated = _stated(value)
            cache[value] = None if stated is None else by_value.get(stated.casefold(), stated)
        return cache[value]

    return key


def _breakdown(
    dimension: Dimension,
    keys: Sequence[str | None],
    listed: Sequence[tuple[str, str]],
    figures: _GroupFigures,
    k: int,
    population: Mapping[str, int] | None = None,
    *,
    sort: bool = False,
    listed_only_when_seen: bool = False,
) -> Breakdown:
    """Group the ballots by ``keys`` (one per ballot) and suppress the table as one.

    Groups: ``listed`` first (key, label), shown even with no ballot unless
    ``listed_only_when_seen``; then values ballots carry that are not listed (sorted), then
    "not stated" (``None``) when some ballot left it blank.
    """
    members: dict[str | None, list[int]] = {}
    for index, key in enumerate(keys):
        members.setdefault(key, []).append(index)
    labels: dict[str | None, str] = {
        key: label for key, label in listed if key in members or not listed_only_when_seen
    }
    labels.update(
        (key, key)
        for key in sorted(key for key in members if key is not None and key not in labels)
    )
    if sort:
        labels = {key: labels[key] for key in sorted(key for key in labels if key is not None)}
    if None in members:
        labels[None] = ""
    counts = {key: len(members.get(key, ())) for key in labels}
    hidden = suppressed_cells(counts, k)
    groups = []
    for key, label in labels.items():
        people = population.get(key) if population is not None and key is not None else None
        if key in hidden:
            groups.append(Group(key, label, True, None, None, None, people))
            continue
        group = members.get(key, [])
        groups.append(
            Group(
                key=key,
                label=label,
                suppressed=False,
                ballots=len(group),
                mean_allocation=figures.mean_allocation(group) if group else None,
                project_support=figures.project_support(group),
                population=people,
            )
        )
    return Breakdown(dimension=dimension, groups=tuple(groups), ballots=len(keys))
