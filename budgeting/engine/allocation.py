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

import math
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from operator import attrgetter, mul

Amount = Fraction | int
ShareVector = Sequence[Amount]

DEFAULT_ALLOCATION_RULE = "independent-markets"

_numerator = attrgetter("numerator")
_denominator = attrgetter("denominator")


@dataclass(frozen=True)
class ShareProfile:
    """Ballots as share vectors with one common denominator.

    Voter i gives service j the share ``x / scale`` for an integer ``x``; each voter's
    integers sum to ``scale``. ``columns[j]`` holds service j's integers for every voter,
    sorted from largest to smallest (rules only need the multiset of ballots).
    """

    scale: int
    columns: tuple[tuple[int, ...], ...]
    voters: int


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
    integers = _integer_columns(columns)
    return _profile(integers, _row_totals(integers, len(ballots)))


def _integer_columns(columns: list[list[Amount]]) -> list[list[int]]:
    """Each ballot multiplied by the lcm of its denominators: the same proportions, as ints."""
    denominators = [list(map(_denominator, column)) for column in columns]
    if all(max(column, default=1) == 1 for column in denominators):
        return [list(map(_numerator, column)) for column in columns]
    multipliers = list(map(math.lcm, *denominators))
    return [
        [value.numerator * (multiplier // value.denominator) for value, multiplier in pairs]
        for pairs in (zip(column, multipliers, strict=True) for column in columns)
    ]


def _row_totals(columns: list[list[int]], voters: int) -> list[int]:
    return list(map(sum, zip(*columns, strict=True))) if columns else [0] * voters


def _profile(columns: list[list[int]], totals: list[int]) -> ShareProfile:
    """The profile of integer ballots with positive ``totals`` (ballot i's shares: x / totals[i])."""
    scale = math.lcm(*set(totals))
    if any(total != scale for total in totals):
        factors = [scale // total for total in totals]
        columns = [list(map(mul, column, factors)) for column in columns]
    return ShareProfile(
        scale=scale,
        columns=tuple(tuple(sorted(column, reverse=True)) for column in columns),
        voters=len(totals),
    )


def _as_profile(ballots: Sequence[ShareVector] | ShareProfile) -> ShareProfile:
    return ballots if isinstance(ballots, ShareProfile) else share_profile(ballots)


def mean_shares(ballots: Sequence[ShareVector] | ShareProfile) -> list[Fraction]:
    """``mean``: each service's average share (Freeman et al. 2019, §1, as the manipulable
    baseline: exaggerating a favourite service always pulls the mean towards it). No ties."""
    profile = _as_profile(ballots)
    return [Fraction(sum(column), profile.voters * profile.scale) for column in profile.columns]


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
    medians = [
        Fraction(column[(voters - 1) // 2] + column[voters // 2], 2) for column in profile.columns
    ]
    total = sum(medians)
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
    scale, columns = profile.scale, profile.columns
    # u = t·scale: phantom k sits at u·k in the profile's integer units.
    low, high = Fraction(0), Fraction(scale)
    while True:
        for side, point in (("right", low), ("left", high)):
            slope, intercept = _phantom_line(columns, point, side)
            if slope and _is_first_root(columns, scale, Fraction(scale - intercept, slope)):
                root = Fraction(scale - intercept, slope)
                shares = [_phantom_median(column, root) / scale for column in columns]
                return PhantomOutcome(t=root / scale, shares=shares)
        middle = (low + high) / 2
        slope, intercept = _phantom_line(columns, middle, "right")
        if slope * middle + intercept < scale:
            low = middle
        else:
            high = middle


def independent_markets_shares(ballots: Sequence[ShareVector] | ShareProfile) -> list[Fraction]:
    """The shares of ``independent_markets`` (see there for the rule and its source)."""
    return independent_markets(ballots).shares


def _phantom_crossing(column: tuple[int, ...], p: int, q: int, strict: bool) -> int:
    """max{k : k·p/q <= x_[k]} (``<`` when ``strict``), by bisection; k = 0 always qualifies."""
    low, high = 0, len(column)
    while low < high:
        middle = (low + high + 1) // 2
        phantom, vote = p * middle, q * column[middle - 1]
        if phantom < vote or (not strict and phantom == vote):
            low = middle
        else:
            high = middle - 1
    return low


def _phantom_line(
    columns: tuple[tuple[int, ...], ...], point: Fraction, side: str
) -> tuple[int, int]:
    """Slope and intercept of u -> sum of the services' medians on one side of ``point``.

    Just right of u a phantom k·u at a vote's value has already passed it (strict crossing),
    and at a tie between the rising phantom and the next vote the phantom wins; just left
    of u the opposite holds.
    """
    p, q = point.numerator, point.denominator
    right = side == "right"
    slope = intercept = 0
    for column in columns:
        crossing = _phantom_crossing(column, p, q, strict=right)
        next_vote = column[crossing] if crossing < len(column) else 0
        phantom, vote = p * crossing, q * next_vote
        if phantom > vote or (right and phantom == vote):
            slope += crossing
        else:
            intercept += next_vote
    return slope, intercept


def _is_first_root(columns: tuple[tuple[int, ...], ...], scale: int, point: Fraction) -> bool:
    slope, intercept = _phantom_line(columns, point, "left")
    return slope > 0 and slope * point + intercept == scale


def _phantom_median(column: tuple[int, ...], point: Fraction) -> Fraction:
    crossing = _phantom_crossing(column, point.numerator, point.denominator, strict=False)
    next_vote = column[crossing] if crossing < len(column) else 0
    return max(point * crossing, Fraction(next_vote))


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
    voters, scale = profile.voters, profile.scale
    columns = [[Fraction(x, scale) for x in column] for column in profile.columns]
    values = {Fraction(0), Fraction(1)}.union(*columns)
    positions = sorted(_unit_interval_positions(values, voters))

    def medians(t: Fraction) -> list[Fraction]:
        phantoms = [_clamp((voters + 1) * t - k) for k in range(voters + 1)]
        return [sorted(column + phantoms)[voters] for column in columns]

    first = bisect_left(positions, 1, key=lambda t: sum(medians(t)))
    start, end = positions[first - 1], positions[first]
    start_total, end_total = sum(medians(start)), sum(medians(end))
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
