"""A round's settings are checked in one place before it opens."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from itertools import pairwise

import pytest

from budgeting.engine.ballots import ServiceSettings
from budgeting.engine.readiness import (
    STATUSES,
    RoundPlan,
    round_problems,
    status_change_problem,
)

WORKING = RoundPlan(
    ballot_format="approval",
    selection_rule="mes",
    allocation_rule="independent-markets",
    completion="add1",
    service_budget=Fraction(10_000),
    project_budget=Fraction(8_000),
    services=[
        ServiceSettings("parks", "Parks", Fraction(2_000), Fraction(8_000)),
        ServiceSettings("libraries", "Libraries", Fraction(1_000), Fraction(6_000)),
    ],
    projects=3,
    max_approvals=2,
)


def test_a_round_that_can_work_has_no_problems() -> None:
    assert round_problems(WORKING) == []
    assert round_problems(replace(WORKING, ballot_format="points", max_points=10)) == []
    assert round_problems(replace(WORKING, selection_rule="greedy", completion="add7")) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"selection_rule": "nope"}, "project selection: unknown rule 'nope'"),
        ({"selection_rule": "mean"}, "project selection: rule 'mean' splits a budget"),
        ({"allocation_rule": "mes"}, "service split: rule 'mes' selects projects"),
        ({"completion": "add7"}, "completion must be one of none, add1"),
        (
            {"selection_rule": "phragmen", "ballot_format": "points", "max_points": 5},
            "rule 'phragmen' cannot read points ballots",
        ),
        (
            {"services": [ServiceSettings("parks", "Parks", Fraction(0), Fraction(6_000))]},
            "service ceilings add up to 6,000, less than the service budget 10,000",
        ),
        (
            {"services": [ServiceSettings("parks", "Parks", Fraction(10_001), Fraction(20_000))]},
            "service floors add up to 10,001, more than the service budget 10,000",
        ),
        (
            {
                "services": [
                    ServiceSettings("parks", "Parks", Fraction(9), Fraction(8)),
                    *WORKING.services,
                ]
            },
            "service 'Parks': its floor is above its ceiling",
        ),
        ({"services": []}, "at least one service"),
        ({"projects": 0}, "at least one project"),
        ({"ballot_format": "points"}, "needs the number of points"),
        ({"project_budget": Fraction(0)}, "project budget must be more than 0"),
    ],
)
def test_settings_that_cannot_work_are_named(change: dict[str, object], problem: str) -> None:
    problems = round_problems(replace(WORKING, **change))  # type: ignore[arg-type]
    assert any(problem in found for found in problems), problems


def test_rounds_move_one_way() -> None:
    for before, after in pairwise(STATUSES):
        assert status_change_problem(before, after) is None
        assert status_change_problem(before, before) is None
    assert "cannot go from closed to open" in (status_change_problem("closed", "open") or "")
    assert status_change_problem("draft", "closed") is not None
    assert status_change_problem("published", "draft") is not None
    assert "status must be one of" in (status_change_problem("open", "paused") or "")
