"""The resident ballot's arithmetic, kept out of the page so it can be tested directly.

Amounts on the ballot are whole pounds (the widgets' unit). Validation itself belongs to
the engine; these functions only prepare a sensible starting point and help the resident
reach a balanced allocation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

SLIDER_POSITIONS = 200


@dataclass(frozen=True)
class ServiceLimits:
    """What the ballot needs to know about one service: its id and its money bounds."""

    id: str
    floor: Fraction
    ceiling: Fraction
    current_spend: Fraction


def whole_pounds(amount: Fraction) -> int:
    """``amount`` rounded to the nearest whole pound (halves round up)."""
    return math.floor(amount + Fraction(1, 2))


def slider_step(budget: Fraction) -> int:
    """A round step (1, 10, 100, ... pounds) giving a slider at most ``SLIDER_POSITIONS`` stops.

    Residents drag to the right order of magnitude; the number input next to the slider
    takes exact amounts.
    """
    step = 1
    while budget / step > SLIDER_POSITIONS:
        step *= 10
    return step


def left_to_allocate(amounts: Mapping[str, int | Fraction], budget: Fraction) -> Fraction:
    """Budget minus what is allocated: positive is unspent, negative is over budget."""
    return budget - sum((Fraction(value) for value in amounts.values()), Fraction(0))


def balance(
    amounts: Mapping[str, int | Fraction],
    services: Sequence[ServiceLimits],
    budget: Fraction,
) -> dict[str, int]:
    """Scale every service's amount above its floor by one common factor so the total is
    ``budget``, never going below a floor or above a ceiling.

    The resident's proportions above the floors are kept. When nothing is above its floor
    the room up to each ceiling is used as the proportions. When the floors alone exceed the
    budget, or the ceilings cannot reach it, the amounts are only clipped to their bounds
    (the engine then explains why the ballot cannot balance). Whole pounds, using the
    largest-remainder method so the rounded amounts still add up.
    """
    clipped = {
        s.id: min(max(Fraction(amounts.get(s.id, s.floor)), s.floor), s.ceiling) for s in services
    }
    floors_total = sum((s.floor for s in services), Fraction(0))
    ceilings_total = sum((s.ceiling for s in services), Fraction(0))
    if not floors_total <= budget <= ceilings_total:
        return {service_id: whole_pounds(value) for service_id, value in clipped.items()}
    weights = {s.id: clipped[s.id] - s.floor for s in services}
    exact = _fill_to_budget(services, weights, budget)
    return _round_keeping_total(exact, services, budget)


def _fill_to_budget(
    services: Sequence[ServiceLimits], weights: Mapping[str, Fraction], budget: Fraction
) -> dict[str, Fraction]:
    """Floors plus ``factor * weight``, with services that would pass their ceiling fixed at
    it and the factor recomputed for the rest (at most one pass per service). When the
    services left all weigh nothing, the room up to their ceilings is their weight."""
    at_ceiling: set[str] = set()
    while True:
        free = [s for s in services if s.id not in at_ceiling]
        fixed_total = sum((s.ceiling for s in services if s.id in at_ceiling), Fraction(0))
        room = budget - fixed_total - sum((s.floor for s in free), Fraction(0))
        free_weights = {s.id: weights[s.id] for s in free}
        if not any(free_weights.values()):
            free_weights = {s.id: s.ceiling - s.floor for s in free}
        weight_total = sum(free_weights.values(), Fraction(0))
        factor = room / weight_total if weight_total else Fraction(0)
        overflowing = {s.id for s in free if s.floor + factor * free_weights[s.id] > s.ceiling}
        if not overflowing:
            break
        at_ceiling |= overflowing
    return {
        s.id: s.ceiling if s.id in at_ceiling else s.floor + factor * free_weights[s.id]
        for s in services
    }


def _round_keeping_total(
    exact: Mapping[str, Fraction], services: Sequence[ServiceLimits], budget: Fraction
) -> dict[str, int]:
    """Round down to whole pounds, then hand the pounds lost in rounding to the services
    with the largest remainders that still have room below their ceiling."""
    rounded = {service_id: math.floor(value) for service_id, value in exact.items()}
    shortfall = whole_pounds(budget) - sum(rounded.values())
    ceilings = {s.id: s.ceiling for s in services}
    by_remainder = sorted(exact, key=lambda service_id: rounded[service_id] - exact[service_id])
    for service_id in by_remainder:
        if shortfall <= 0:
            break
        if rounded[service_id] + 1 <= ceilings[service_id]:
            rounded[service_id] += 1
            shortfall -= 1
    return rounded


def starting_allocation(services: Sequence[ServiceLimits], budget: Fraction) -> dict[str, int]:
    """Where a new ballot's sliders start: today's spending above the floors, scaled so the
    total is the round's budget.

    Starting from the status quo keeps the first screen balanced and meaningful; the
    resident moves money from there. Without any current spend the budget is spread in
    proportion to the room between floor and ceiling.
    """
    return balance({s.id: s.current_spend for s in services}, services, budget)


def chosen_cost(costs: Mapping[str, Fraction], chosen: Iterable[str]) -> Fraction:
    """The total cost of the chosen projects."""
    return sum((costs[project_id] for project_id in chosen), Fraction(0))
