"""Explanation steps: what a selection rule did with each project, as typed data.

Every rule returns its explanation as a tuple of these dataclasses, one family of steps per
family of rules, so pages, the command line and exports read fields by name, never strings
out of a dictionary. Amounts of money are declared with the ``Money`` type; everything else
(scores, loads, prices per unit of utility, counts) is a plain number. One name per idea
across rules: ``cost`` is the project's cost, ``budget_left`` the budget still unspent after
the step (unchanged by a step that funds nothing), ``shortfall`` how much more money a
project needed than was left, ``supporters`` how many ballots chose it and ``score`` its
votes or points.
"""

from __future__ import annotations

import dataclasses
import types
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

MONEY = "money"
Money = Annotated[Fraction, MONEY]
"""An exact amount of money (pounds, or the file's currency), as opposed to a score."""

GreedyOutcome = Literal[
    "selected", "skipped_does_not_fit", "below_threshold", "stopped_no_skip", "not_reached_no_skip"
]
PhragmenOutcome = Literal["selected", "stopped_does_not_fit"]


@dataclass(frozen=True)
class SelectionStep:
    """One entry of a rule's explanation: what happened (``kind``) to which project."""

    kind: str
    project_id: str

    def facts(self) -> dict[str, Any]:
        """The numbers behind the step, by field name (everything but kind and project)."""
        return {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if field.name not in ("kind", "project_id")
        }


@dataclass(frozen=True)
class GreedyStep(SelectionStep):
    """A project considered by a greedy walk (``greedy``, ``greedy-cost``), in walk order.

    ``threshold`` is set on ``below_threshold`` steps, ``shortfall`` on steps where the
    project did not fit.
    """

    kind: GreedyOutcome
    score: Fraction
    supporters: int
    cost: Money
    budget_left: Money
    shortfall: Money | None = None
    threshold: Fraction | None = None


@dataclass(frozen=True)
class WelfareStep(SelectionStep):
    """A project in the utilitarian optimum (``max-welfare``), in greedy order."""

    kind: Literal["selected"]
    score: Fraction
    supporters: int
    cost: Money


@dataclass(frozen=True)
class PhragmenStep(SelectionStep):
    """A purchase of sequential Phragmén, or the project it stopped at.

    ``load`` is the common load of the supporters once the project is bought (``None`` for a
    project that costs nothing).
    """

    kind: PhragmenOutcome
    cost: Money
    load: Fraction | None
    supporters: int
    budget_left: Money
    shortfall: Money | None = None


@dataclass(frozen=True)
class EqualSharesStep(SelectionStep):
    """One round of the Method of Equal Shares: the project bought and who paid for it.

    A supporter pays ``price_per_unit_utility`` (ρ) × utility, with utility = score × cost,
    or all the money she has left when that is less (Peters, Pierczyński & Skowron,
    "Proportional Participatory Budgeting with Additive Utilities", NeurIPS 2021;
    equalshares.net, "Cost utilities"). So ``share_per_point`` = ρ × cost is what a
    supporter paid per point (per approval on approval ballots); ``ran_out`` supporters
    paid all they had (``ran_out_paid`` in all); ``ran_out_sample`` names the first of them
    in ballot order.
    """

    kind: Literal["mes_round"]
    price_per_unit_utility: Fraction
    share_per_point: Money
    cost: Money
    supporters: int
    paid_in_full: int
    ran_out: int
    ran_out_paid: Money
    ran_out_sample: tuple[str, ...]
    spent: Money
    budget_left: Money
    voter_money_left: Money


@dataclass(frozen=True)
class CompletionStep(SelectionStep):
    """A project added greedily by votes after equal shares (the ``add1u`` completion)."""

    kind: Literal["completion"]
    score: Fraction
    supporters: int
    cost: Money
    budget_left: Money


def _is_money(hint: Any) -> bool:
    if get_origin(hint) in (Union, types.UnionType):
        return any(_is_money(part) for part in get_args(hint))
    return MONEY in getattr(hint, "__metadata__", ())


def money_fields(step_type: type[SelectionStep]) -> frozenset[str]:
    """The names of the fields of ``step_type`` declared as ``Money``."""
    hints = get_type_hints(step_type, include_extras=True)
    return frozenset(name for name, hint in hints.items() if _is_money(hint))
