"""The ballot's arithmetic: slider steps, the starting allocation and the balance helper
(the engine's ``balance_allocation``, in whole pounds)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from budgeting.ui.ballot import (
    ServiceLimits,
    balance,
    balancing,
    chosen_cost,
    left_to_allocate,
    slider_step,
    starting_allocation,
    whole_pounds,
)

SERVICES = [
    ServiceLimits("parks", Fraction(100), Fraction(600), Fraction(300)),
    ServiceLimits("libraries", Fraction(50), Fraction(400), Fraction(200)),
    ServiceLimits("youth", Fraction(0), Fraction(300), Fraction(100)),
]


def test_slider_step_gives_at_most_two_hundred_stops():
    assert slider_step(Fraction(150)) == 1
    assert slider_step(Fraction(1_200_000)) == 10_000
    assert slider_step(Fraction(2_000)) == 10
    assert slider_step(Fraction(2_001)) == 100


def test_whole_pounds_rounds_halves_up():
    assert whole_pounds(Fraction(5, 2)) == 3
    assert whole_pounds(Fraction(249, 100)) == 2


def test_left_to_allocate_is_signed():
    assert left_to_allocate({"a": 300, "b": 200}, Fraction(600)) == 100
    assert left_to_allocate({"a": 300, "b": 400}, Fraction(600)) == -100


def test_starting_allocation_scales_current_spend_above_floors():
    start = starting_allocation(SERVICES, Fraction(1200))
    assert sum(start.values()) == 1200
    # 200 + 150 + 100 above the floors, scaled by 1050 / 450 and rounded.
    assert start == {"parks": 567, "libraries": 400, "youth": 233}


def test_balance_keeps_proportions_above_floors():
    balanced = balance({"parks": 200, "libraries": 100, "youth": 50}, SERVICES, Fraction(700))
    # 100, 50 and 50 above the floors, scaled by 550 / 200: 275, 137.5 and 137.5.
    assert balanced == {"parks": 375, "libraries": 188, "youth": 137}
    assert sum(balanced.values()) == 700


def test_balance_stops_at_ceilings_and_shares_the_rest_by_room_left():
    balanced = balance({"parks": 600, "libraries": 50, "youth": 0}, SERVICES, Fraction(1000))
    # Parks is capped at 600; the other 350 goes by room to ceiling, 350 : 300.
    assert balanced == {"parks": 600, "libraries": 238, "youth": 162}


def test_balance_from_nothing_uses_room_to_ceilings():
    balanced = balance({"parks": 100, "libraries": 50, "youth": 0}, SERVICES, Fraction(800))
    assert sum(balanced.values()) == 800
    assert balanced["youth"] > 0


def test_balance_cannot_reach_an_impossible_budget_so_only_clips():
    assert balance({"parks": 9999, "libraries": 0, "youth": 0}, SERVICES, Fraction(100)) == {
        "parks": 600,
        "libraries": 50,
        "youth": 0,
    }


@given(
    st.lists(st.integers(0, 1_000), min_size=3, max_size=3),
    st.integers(150, 1_300),
)
def test_balance_always_reaches_a_reachable_budget_within_limits(amounts, budget):
    ids = [s.id for s in SERVICES]
    balanced = balance(dict(zip(ids, amounts, strict=True)), SERVICES, Fraction(budget))
    assert sum(balanced.values()) == budget
    for service in SERVICES:
        assert service.floor <= balanced[service.id] <= service.ceiling


def test_chosen_cost_adds_the_chosen_projects():
    costs = {"P1": Fraction(10), "P2": Fraction(25), "P3": Fraction(5)}
    assert chosen_cost(costs, ["P1", "P3"]) == 15
    assert chosen_cost(costs, []) == 0


def test_balance_keeps_the_services_the_resident_changed():
    amounts = {"parks": 500, "libraries": 100, "youth": 50}
    balanced = balance(amounts, SERVICES, Fraction(800), keep={"parks"})
    assert balanced["parks"] == 500  # kept exactly
    # The other 300 goes to libraries and youth: 50 and 50 above their floors, so equally.
    assert balanced == {"parks": 500, "libraries": 175, "youth": 125}
    plan = balancing(amounts, SERVICES, Fraction(800), keep={"parks"})
    assert plan.kept == ("parks",) and plan.spread_over == ("libraries", "youth")
    assert plan.difference == 150 and plan.blocked is None


def test_balance_says_when_the_kept_services_alone_exceed_the_budget():
    amounts = {"parks": 600, "libraries": 400, "youth": 100}
    plan = balancing(amounts, SERVICES, Fraction(900), keep={"parks", "libraries"})
    assert plan.blocked == "kept_over_budget" and plan.gap == 100
    assert plan.amounts["parks"] == 600 and plan.amounts["libraries"] == 400  # not changed


def test_balance_says_when_the_others_cannot_go_low_or_high_enough():
    low = balancing({"parks": 580, "libraries": 300}, SERVICES, Fraction(600), keep={"parks"})
    assert (low.blocked, low.gap) == ("others_at_floors", 30)  # floors 50 + 0, 20 left
    high = balancing({"parks": 100, "youth": 0}, SERVICES, Fraction(1000), keep={"parks"})
    assert (high.blocked, high.gap) == ("others_at_ceilings", 200)  # 400 + 300 < 900


def test_balance_with_every_service_changed_scales_them_all():
    amounts = {"parks": 200, "libraries": 100, "youth": 50}
    assert balance(amounts, SERVICES, Fraction(700), keep={"parks", "libraries", "youth"}) == (
        balance(amounts, SERVICES, Fraction(700))
    )


@given(
    st.lists(st.integers(0, 1_000), min_size=3, max_size=3),
    st.integers(150, 1_300),
    st.sets(st.sampled_from([s.id for s in SERVICES]), max_size=2),
)
def test_balance_keeps_what_it_keeps_and_reaches_the_budget_when_it_can(amounts, budget, keep):
    ids = [s.id for s in SERVICES]
    given_amounts = dict(zip(ids, amounts, strict=True))
    plan = balancing(given_amounts, SERVICES, Fraction(budget), keep)
    for service_id in plan.kept:
        assert plan.amounts[service_id] == given_amounts[service_id]
    if plan.blocked is None:
        assert sum(plan.amounts.values()) == budget
    for service in SERVICES:
        if service.id in plan.spread_over:
            assert service.floor <= plan.amounts[service.id] <= service.ceiling
