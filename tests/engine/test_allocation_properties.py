"""Properties of the allocation rules on random profiles (hypothesis).

Budget balance, floors and ceilings, invariance under voter permutation, agreement of the
fast independent-markets solver with a direct reading of its definition, and truthfulness
of independent markets (no misreport moves the outcome closer to a voter's true ballot).
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgeting.engine.allocation import (
    ALLOCATION_RULES,
    AllocationProfile,
    allocate,
    independent_markets,
    integer_columns,
    split,
)

SERVICES = ["parks", "libraries", "youth", "streets"]


@st.composite
def share_vectors(draw: st.DrawFn, services: int, grid: int) -> list[Fraction]:
    """A share vector on the grid 0, 1/grid, ..., 1."""
    cuts = sorted(
        draw(st.lists(st.integers(0, grid), min_size=services - 1, max_size=services - 1))
    )
    bounds = [0, *cuts, grid]
    return [Fraction(b - a, grid) for a, b in itertools.pairwise(bounds)]


@st.composite
def amount_ballots(draw: st.DrawFn) -> list[dict[str, int]]:
    voters = draw(st.integers(0, 8))
    return [
        dict(
            zip(SERVICES, draw(st.lists(st.integers(0, 500), min_size=4, max_size=4)), strict=True)
        )
        for _ in range(voters)
    ]


@st.composite
def limits(draw: st.DrawFn, budget: int) -> tuple[dict[str, int], dict[str, int]]:
    """Feasible floors and ceilings for ``budget``."""
    floors = {s: draw(st.integers(0, budget // 8)) for s in SERVICES if draw(st.booleans())}
    ceilings = {}
    for service in SERVICES:
        if draw(st.booleans()):
            ceilings[service] = floors.get(service, 0) + draw(st.integers(0, budget))
    if len(ceilings) == len(SERVICES) and sum(ceilings.values()) < budget:
        ceilings.pop(SERVICES[0])
    return floors, ceilings


@settings(max_examples=150, deadline=None)
@given(
    rule=st.sampled_from(sorted(ALLOCATION_RULES)),
    ballots=amount_ballots(),
    budget=st.integers(1, 5000),
    data=st.data(),
)
def test_amounts_sum_to_the_budget_within_floors_and_ceilings(
    rule: str, ballots: list[dict[str, int]], budget: int, data: st.DataObject
) -> None:
    floors, ceilings = data.draw(limits(budget))
    result = allocate(rule, ballots, budget, floors=floors, ceilings=ceilings, services=SERVICES)
    assert sum(result.amounts.values()) == budget
    for service, amount in result.amounts.items():
        assert amount >= floors.get(service, 0)
        assert amount <= ceilings.get(service, budget)
    assert sum(result.shares.values()) == 1


@settings(max_examples=100, deadline=None)
@given(rule=st.sampled_from(sorted(ALLOCATION_RULES)), ballots=amount_ballots(), seed=st.randoms())
def test_voter_order_does_not_matter(rule: str, ballots: list[dict[str, int]], seed) -> None:
    shuffled = list(ballots)
    seed.shuffle(shuffled)
    first = allocate(rule, ballots, 1000, services=SERVICES)
    assert allocate(rule, shuffled, 1000, services=SERVICES).amounts == first.amounts


def by_definition(ballots: list[list[Fraction]]) -> tuple[Fraction, list[Fraction]]:
    """Independent markets read straight from its definition: medians of the ballots and
    phantoms min(1, t·i), i = 0..n, at every position where a phantom meets a share value,
    then the exact root on the linear piece where the sum first reaches 1."""
    voters, columns = len(ballots), list(zip(*ballots, strict=True))
    values = {Fraction(0), Fraction(1)}.union(*columns)
    positions = sorted(
        {value / i for value in values for i in range(1, voters + 1)} | {Fraction(0)}
    )

    def medians(t: Fraction) -> list[Fraction]:
        phantoms = [min(Fraction(1), t * i) for i in range(voters + 1)]
        return [sorted([*column, *phantoms])[voters] for column in columns]

    first = bisect_left(positions, 1, key=lambda t: sum(medians(t)))
    start, end = positions[first - 1], positions[first]
    low, high = sum(medians(start)), sum(medians(end))
    t = start + (1 - low) * (end - start) / (high - low)
    return t, medians(t)


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    voters=st.integers(1, 6),
    services=st.integers(1, 5),
    grid=st.sampled_from([1, 2, 3, 4, 5, 7, 10, 12]),
)
def test_independent_markets_matches_its_definition(
    data: st.DataObject, voters: int, services: int, grid: int
) -> None:
    ballots = [data.draw(share_vectors(services, grid)) for _ in range(voters)]
    outcome = independent_markets(ballots)
    assert (outcome.t, outcome.shares) == by_definition(ballots)


def l1(a: list[Fraction], b: list[Fraction]) -> Fraction:
    return sum((abs(x - y) for x, y in zip(a, b, strict=True)), Fraction(0))


def grid_ballots(services: int, grid: int) -> list[list[Fraction]]:
    return [
        [Fraction(part, grid) for part in parts]
        for parts in itertools.product(range(grid + 1), repeat=services)
        if sum(parts) == grid
    ]


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    voters=st.integers(2, 3),
    grid=st.sampled_from([4, 5]),
)
def test_independent_markets_cannot_be_manipulated(
    data: st.DataObject, voters: int, grid: int
) -> None:
    """Freeman et al. 2019, Theorem 4.1: every moving-phantom mechanism is truthful for
    L1 utilities. Brute force: no misreport on the grid brings the outcome closer."""
    ballots = [data.draw(share_vectors(3, grid)) for _ in range(voters)]
    truth = ballots[0]
    honest = l1(independent_markets(ballots).shares, truth)
    for report in grid_ballots(3, grid):
        outcome = independent_markets([report, *ballots[1:]]).shares
        assert l1(outcome, truth) >= honest, (ballots, report)


@st.composite
def pence_ballots(draw: st.DrawFn) -> list[dict[str, int]]:
    """Ballots in pence, with amounts repeated across ballots as a round's are."""
    amounts = draw(st.lists(st.integers(0, 50_000), min_size=1, max_size=6))
    voters = draw(st.integers(1, 10))
    return [
        {service: draw(st.sampled_from(amounts)) for service in SERVICES} for _ in range(voters)
    ]


@settings(max_examples=150, deadline=None)
@given(rule=st.sampled_from(sorted(ALLOCATION_RULES)), ballots=pence_ballots(), data=st.data())
def test_a_split_is_the_same_whatever_objects_or_units_hold_the_amounts(
    rule: str, ballots: list[dict[str, int]], data: st.DataObject
) -> None:
    """The same ballots as pence (ints), as pounds with each distinct amount one shared
    object (as the store reads a round) and as pounds with every amount its own object
    give one split: ballots are read as proportions, and amounts are converted by identity
    only where that identity is the same value."""
    budget = 2_000
    floors, ceilings = data.draw(limits(budget))
    shared: dict[int, Fraction] = {}
    as_shared_pounds = [
        {s: shared.setdefault(pence, Fraction(pence, 100)) for s, pence in b.items()}
        for b in ballots
    ]
    as_own_pounds = [{s: Fraction(pence, 100) for s, pence in b.items()} for b in ballots]
    results = [
        allocate(rule, given_ballots, budget, floors=floors, ceilings=ceilings, services=SERVICES)
        for given_ballots in (ballots, as_shared_pounds, as_own_pounds)
    ]
    assert results[0] == results[1] == results[2]


@settings(max_examples=100, deadline=None)
@given(ballots=pence_ballots(), data=st.data())
def test_one_profile_split_by_every_rule_in_turn_gives_each_rule_its_own_split(
    ballots: list[dict[str, int]], data: st.DataObject
) -> None:
    """The review splits one profile by every rule, reading its ballots once
    (``AllocationProfile.discretionary``): each split is the one its rule gives alone."""
    budget = 2_000
    floors, ceilings = data.draw(limits(budget))
    profile = AllocationProfile(ballots, budget, SERVICES, floors, ceilings)
    in_turn = [split(rule, profile) for rule in sorted(ALLOCATION_RULES)]
    alone = [
        allocate(rule, ballots, budget, floors=floors, ceilings=ceilings, services=SERVICES)
        for rule in sorted(ALLOCATION_RULES)
    ]
    assert in_turn == alone
    in_turn[0].floors.clear()  # a result's own: changing it changes no other
    assert in_turn[1].floors == alone[1].floors


@settings(max_examples=200, deadline=None)
@given(
    columns=st.lists(
        st.lists(
            st.one_of(st.integers(-(10**6), 10**6), st.fractions(max_denominator=1_000)),
            min_size=3,
            max_size=3,
        ),
        max_size=4,
    )
)
def test_amounts_over_one_common_denominator_are_exactly_the_amounts(
    columns: list[list[Fraction | int]],
) -> None:
    scale, integers = integer_columns(columns)
    assert [[Fraction(n, scale) for n in column] for column in integers] == columns
    assert scale == math.lcm(*(Fraction(a).denominator for c in columns for a in c))


def test_problems_are_named_service_by_service_whatever_their_kind() -> None:
    """A negative amount in an earlier service is named before an amount of the wrong type
    in a later one, and the other way round, as reading the ballot in order would."""
    with pytest.raises(ValueError, match="an amount for parks is negative"):
        allocate("mean", [{"parks": -1, "libraries": 1.5}], 10, services=["parks", "libraries"])
    with pytest.raises(ValueError, match="amounts for parks must be int or Fraction"):
        allocate("mean", [{"parks": 1.5, "libraries": -1}], 10, services=["parks", "libraries"])


def test_amounts_given_lazily_are_read_exactly() -> None:
    """Columns that make new objects each time they are read (a range) are read once."""
    scale, integers = integer_columns([range(1000, 1006), (Fraction(1, 2),) * 6])
    assert scale == 2
    assert integers == [[2 * n for n in range(1000, 1006)], [1] * 6]
