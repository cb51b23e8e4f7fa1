"""Divisible allocation: splitting a service budget across services from residents' ballots.

Each ballot says how the resident would split the budget (an amount or a share per
service). A rule turns the ballots into one split. Every result is exact
(``fractions.Fraction``); internally ballots are held as integers over one common
denominator, which is what makes the default rule fast on 100,000 ballots.

Rules (``ALLOCATION_RULES``; source: Freeman, Pennock, Peters & Wortman Vaughan,
"Truthful aggregation of budget proposals", EC 2019 / Journal of Economic Theory 2021):

* ``mean`` — the average share. Simple, but a resident gains by exaggerating.
* ``median`` — the coordinate-wise median, normalised to sum to 1. Shown for comparison.
* ``independent-markets`` (default) — the moving-phantom mechanism with the
  "independent markets" phantoms. Truthful: no resident can move the outcome closer (in
  L1 distance) to her own ballot by misreporting; proportional for single-minded voters.

None of these rules has ties: each is a function of the multiset of ballots, so the order
in which ballots arrive never matters.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from itertools import repeat
from operator import attrgetter, floordiv, itemgetter, mul, sub, truediv
from typing import cast

from budgeting.engine.bulk import by_identity, collector_paused

Amount = Fraction | int
ShareVector = Sequence[Amount]

DEFAULT_ALLOCATION_RULE = "independent-markets"

_numerator = attrgetter("numerator")
_denominator = attrgetter("denominator")


@dataclass(frozen=True)
class ShareProfile:
    """Ballots as exact share vectors, held as integers: ballot i gives service j the share
    ``columns[j][i] / totals[i]`` (every total positive).

    ``numerators[j]`` and ``denominators[j]`` list service j's shares for every voter,
    largest first: the r-th largest is ``numerators[j][r] / denominators[j][r]`` (rules only
    need the multiset of ballots). They are sorted when first asked for, since the mean
    needs no order. When every ballot has the same total, as validated ballots in pence do,
    all denominators are that total.
    """

    columns: Sequence[Sequence[int]]
    totals: Sequence[int]

    @property
    def voters(self) -> int:
        return len(self.totals)

    @cached_property
    def _one_total(self) -> bool:
        return len(set(self.totals)) == 1

    @cached_property
    def numerators(self) -> tuple[tuple[int, ...], ...]:
        if self._one_total:
            return tuple(tuple(sorted(column, reverse=True)) for column in self.columns)
        return tuple(
            tuple(map(column.__getitem__, order))
            for column, order in zip(self.columns, self._orders, strict=True)
        )

    @cached_property
    def denominators(self) -> tuple[tuple[int, ...], ...]:
        if self._one_total:
            return ((self.totals[0],) * self.voters,) * len(self.columns)
        return tuple(tuple(map(self.totals.__getitem__, order)) for order in self._orders)

    @cached_property
    def _orders(self) -> list[list[int]]:
        return [_largest_share_first(column, self.totals) for column in self.columns]


@dataclass(frozen=True)
class PhantomOutcome:
    """A moving-phantom outcome: the phantom position ``t`` and the shares it gives.

    ``t`` is the smallest position at which the shares sum to 1 (the shares are the same at
    every such position, since each share is nondecreasing in ``t``).
    """

    t: Fraction
    shares: list[Fraction]


def share_profile(ballots: Sequence[ShareVector]) -> ShareProfile:
    """Check share vectors (same length, non-negative, each summing to 1) and hold them exactly.

    Raises ``ValueError`` naming the first bad ballot.
    """
    if not ballots:
        raise ValueError("no ballots to aggregate")
    services = len(ballots[0])
    for number, ballot in enumerate(ballots, start=1):
        if len(ballot) != services:
            raise ValueError(f"ballot {number} has {len(ballot)} shares, expected {services}")
        if any(type(share) not in (int, Fraction) or share < 0 for share in ballot):
            raise ValueError(f"ballot {number}: shares must be non-negative int or Fraction")
        if sum(ballot) != 1:
            raise ValueError(f"ballot {number}: shares sum to {sum(ballot)}, not 1")
    columns = [[ballot[j] for ballot in ballots] for j in range(services)]
    _, integers = integer_columns(columns)
    return ShareProfile(integers, _row_totals(integers, len(ballots)))


def integer_columns(columns: Sequence[Sequence[Amount]]) -> tuple[int, list[list[int]]]:
    """Exact amounts as integers over one common denominator: ``(scale, integers)`` with
    every amount equal to its integer / ``scale`` (the lcm of the amounts' denominators).

    A round's million ballots repeat a few thousand amount objects (the store converts each
    distinct amount once), so each distinct object is converted once and every amount is
    then looked up by identity, at C speed: Fraction arithmetic element by element took
    most of an allocation rule's time. Identities are unique here because ``columns`` (read
    into lists first unless it holds lists or tuples) keeps every object alive. Columns of
    ints alone are kept as they are.
    """
    columns = [column if isinstance(column, list | tuple) else list(column) for column in columns]
    if all(set(map(type, column)) <= {int} for column in columns):
        return 1, [cast("list[int]", list(column)) for column in columns]  # checked: ints
    distinct = by_identity(*columns)
    scale = math.lcm(*map(_denominator, distinct.values()))
    as_integer = {
        key: amount.numerator * (scale // amount.denominator) for key, amount in distinct.items()
    }
    return scale, [list(map(as_integer.__getitem__, map(id, column))) for column in columns]


def _row_totals(columns: list[list[int]], voters: int) -> list[int]:
    return list(map(sum, zip(*columns, strict=True))) if columns else [0] * voters


def _largest_share_first(column: Sequence[int], totals: Sequence[int]) -> list[int]:
    """Voter indices by decreasing share column[i] / totals[i], exactly.

    Sorting by the correctly rounded float quotient is exact unless two different shares
    round to the same float; that is checked (distinct floats against distinct reduced
    fractions) and then the order is taken from exact fractions instead.
    """
    quotients = list(map(truediv, column, totals))
    divisors = list(map(math.gcd, column, totals))
    reduced = set(
        zip(map(floordiv, column, divisors), map(floordiv, totals, divisors), strict=True)
    )
    if len(reduced) == len(set(quotients)):
        return sorted(range(len(totals)), key=quotients.__getitem__, reverse=True)
    exact = list(map(Fraction, column, totals))
    return sorted(range(len(totals)), key=exact.__getitem__, reverse=True)


def _exact_share(pair: tuple[int, int]) -> Fraction:
    return Fraction(*pair)


def _shares(profile: ShareProfile, service: int) -> list[Fraction]:
    pairs = zip(profile.numerators[service], profile.denominators[service], strict=True)
    return list(map(_exact_share, pairs))


def _as_profile(ballots: Sequence[ShareVector] | ShareProfile) -> ShareProfile:
    return ballots if isinstance(ballots, ShareProfile) else share_profile(ballots)


def mean_shares(ballots: Sequence[ShareVector] | ShareProfile) -> list[Fraction]:
    """``mean``: each service's average share (Freeman et al. 2019, §1, as the manipulable
    baseline: exaggerating a favourite service always pulls the mean towards it). No ties."""
    profile = _as_profile(ballots)
    return [_column_sum(column, profile.totals) / profile.voters for column in profile.columns]


def _column_sum(numerators: Sequence[int], denominators: Sequence[int]) -> Fraction:
    """Exact sum of the shares x / d, adding numerators per distinct denominator first."""
    if len(set(denominators)) == 1:
        return Fraction(sum(numerators), denominators[0])
    per_denominator: dict[int, int] = {}
    for numerator, denominator in zip(numerators, denominators, strict=True):
        per_denominator[denominator] = per_denominator.get(denominator, 0) + numerator
    return sum((Fraction(total, d) for d, total in per_denominator.items()), Fraction(0))


def normalised_median_shares(ballots: Sequence[ShareVector] | ShareProfile) -> list[Fraction]:
    """``median``: the coordinate-wise median, rescaled so the shares sum to 1.

    Source: Freeman et al. 2019, §1 (the coordinate-wise median is truthful but does not sum
    to 1, so it must be normalised, which loses truthfulness). With an even number of
    ballots a service's median is the midpoint of its two middle values. When every median
    is 0 (e.g. four residents each giving everything to a different service) nothing is
    left to normalise, and the rule returns the mean shares instead. No ties.
    """
    profile = _as_profile(ballots)
    voters = profile.voters
    middle = [(voters - 1) // 2, voters // 2]
    medians = [
        sum((Fraction(numerators[r], denominators[r]) for r in middle), Fraction(0)) / 2
        for numerators, denominators in zip(profile.numerators, profile.denominators, strict=True)
    ]
    total = sum(medians, Fraction(0))
    if total == 0:
        return mean_shares(profile)
    return [median / total for median in medians]


def independent_markets(ballots: Sequence[ShareVector] | ShareProfile) -> PhantomOutcome:
    """``independent-markets``: the moving-phantom mechanism with phantoms
    f_k(t) = min(1, t·(n − k)), k = 0..n (Freeman, Pennock, Peters & Wortman Vaughan,
    "Truthful aggregation of budget proposals", EC 2019 / JET 2021, §4).

    Service j gets median(p_1j, ..., p_nj, f_0(t), ..., f_n(t)) at the smallest t where the
    medians sum to 1. Since the phantoms are 0, t, 2t, ..., nt (capped at 1) and x_[k], the
    k-th largest share of service j, falls with k, that median equals
    max_k min(x_[k], k·t) = max(k*·t, x_[k*+1]) with k* = max{k : k·t <= x_[k]}. The sum over
    services is continuous, nondecreasing and piecewise linear in t; we bisect on t, and at
    every step solve the linear piece just right of the lower end (and just left of the upper
    end) exactly, accepting a root r only if the sum at r is 1 and its slope just left of r
    is positive — which makes r the smallest root. All arithmetic is on integers.
    No ties: the outcome is unique.
    """
    profile = _as_profile(ballots)
    columns = list(zip(profile.numerators, profile.denominators, strict=True))
    low, high = Fraction(0), Fraction(1)
    while True:
        for side, point in (("right", low), ("left", high)):
            slope, intercept = _phantom_line(columns, point, side)
            if slope and _is_first_root(columns, (1 - intercept) / slope):
                root = (1 - intercept) / slope
                return PhantomOutcome(t=root, shares=[_phantom_median(*c, root) for c in columns])
        middle = (low + high) / 2
        slope, intercept = _phantom_line(columns, middle, "right")
        if slope * middle + intercept < 1:
            low = middle
        else:
            high = middle


def independent_markets_shares(ballots: Sequence[ShareVector] | ShareProfile) -> list[Fraction]:
    """The shares of ``independent_markets`` (see there for the rule and its source)."""
    return independent_markets(ballots).shares


Column = tuple[tuple[int, ...], tuple[int, ...]]


def _phantom_crossing(
    numerators: tuple[int, ...], denominators: tuple[int, ...], t: Fraction, strict: bool
) -> int:
    """max{k : k·t <= x_[k]} (``<`` when ``strict``), by bisection; k = 0 always qualifies."""
    p, q = t.numerator, t.denominator
    low, high = 0, len(numerators)
    while low < high:
        middle = (low + high + 1) // 2
        phantom = p * middle * denominators[middle - 1]
        vote = q * numerators[middle - 1]
        if phantom < vote or (not strict and phantom == vote):
            low = middle
        else:
            high = middle - 1
    return low


def _phantom_line(columns: Sequence[Column], t: Fraction, side: str) -> tuple[int, Fraction]:
    """Slope and intercept of t -> sum of the services' medians on one side of ``t``.

    Just right of t a phantom k·t at a vote's value has already passed it (strict crossing),
    and at a tie between the rising phantom and the next vote the phantom wins; just left
    of t the opposite holds.
    """
    right = side == "right"
    slope, intercept = 0, Fraction(0)
    for numerators, denominators in columns:
        crossing = _phantom_crossing(numerators, denominators, t, strict=right)
        if crossing == len(numerators):
            slope += crossing
            continue
        next_vote = Fraction(numerators[crossing], denominators[crossing])
        phantom = t * crossing
        if phantom > next_vote or (right and phantom == next_vote):
            slope += crossing
        else:
            intercept += next_vote
    return slope, intercept


def _is_first_root(columns: Sequence[Column], t: Fraction) -> bool:
    slope, intercept = _phantom_line(columns, t, "left")
    return slope > 0 and slope * t + intercept == 1


def _phantom_median(
    numerators: tuple[int, ...], denominators: tuple[int, ...], t: Fraction
) -> Fraction:
    crossing = _phantom_crossing(numerators, denominators, t, strict=False)
    if crossing == len(numerators):
        return t * crossing
    return max(t * crossing, Fraction(numerators[crossing], denominators[crossing]))


def utilitarian_moving_phantoms(ballots: Sequence[ShareVector] | ShareProfile) -> PhantomOutcome:
    """Utilitarian moving phantoms: phantoms f_k(t) = min(1, max(0, (n+1)·t − k)), k = 0..n,
    which rise to 1 one after another (Freeman et al. 2019, §5: maximises utilitarian welfare
    among moving-phantom mechanisms for L1 utilities).

    Solved exactly by listing every position where the medians can change slope (a phantom
    reaching a share value, 0 or 1), finding the first with sum >= 1 and interpolating on the
    linear piece before it. That list grows with n² × services, so this is for small profiles
    (comparisons, test vectors), not for a live round. No ties: the outcome is unique.
    """
    profile = _as_profile(ballots)
    voters = profile.voters
    columns = [_shares(profile, service) for service in range(len(profile.numerators))]
    values = {Fraction(0), Fraction(1)}.union(*columns)
    positions = sorted(_unit_interval_positions(values, voters))

    def medians(t: Fraction) -> list[Fraction]:
        phantoms = [_clamp((voters + 1) * t - k) for k in range(voters + 1)]
        return [sorted(column + phantoms)[voters] for column in columns]

    def total(t: Fraction) -> Fraction:
        return sum(medians(t), Fraction(0))

    first = bisect_left(positions, Fraction(1), key=total)
    start, end = positions[first - 1], positions[first]
    start_total, end_total = total(start), total(end)
    t = start + (1 - start_total) * (end - start) / (end_total - start_total)
    return PhantomOutcome(t=t, shares=medians(t))


def _clamp(value: Fraction) -> Fraction:
    return min(Fraction(1), max(Fraction(0), value))


def _unit_interval_positions(values: set[Fraction], voters: int) -> set[Fraction]:
    positions = {(value + k) / (voters + 1) for k in range(voters + 1) for value in values}
    return {t for t in positions if 0 <= t <= 1}


def utilitarian_moving_phantoms_shares(
    ballots: Sequence[ShareVector] | ShareProfile,
) -> list[Fraction]:
    """The shares of ``utilitarian_moving_phantoms`` (see there for the rule and its source)."""
    return utilitarian_moving_phantoms(ballots).shares


ShareRule = Callable[[Sequence[ShareVector] | ShareProfile], list[Fraction]]

ALLOCATION_RULES: Mapping[str, ShareRule] = {
    "mean": mean_shares,
    "median": normalised_median_shares,
    "independent-markets": independent_markets_shares,
}


@dataclass(frozen=True)
class CeilingRound:
    """One round of ceiling clipping: what was cut from whom, and who received it."""

    clipped: dict[str, Fraction]
    redistributed: dict[str, Fraction]


@dataclass(frozen=True)
class AllocationResult:
    """A split of the service budget, with the data to explain it.

    ``amounts`` sums exactly to ``budget``; ``shares`` are ``amounts / budget``.
    ``floors`` were funded first; the rule split ``discretionary`` (the rest) by
    ``discretionary_shares``; ``ceiling_rounds`` lists each clipping round in order.
    ``ballots_counted`` ballots expressed a preference over the discretionary money;
    ``ballots_excluded`` did not (all zero, or nothing above the floors).
    """

    rule_id: str
    budget: Fraction
    amounts: dict[str, Fraction]
    shares: dict[str, Fraction]
    floors: dict[str, Fraction]
    discretionary: Fraction
    discretionary_shares: dict[str, Fraction]
    ceiling_rounds: tuple[CeilingRound, ...]
    ballots_counted: int
    ballots_excluded: int


@dataclass(frozen=True)
class AllocationProfile:
    """Everything an allocation rule needs: the ballots (an amount or a share per service
    id), the budget, and the services in order with their floors and ceilings."""

    ballots: Sequence[Mapping[str, Amount]]
    budget: Amount
    services: Sequence[str] | None = None
    floors: Mapping[str, Amount] = field(default_factory=dict)
    ceilings: Mapping[str, Amount] = field(default_factory=dict)

    @cached_property
    def discretionary(self) -> DiscretionaryBallots:
        """Steps 1 to 3 of ``allocate``, read once however many rules split this profile
        (they are the same for every rule; the officers' review runs them all)."""
        return _discretionary_ballots(self)


@dataclass(frozen=True)
class DiscretionaryBallots:
    """The checked budget, services, floors and ceilings, and the ballots' discretionary
    parts as a profile (``None`` when no ballot has one): steps 1 to 3 of ``allocate``."""

    budget: Fraction
    service_ids: list[str]
    floor_of: dict[str, Fraction]
    ceilings: dict[str, Fraction]
    profile: ShareProfile | None
    ballots: int
    excluded: int


def split(rule_id: str, profile: AllocationProfile) -> AllocationResult:
    """``allocate`` over a whole profile (steps 1 to 3 read once, however many rules split
    it): what the registry calls for an allocation rule."""
    _require_rule(rule_id)
    return _divide(rule_id, profile.discretionary)


def allocate(
    rule_id: str,
    ballots: Sequence[Mapping[str, Amount]],
    budget: Amount,
    *,
    floors: Mapping[str, Amount] | None = None,
    ceilings: Mapping[str, Amount] | None = None,
    services: Sequence[str] | None = None,
) -> AllocationResult:
    """Split ``budget`` across services by rule ``rule_id`` (a key of ``ALLOCATION_RULES``).

    ``ballots`` give an amount (int or Fraction, e.g. pounds or pence) or a share per
    service id; a missing service counts as 0. ``services`` fixes the services and their
    order (default: first appearance in floors, ceilings, then ballots). Exactly:

    1. Every service receives its floor (default 0). The rest is the discretionary budget.
    2. Each ballot is read as proportions of its own total, i.e. rescaled to the budget
       (so shares, amounts and ballots within a tolerance of the budget all work). Its
       discretionary part is what it gives each service above that service's floor
       (nothing where it gives the floor or less), read again as proportions.
    3. A ballot that is all zero, or gives nothing above any floor, expresses no preference
       over the discretionary budget and is left out (``ballots_excluded``). With no ballot
       left, the discretionary budget is split equally.
    4. The rule splits the discretionary budget: amount = floor + share × discretionary.
    5. Ceilings: every service above its ceiling is cut to it, and the money cut is shared
       among the services not cut so far, in proportion to their discretionary shares
       (equally if those are all 0). Repeat until no service is above its ceiling.

    Raises ``ValueError`` for an unknown rule, a budget that is not positive, negative or
    non-rational amounts, unknown service ids, a floor above its ceiling, floors summing to
    more than the budget, or ceilings (on every service) summing to less than it.
    """
    return split(
        rule_id, AllocationProfile(ballots, budget, services, floors or {}, ceilings or {})
    )


def _require_rule(rule_id: str) -> None:
    if rule_id not in ALLOCATION_RULES:
        raise ValueError(
            f"unknown allocation rule {rule_id!r}; known: {', '.join(ALLOCATION_RULES)}"
        )


def _discretionary_ballots(given: AllocationProfile) -> DiscretionaryBallots:
    """Steps 1 to 3 of ``allocate`` (see there, with the ``ValueError`` it raises)."""
    ballots = given.ballots
    budget = _exact(given.budget, "the budget")
    if budget <= 0:
        raise ValueError(f"the budget must be positive, got {budget}")
    exact_floors = {
        key: _exact(value, f"the floor of {key}") for key, value in given.floors.items()
    }
    exact_ceilings = {
        key: _exact(value, f"the ceiling of {key}") for key, value in given.ceilings.items()
    }
    service_ids = (
        list(given.services)
        if given.services is not None
        else _services_in_order(exact_floors, exact_ceilings, ballots)
    )
    _require_known(exact_floors, service_ids, "floors given")
    floor_of = {service: exact_floors.get(service, Fraction(0)) for service in service_ids}
    _check_limits(budget, service_ids, floor_of, exact_ceilings)

    with collector_paused():
        profile, excluded = _discretionary_profile(ballots, service_ids, budget, floor_of)
    return DiscretionaryBallots(
        budget, service_ids, floor_of, exact_ceilings, profile, len(ballots), excluded
    )


def _divide(rule_id: str, read: DiscretionaryBallots) -> AllocationResult:
    """Steps 4 and 5 of ``allocate``."""
    budget, service_ids, floor_of = read.budget, read.service_ids, read.floor_of
    profile = read.profile
    if profile is None:
        rule_shares = [Fraction(1, len(service_ids))] * len(service_ids)
    else:
        rule_shares = ALLOCATION_RULES[rule_id](profile)
    discretionary_shares = dict(zip(service_ids, rule_shares, strict=True))
    discretionary = budget - sum(floor_of.values())
    amounts = {
        service: floor_of[service] + share * discretionary
        for service, share in discretionary_shares.items()
    }
    rounds = _clip_to_ceilings(amounts, read.ceilings, discretionary_shares)
    return AllocationResult(
        rule_id=rule_id,
        budget=budget,
        amounts=amounts,
        shares={service: amount / budget for service, amount in amounts.items()},
        floors=dict(floor_of),  # each result its own: a profile's rules share ``read``
        discretionary=discretionary,
        discretionary_shares=discretionary_shares,
        ceiling_rounds=rounds,
        ballots_counted=read.ballots - read.excluded,
        ballots_excluded=read.excluded,
    )


def _exact(value: object, what: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        raise ValueError(f"{what} must be an int or a Fraction, got {value!r}")
    if value < 0:
        raise ValueError(f"{what} cannot be negative, got {value}")
    return Fraction(value)


def _services_in_order(
    floors: Mapping[str, Fraction],
    ceilings: Mapping[str, Fraction],
    ballots: Sequence[Mapping[str, Amount]],
) -> list[str]:
    seen = dict.fromkeys(itertools.chain(floors, ceilings, itertools.chain.from_iterable(ballots)))
    if not seen:
        raise ValueError("no services: give services, floors, ceilings or a non-empty ballot")
    return list(seen)


def _require_known(keys: Iterable[str], service_ids: Sequence[str], what: str) -> None:
    unknown = set(keys) - set(service_ids)
    if unknown:
        raise ValueError(f"{what} for unknown services: {', '.join(sorted(map(str, unknown)))}")


def _check_limits(
    budget: Fraction,
    service_ids: Sequence[str],
    floor_of: Mapping[str, Fraction],
    ceilings: Mapping[str, Fraction],
) -> None:
    if not service_ids:
        raise ValueError("no services to allocate to")
    if len(set(service_ids)) != len(service_ids):
        raise ValueError("a service id is listed twice")
    _require_known(ceilings, service_ids, "ceilings given")
    for service, ceiling in ceilings.items():
        if floor_of[service] > ceiling:
            raise ValueError(f"{service}: floor {floor_of[service]} is above ceiling {ceiling}")
    floor_total = sum(floor_of.values())
    if floor_total > budget:
        raise ValueError(f"floors sum to {floor_total}, more than the budget {budget}")
    if len(ceilings) == len(service_ids) and sum(ceilings.values()) < budget:
        raise ValueError(f"ceilings sum to {sum(ceilings.values())}, less than the budget {budget}")


def _discretionary_profile(
    ballots: Sequence[Mapping[str, Amount]],
    service_ids: Sequence[str],
    budget: Fraction,
    floor_of: Mapping[str, Fraction],
) -> tuple[ShareProfile | None, int]:
    """The ballots' discretionary parts as a profile (None if no ballot has one), and how
    many ballots were left out for having none."""
    columns = _columns(ballots, service_ids)
    # Service by service, as a person would read them: amounts of the wrong type, then
    # negative ones (read from the integers below, one pass for all services).
    typed = [set(map(type, column)) <= {int, Fraction} for column in columns]
    readable = typed.index(False) if False in typed else len(columns)
    # Each ballot is read as proportions of its own total, so amounts over one common
    # denominator are read as the amounts themselves.
    _, integers = integer_columns(columns[:readable])
    for service, scaled in zip(service_ids, integers, strict=False):
        if scaled and min(scaled) < 0:
            raise ValueError(f"an amount for {service} is negative")
    if readable < len(columns):
        raise ValueError(f"amounts for {service_ids[readable]} must be int or Fraction")
    totals = _row_totals(integers, len(ballots))
    if any(floor_of.values()):
        integers, totals = _above_floors(integers, totals, service_ids, budget, floor_of)
    kept = [index for index, total in enumerate(totals) if total > 0]
    if not kept:
        return None, len(ballots)
    if len(kept) < len(totals):
        integers = [[column[index] for index in kept] for column in integers]
        totals = [totals[index] for index in kept]
    return ShareProfile(integers, totals), len(ballots) - len(kept)


def _columns(
    ballots: Sequence[Mapping[str, Amount]], service_ids: Sequence[str]
) -> list[list[Amount]]:
    """One list per service of every ballot's amount (0 where a ballot leaves it out)."""
    if len(service_ids) > 1 and set(map(len, ballots)) <= {len(service_ids)}:
        try:
            rows = list(map(itemgetter(*service_ids), ballots))
        except KeyError:
            pass  # a ballot names some other service in place of one of ours
        else:
            return (
                [list(column) for column in zip(*rows, strict=True)]
                if rows
                else [[] for _ in service_ids]
            )
    known = set(service_ids)
    for number, ballot in enumerate(ballots, start=1):
        if not ballot.keys() <= known:
            _require_known(ballot.keys(), service_ids, f"ballot {number} gives amounts")
    return [[ballot.get(service, 0) for ballot in ballots] for service in service_ids]


def _above_floors(
    integers: list[list[int]],
    totals: list[int],
    service_ids: Sequence[str],
    budget: Fraction,
    floor_of: Mapping[str, Fraction],
) -> tuple[list[list[int]], list[int]]:
    """Ballot i gives service j x_ij·budget/T_i once rescaled to the budget; above the floor
    that is max(0, x_ij·budget − floor_j·T_i) / T_i. The common 1/T_i does not change the
    proportions, so we keep the integers max(0, x_ij·B − f_j·T_i) over a common denominator."""
    denominator = math.lcm(budget.denominator, *(floor_of[s].denominator for s in service_ids))
    scaled_budget = int(budget * denominator)
    above = [
        [
            part if part > 0 else 0
            for part in map(
                sub,
                map(mul, column, repeat(scaled_budget)),
                map(mul, totals, repeat(int(floor_of[service] * denominator))),
            )
        ]
        for column, service in zip(integers, service_ids, strict=True)
    ]
    return above, _row_totals(above, len(totals))


def _clip_to_ceilings(
    amounts: dict[str, Fraction],
    ceilings: Mapping[str, Fraction],
    discretionary_shares: Mapping[str, Fraction],
) -> tuple[CeilingRound, ...]:
    """Step 5 of ``allocate``, in place on ``amounts``; returns the rounds for explanation."""
    open_services = list(amounts)
    rounds: list[CeilingRound] = []
    while True:
        clipped = {
            service: amounts[service] - ceilings[service]
            for service in open_services
            if service in ceilings and amounts[service] > ceilings[service]
        }
        if not clipped:
            return tuple(rounds)
        open_services = [service for service in open_services if service not in clipped]
        for service in clipped:
            amounts[service] = ceilings[service]
        weights = {service: discretionary_shares[service] for service in open_services}
        if not any(weights.values()):
            weights = dict.fromkeys(open_services, Fraction(1))
        weight_total = sum(weights.values())
        excess = sum(clipped.values())
        redistributed = {
            service: excess * weight / weight_total for service, weight in weights.items()
        }
        for service, received in redistributed.items():
            amounts[service] += received
        rounds.append(CeilingRound(clipped=clipped, redistributed=redistributed))
