"""Ballot validation: every problem found, worded for residents, never a crash."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal
from fractions import Fraction
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgeting.engine import ballots as engine_ballots
from budgeting.engine.ballots import (
    LARGEST_NUMBER,
    AllocationSettings,
    ProjectSettings,
    ProjectVoteSettings,
    ServiceSettings,
    parse_allocation,
    parse_project_vote,
    validate_allocation,
    validate_project_vote,
)
from budgeting.i18n import text

ALLOCATION = AllocationSettings(
    budget=Fraction(100_000),
    services=(
        ServiceSettings("parks", "Parks", floor=Fraction(5_000), ceiling=Fraction(20_000)),
        ServiceSettings("libraries", "Libraries", floor=Fraction(10_000)),
        ServiceSettings("youth", "Youth work"),
    ),
)
PROJECTS = tuple(ProjectSettings(f"p{i}", f"Project {i}", Fraction(1_000 * i)) for i in range(1, 9))


def vote_settings(format_: str, **limits: object) -> ProjectVoteSettings:
    return ProjectVoteSettings(format=format_, projects=PROJECTS, **limits)  # type: ignore[arg-type]


def messages(problems: list) -> list[str]:
    return [problem.message() for problem in problems]


def test_a_valid_allocation_is_read_exactly() -> None:
    ballot, problems = parse_allocation(
        {"parks": "20000", "libraries": Decimal("30000.50"), "youth": 49_999.5}, ALLOCATION
    )
    assert problems == []
    assert ballot is not None
    assert ballot.amounts == {
        "parks": 20_000,
        "libraries": Fraction(60_001, 2),
        "youth": Fraction(99_999, 2),
    }


def test_allocation_problems_name_field_limit_and_amount() -> None:
    problems = validate_allocation(
        {"parks": 24_000, "libraries": 4_000, "youth": 70_500}, ALLOCATION
    )
    assert [(p.field, p.message()) for p in problems] == [
        ("parks", "Parks is £4,000 above its ceiling of £20,000."),
        ("libraries", "Libraries is £6,000 below its floor of £10,000."),
        ("total", "You have £1,500 left to allocate."),
    ]


def test_over_budget_and_tolerance() -> None:
    ballot = {"parks": 20_000, "libraries": 30_000, "youth": 50_001}
    assert messages(validate_allocation(ballot, ALLOCATION)) == [
        "You have allocated £1 more than the budget of £100,000."
    ]
    lenient = AllocationSettings(ALLOCATION.budget, ALLOCATION.services, tolerance=Fraction(1))
    assert validate_allocation(ballot, lenient) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (math.nan, "The amount for Youth work must be an ordinary number."),
        (math.inf, "The amount for Youth work must be an ordinary number."),
        (-math.inf, "The amount for Youth work must be an ordinary number."),
        ("NaN", "The amount for Youth work must be an ordinary number."),
        (Decimal("-Infinity"), "The amount for Youth work must be an ordinary number."),
        ("lots", "The amount for Youth work is not a number."),
        (True, "The amount for Youth work is not a number."),
        (None, "The amount for Youth work is not a number."),
        ([1], "The amount for Youth work is not a number."),
        (-3, "The amount for Youth work cannot be less than zero."),
        ("1e400", "The amount for Youth work is too large."),
        (10**20, "The amount for Youth work is too large."),
        ("0.001", "Give the amount for Youth work to the nearest £0.01."),
    ],
)
def test_bad_amounts(value: object, message: str) -> None:
    problems = validate_allocation(
        {"parks": 20_000, "libraries": 30_000, "youth": value}, ALLOCATION
    )
    assert [(p.field, p.message()) for p in problems if p.field != "total"] == [("youth", message)]


def test_unknown_missing_and_repeated_services() -> None:
    ballot = [("parks", 20_000), ("parks", 20_000), ("pool", 5), (7, 1), ("libraries", 80_000)]
    problems = validate_allocation(ballot, ALLOCATION)
    assert [(p.field, p.message()) for p in problems] == [
        ("parks", "You gave more than one amount for Parks."),
        ("pool", "“pool” is not one of this round's services."),
        ("7", "“7” is not one of this round's services."),
        ("youth", "Enter an amount for Youth work."),
    ]


@pytest.mark.parametrize("ballot", [None, "parks=5", 42, b"x", [1, 2], [("a", 1, 2)], iter([3])])
def test_unreadable_ballots(ballot: object) -> None:
    assert messages(validate_allocation(ballot, ALLOCATION)) == [
        "This ballot could not be read. Please fill it in again."
    ]


def test_messages_in_welsh() -> None:
    problems = validate_allocation(
        {"parks": 24_000, "libraries": 4_000, "youth": 70_500}, ALLOCATION
    )
    assert [p.message("cy") for p in problems] == [
        "Mae Parks £4,000 yn uwch na'r uchafswm o £20,000.",
        "Mae Libraries £6,000 yn is na'r isafswm o £10,000.",
        "Mae gennych £1,500 ar ôl i'w ddyrannu.",
    ]


def test_every_validation_message_has_english_and_welsh() -> None:
    from budgeting.i18n import _catalogue

    english = {k for k in _catalogue("en") if k.startswith("validation.")}
    welsh = {k for k in _catalogue("cy") if k.startswith("validation.")}
    assert english == welsh
    assert len(english) > 20
    for key in english:
        assert _catalogue("en")[key] != _catalogue("cy")[key]


def test_approval_limits_and_unknown_projects() -> None:
    settings_ = vote_settings("approval", max_approvals=5, min_approvals=1)
    assert validate_project_vote(["p1", "p2"], settings_) == []
    assert messages(validate_project_vote([f"p{i}" for i in range(1, 7)], settings_)) == [
        "You chose 6 projects; the most you can choose is 5."
    ]
    assert messages(validate_project_vote([], settings_)) == [
        "You have chosen 0 so far; please choose at least 1."
    ]
    assert messages(validate_project_vote(["p1", "p1", "zz"], settings_)) == [
        "You chose Project 1 more than once.",
        "“zz” is not one of this round's projects.",
        "You have chosen 0 so far; please choose at least 1.",
    ]


def test_approval_as_checkboxes() -> None:
    settings_ = vote_settings("approval")
    ballot, problems = parse_project_vote({"p1": True, "p2": 0, "p3": 1}, settings_)
    assert problems == []
    assert ballot is not None and ballot.scores == {"p1": 1, "p3": 1}
    assert messages(validate_project_vote({"p1": 2}, settings_)) == [
        "The choice for Project 1 must be yes or no."
    ]


_FLAG = st.one_of(
    st.sampled_from([0, 1, True, False, 0, 1]),
    st.sampled_from([2, -1, 1.0, Fraction(1), Decimal(1), "1", "yes", None, [1]]),
)
_PROJECT_ID = st.one_of(st.sampled_from([f"p{i}" for i in range(1, 9)]), st.just("zz"), st.just(1))


@settings(max_examples=400, deadline=None)
@given(
    ballot=st.dictionaries(_PROJECT_ID, _FLAG, max_size=9),
    format_=st.sampled_from(["approval", "knapsack"]),
    limits=st.tuples(st.integers(0, 3), st.one_of(st.none(), st.integers(0, 6))),
)
def test_the_usual_approval_ballot_read_at_once_is_read_as_entry_by_entry(
    ballot, format_, limits
) -> None:
    # A dict of known projects marked 1/0 or True/False is read in one pass
    # (``_usual_choices``); every ballot must come out of it exactly as entry by entry:
    # the same projects in the same order when valid, the same problems when not.
    least, most = limits
    settings_ = vote_settings(
        format_, min_approvals=least, max_approvals=most, budget=Fraction(12_000)
    )
    _read_alike(parse_project_vote, "_usual_choices", ballot, settings_)


class _NotText:
    """A key that is no text but hashes as ``name`` and claims to equal it, or
    (``raising``) fails when compared: a ballot naming it names something unknown, and
    reading it never raises."""

    def __init__(self, name: str, raising: bool) -> None:
        self.name = name
        self.raising = raising

    def __hash__(self) -> int:
        return hash(self.name)

    def __eq__(self, other: object) -> bool:
        if self.raising:
            raise RuntimeError("compared")
        return other == self.name


@pytest.mark.parametrize("raising", [False, True])
def test_an_approval_ballot_naming_no_text_is_read_entry_by_entry(raising) -> None:
    settings_ = vote_settings("approval")
    read, problems = parse_project_vote({_NotText("p1", raising): 1}, settings_)
    assert read is None
    assert [p.key for p in problems] == ["validation.vote.unknown_project"]


@pytest.mark.parametrize("raising", [False, True])
def test_an_allocation_naming_no_text_is_read_amount_by_amount(raising) -> None:
    ballot = {"parks": 20_000, "libraries": 40_000, _NotText("youth", raising): 40_000}
    read, problems = parse_allocation(ballot, ALLOCATION)
    assert read is None
    assert ("youth", "validation.allocation.missing") in [(p.field, p.key) for p in problems]


def test_an_approval_ballot_of_known_projects_marked_one_or_zero_is_read_at_once() -> None:
    settings_ = vote_settings("approval", max_approvals=3)
    with patch.object(engine_ballots, "_read_flag", side_effect=AssertionError):
        read, problems = parse_project_vote({"p3": 1, "p1": True, "p2": 0}, settings_)
    assert problems == []
    assert read is not None and list(read.scores.items()) == [("p3", 1), ("p1", 1)]


def test_knapsack_must_fit_the_budget() -> None:
    settings_ = vote_settings("knapsack", budget=Fraction(10_000))
    assert validate_project_vote(["p2", "p8"], settings_) == []
    assert messages(validate_project_vote(["p3", "p8"], settings_)) == [
        "Your projects cost £11,000, which is £1,000 more than the budget of £10,000."
    ]


def test_points() -> None:
    settings_ = vote_settings("points", max_points=10)
    ballot, problems = parse_project_vote({"p1": 3, "p2": 0, "p3": "7"}, settings_)
    assert problems == []
    assert ballot is not None and ballot.scores == {"p1": 3, "p3": 7}
    assert messages(validate_project_vote({"p1": 6, "p2": 5}, settings_)) == [
        "You gave 11 points; you have 10 to give."
    ]
    assert messages(validate_project_vote({"p1": 1.5, "p2": -1, "p3": "x"}, settings_)) == [
        "The points for Project 1 must be a whole number.",
        "The points for Project 2 cannot be less than zero.",
        "The points for Project 3 are not a number.",
    ]


def test_ranking() -> None:
    settings_ = vote_settings("ranking", max_ranked=3)
    ballot, problems = parse_project_vote(("p3", "p1"), settings_)
    assert problems == []
    assert ballot is not None and ballot.ranking == ("p3", "p1")
    assert ballot.scores == {"p3": 3, "p1": 2}
    assert messages(validate_project_vote(["p1", "p2", "p3", "p4"], settings_)) == [
        "You ranked 4 projects; the most you can rank is 3."
    ]
    assert messages(validate_project_vote(["p1", "p1"], settings_)) == [
        "You ranked Project 1 more than once."
    ]
    assert messages(validate_project_vote({"p1", "p2"}, settings_)) == [
        text("validation.ballot.unreadable")
    ]


class Hostile:
    """An object whose every method fails."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no eq")

    def __hash__(self) -> int:
        raise RuntimeError("no hash")

    def __iter__(self):
        raise RuntimeError("no iter")


junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.fractions()
    | st.text(max_size=50)
    | st.binary(max_size=10)
    | st.sampled_from(["parks", "libraries", "youth", "p1", "p2", "1e999999999", "-0", "sNaN"])
    | st.builds(Hostile)
    | st.from_type(type).flatmap(st.from_type),
    lambda children: (
        st.lists(children, max_size=5)
        | st.tuples(children, children)
        | st.dictionaries(
            st.sampled_from(["parks", "libraries", "youth", "p1", "p2", "p3"])
            | st.text(max_size=5),
            children,
            max_size=5,
        )
        | st.frozensets(st.integers() | st.text(max_size=3), max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(ballot=junk)
def test_allocation_validation_never_raises(ballot: object) -> None:
    problems = validate_allocation(ballot, ALLOCATION)
    for problem in problems:
        assert problem.message() and problem.message("cy")


@settings(max_examples=400, deadline=None)
@given(ballot=junk, format_=st.sampled_from(["approval", "knapsack", "points", "ranking"]))
def test_project_vote_validation_never_raises(ballot: object, format_: str) -> None:
    settings_ = vote_settings(
        format_, max_approvals=3, max_points=10, max_ranked=3, budget=Fraction(5_000)
    )
    problems = validate_project_vote(ballot, settings_)
    for problem in problems:
        assert problem.message() and problem.message("cy")


pence = st.integers(min_value=0, max_value=2_000_000).map(lambda p: Fraction(p, 100))


@settings(max_examples=300, deadline=None)
@given(
    amounts=st.tuples(pence, pence, pence),
    form=st.sampled_from([Fraction, Decimal, str, float, "int-if-whole"]),
)
def test_every_form_of_an_amount_is_read_as_exactly_that_amount(
    amounts: tuple[Fraction, Fraction, Fraction], form: object
) -> None:
    """Whole amounts come back as ints (no ``Fraction`` built for each of a city's
    ballots), the others as fractions; either way exactly what was given, and the total
    and the limits are checked on the exact values."""

    def written(amount: Fraction) -> object:
        if form == "int-if-whole":
            return int(amount) if amount.denominator == 1 else amount
        if form is str:
            return str(Decimal(amount.numerator) / amount.denominator)
        if form is Decimal:
            return Decimal(amount.numerator) / amount.denominator
        if form is float:
            return float(Decimal(amount.numerator) / amount.denominator)
        return amount

    parks, libraries, youth = amounts
    settings_ = AllocationSettings(
        budget=parks + libraries + youth,
        services=(
            ServiceSettings("parks", "Parks", floor=parks),
            ServiceSettings("libraries", "Libraries", ceiling=libraries),
            ServiceSettings("youth", "Youth work"),
        ),
    )
    given_amounts = {"parks": parks, "libraries": libraries, "youth": youth}
    ballot, problems = parse_allocation(
        {service: written(amount) for service, amount in given_amounts.items()}, settings_
    )
    assert problems == [] and ballot is not None
    assert ballot.amounts == given_amounts
    for amount in ballot.amounts.values():
        assert type(amount) is (int if amount.denominator == 1 else Fraction)
    one_penny_more = {**given_amounts, "libraries": libraries + Fraction(1, 100)}
    assert [p.field for p in validate_allocation(one_penny_more, settings_)] == [
        "libraries",
        "total",
    ]


def test_bounds_given_as_decimals_or_ints_are_compared_exactly() -> None:
    settings_ = AllocationSettings(
        budget=Fraction(10),
        services=(
            ServiceSettings("parks", "Parks", floor=Decimal("1.5"), ceiling=8),  # type: ignore[arg-type]
            ServiceSettings("youth", "Youth work"),
        ),
    )
    assert validate_allocation({"parks": "1.50", "youth": "8.50"}, settings_) == []
    problems = validate_allocation({"parks": "1.49", "youth": "8.51"}, settings_)
    assert [(p.field, p.key) for p in problems] == [("parks", "validation.allocation.below_floor")]


_WHOLE = st.integers(-5, 40)
_LIMIT = st.one_of(
    _WHOLE,
    _WHOLE,
    _WHOLE,
    st.fractions(min_value=-5, max_value=40, max_denominator=4),
    st.just(LARGEST_NUMBER + 1),
)
_AMOUNT = st.one_of(
    _WHOLE,
    _WHOLE,
    st.integers(LARGEST_NUMBER - 2, LARGEST_NUMBER + 2),
    st.fractions(min_value=-5, max_value=40, max_denominator=4),
    st.builds(Fraction, st.integers(-5, 40)),  # whole, as a Fraction
    st.booleans(),
    st.decimals(min_value=-5, max_value=40, places=2),
    st.sampled_from(["12", "7.5", "x", ""]),
    st.floats(min_value=-5, max_value=40, allow_nan=False),
)


@settings(max_examples=500, deadline=None)
@given(
    floors=st.lists(_LIMIT, min_size=3, max_size=3),
    ceilings=st.lists(st.one_of(st.none(), _LIMIT), min_size=3, max_size=3),
    amounts=st.lists(_AMOUNT, min_size=3, max_size=3),
    off_budget=st.one_of(st.integers(-2, 2), st.integers(-2, 2), st.fractions(-2, 2)),
    tolerance=st.sampled_from([Fraction(0), Fraction(0), Fraction(1), Fraction(1, 2)]),
    unit=st.sampled_from([Fraction(1, 100), Fraction(1, 100), Fraction(1), Fraction(5)]),
)
def test_the_usual_ballot_read_whole_at_once_is_read_as_amount_by_amount(
    floors, ceilings, amounts, off_budget, tolerance, unit
) -> None:
    # A ballot of whole amounts within every limit is read in one pass at C speed
    # (``_usual_amounts``); every ballot must come out of it exactly as amount by amount:
    # the same amounts when valid, the same problems when not. The budget is near the
    # ballot's total, so that many ballots are valid or just over or under.
    numbers = [a for a in amounts if isinstance(a, int | Fraction) and not isinstance(a, bool)]
    budget = max(Fraction(0), sum(map(Fraction, numbers), Fraction(0)) + off_budget)
    _assert_read_alike(floors, ceilings, amounts, budget, tolerance, unit)


def _assert_read_alike(floors, ceilings, amounts, budget, tolerance, unit) -> None:
    """The ballot giving ``amounts`` to services with these limits is read whole at once
    exactly as amount by amount (``_usual_amounts`` turned off): the same amounts, in the
    same order and of the same types, or the same problems."""
    services = tuple(
        ServiceSettings(
            f"s{n}",
            f"Service {n}",
            floor=Fraction(floor),
            ceiling=None if ceiling is None else Fraction(ceiling),
        )
        for n, (floor, ceiling) in enumerate(zip(floors, ceilings, strict=True))
    )
    settings_ = AllocationSettings(
        budget=Fraction(budget),
        services=services,
        tolerance=Fraction(tolerance),
        smallest_unit=Fraction(unit),
    )
    ballot = {service.id: amount for service, amount in zip(services, amounts, strict=True)}
    _read_alike(parse_allocation, "_usual_amounts", ballot, settings_)


def _read_alike(parse, fast_path: str, ballot: object, settings_: object):
    """``parse`` reads ``ballot`` with its fast path (the engine's function ``fast_path``)
    exactly as with it turned off: the same result, its items in the same order and of the
    same types, or the same problems. Returns the result."""
    at_once = parse(ballot, settings_)
    with patch.object(engine_ballots, fast_path, return_value=None):
        one_by_one = parse(ballot, settings_)
    assert at_once == one_by_one
    assert _in_order(at_once[0]) == _in_order(one_by_one[0])
    return at_once


def _in_order(read: Any) -> list[list[tuple[object, object, type]]] | None:
    """A read ballot's dictionaries as lists of (key, value, value's type), in order."""
    if read is None:
        return None
    values = [getattr(read, field.name) for field in dataclasses.fields(read)]
    return [[(k, v, type(v)) for k, v in d.items()] for d in values if isinstance(d, dict)]


def test_a_ballot_of_whole_amounts_within_its_limits_is_read_whole_at_once() -> None:
    services = (
        ServiceSettings("parks", "Parks", floor=Fraction(10)),
        ServiceSettings("libraries", "Libraries", ceiling=Fraction(90)),
    )
    settings_ = AllocationSettings(budget=Fraction(100), services=services)
    ballot = {"libraries": Fraction(40), "parks": 60}
    with patch.object(engine_ballots, "_check_limits", side_effect=AssertionError):
        read, problems = parse_allocation(ballot, settings_)
    assert problems == []
    assert read is not None and read.amounts == {"parks": 60, "libraries": 40}


def test_an_allocation_over_a_service_listed_twice_is_read_amount_by_amount() -> None:
    # Read whole at once, the second "a" would take b's floor and the total would count
    # a twice: such settings are read amount by amount, as they always were.
    services = (
        ServiceSettings("a", "A"),
        ServiceSettings("a", "A again"),
        ServiceSettings("b", "B", floor=Fraction(100)),
    )
    settings_ = AllocationSettings(budget=Fraction(400), services=services)
    read, _ = _read_alike(parse_allocation, "_usual_amounts", {"a": 200, "b": 0}, settings_)
    assert read is None


_NEAR_LIMITS = (
    # (floors, ceilings, amounts, budget, tolerance, smallest unit): at or just past a limit
    ((0, 0), (None, None), (60, 40), 100, 0, Fraction(1, 100)),  # valid
    ((-5, 0), (None, None), (-2, 102), 100, 0, Fraction(1, 100)),  # negative, floor below
    ((10, 0), (None, None), (9, 91), 100, 0, Fraction(1, 100)),  # below a floor
    ((0, 0), (50, None), (51, 49), 100, 0, Fraction(1, 100)),  # above a ceiling
    ((0, 0), (None, None), (LARGEST_NUMBER + 1, 0), LARGEST_NUMBER + 1, 0, Fraction(1, 100)),
    ((0, 0), (LARGEST_NUMBER + 5, None), (LARGEST_NUMBER + 1, 0), LARGEST_NUMBER + 1, 0, 1),
    ((0, 0), (None, None), (60, 41), 100, 0, Fraction(1, 100)),  # over the budget
    ((0, 0), (None, None), (60, 39), 100, 0, Fraction(1, 100)),  # under it
    ((0, 0), (None, None), (60, 41), 100, 1, Fraction(1, 100)),  # within the tolerance
    ((0, 0), (None, None), (60, 42), 100, 1, Fraction(1, 100)),  # past it
    ((0, 0), (None, None), (60, 45), 100, 5, Fraction(5)),  # 45 is 9 units of 5
    ((0, 0), (None, None), (61, 39), 100, 0, Fraction(5)),  # 61 is no whole number of 5s
    ((0, 0), (None, None), (Fraction(121, 2), Fraction(79, 2)), 100, 0, Fraction(1, 100)),
    ((0, 0), (None, None), (True, 99), 100, 0, Fraction(1, 100)),  # a bool is no amount
    # halves whose numerators add up to the budget: read whole, they would pass
    ((0, 0), (None, None), (Fraction(1, 2), 99), 100, 0, Fraction(1, 100)),
    ((Fraction(21, 2), 0), (None, None), (10, 90), 100, 0, Fraction(1, 100)),  # below 10.5
)


@pytest.mark.parametrize(
    ("floors", "ceilings", "amounts", "budget", "tolerance", "unit"), _NEAR_LIMITS
)
def test_the_usual_ballot_is_read_as_amount_by_amount_at_each_limit(
    floors, ceilings, amounts, budget, tolerance, unit
) -> None:
    _assert_read_alike(floors, ceilings, amounts, budget, tolerance, unit)
