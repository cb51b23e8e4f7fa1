"""Explanation steps: every rule family's steps say which of their numbers are money."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from budgeting.engine.steps import (
    CompletionStep,
    EqualSharesStep,
    GreedyStep,
    PhragmenStep,
    SelectionStep,
    WelfareStep,
    money_fields,
)

MONEY = {
    GreedyStep: {"cost", "budget_left", "shortfall"},
    WelfareStep: {"cost"},
    PhragmenStep: {"cost", "budget_left", "shortfall"},
    EqualSharesStep: {
        "cost",
        "share_per_point",
        "ran_out_paid",
        "spent",
        "budget_left",
        "voter_money_left",
    },
    CompletionStep: {"cost", "budget_left"},
}


@pytest.mark.parametrize("step_type", MONEY, ids=lambda step_type: step_type.__name__)
def test_money_fields_are_declared_as_money_and_nothing_else_is(step_type) -> None:
    assert money_fields(step_type) == MONEY[step_type]
    assert money_fields(step_type) <= {field.name for field in dataclasses.fields(step_type)}


def test_facts_are_the_fields_beyond_kind_and_project() -> None:
    step = WelfareStep(
        kind="selected", project_id="p1", score=Fraction(3), supporters=3, cost=Fraction(10)
    )
    assert step.facts() == {"score": 3, "supporters": 3, "cost": 10}
    assert isinstance(step, SelectionStep)
