"""The resident ballot's arithmetic, kept out of the page so it can be tested directly.

Amounts on the ballot are whole pounds (the widgets' unit). Validation and the balancing
arithmetic belong to the engine (``budgeting.engine.ballots``); these functions prepare a
sensible starting point and put the engine's balancing in the ballot's whole pounds.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from budgeting.engine import ballots as engine_ballots

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
    keep: Collection[str] = (),
) -> dict[str, int]:
    """The ballot after "Balance", in whole pounds: ``balancing`` carried out."""
    return {
        service_id: whole_pounds(amount)
        for service_id, amount in balancing(amounts, services, budget, keep).amounts.items()
    }


def balancing(
    amounts: Mapping[str, int | Fraction],
    services: Sequence[ServiceLimits],
    budget: Fraction,
    keep: Collection[str] = (),
) -> engine_ballots.Balancing:
    """What "Balance" would do: the engine's ``balance_allocation`` in whole pounds, keeping
    the services in ``keep`` (those the resident has changed) and spreading the difference
    over the others. When the others cannot take it, the result says why
    (``Balancing.blocked``) and only brings them within their floors and ceilings."""
    settings = [engine_ballots.ServiceSettings(s.id, s.id, s.floor, s.ceiling) for s in services]
    return engine_ballots.balance_allocation(amounts, settings, budget, keep, unit=Fraction(1))


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
