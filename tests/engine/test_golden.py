"""Golden tests on real elections: pabutools' outcomes and what cities really funded.

``reference_results.json`` holds pabutools 1.2.3 outcomes (see its ``_meta``) for these
files. pabutools breaks ties by project id alone; this engine uses lower cost, then more
supporters, then id. On these files no greedy outcome depends on that difference:
``test_greedy_outcomes_do_not_depend_on_ties`` checks that every group of projects with equal
score is either funded or passed over as a whole.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from itertools import groupby

import pytest

from budgeting.engine.greedy import greedy, greedy_cost, ranked_by_score, tally
from budgeting.engine.model import ProjectProfile, SelectionResult
from budgeting.engine.phragmen import phragmen
from budgeting.engine.registry import recorded_rule
from budgeting.engine.welfare import max_welfare
from tests.conftest import load_pb, load_profile, manifest, reference_results

LARGE = {entry["file"] for entry in manifest() if entry["num_voters"] > 20_000}

RULES: dict[str, Callable[[ProjectProfile], SelectionResult]] = {
    "greedy_cost": greedy,  # pabutools greedy, cost satisfaction = greedy by votes
    "greedy_score": greedy,  # pabutools greedy by points / Kraków positional points
    "greedy_card": greedy_cost,  # pabutools greedy, cardinality satisfaction
    "seq_phragmen": phragmen,
    "max_welfare_cost": max_welfare,
}


def _cases() -> list[object]:
    cases = []
    for name, entry in reference_results().items():
        if name.startswith("_"):
            continue
        approval = entry["meta"]["vote_type"] in ("approval", "choose-1")
        for key in RULES:
            if key in entry["rules"] and (approval or key == "greedy_score"):
                marks = [pytest.mark.slow] if name in LARGE else []
                cases.append(pytest.param(name, key, id=f"{name}-{key}", marks=marks))
    return cases


@pytest.mark.parametrize(("name", "key"), _cases())
def test_matches_pabutools(name: str, key: str) -> None:
    expected = reference_results()[name]["rules"][key]
    result = RULES[key](load_profile(name))
    assert sorted(result.selected) == sorted(expected["selected"])
    assert result.cost == Fraction(str(expected["total_cost"]))
    assert result.cost <= result.budget


def _recorded_cases() -> list[object]:
    cases = []
    for entry in manifest():
        if not entry["has_selected_column"] or entry["rule_meta"] == "unknown":
            continue
        marks = [pytest.mark.slow] if entry["file"] in LARGE else []
        cases.append(pytest.param(entry["file"], id=entry["file"], marks=marks))
    return cases


def test_every_file_with_a_recorded_rule_is_replayed() -> None:
    replayable = {entry["file"] for entry in manifest() if entry["has_selected_column"]}
    assert len(_recorded_cases()) == len(replayable) == 15


@pytest.mark.parametrize("name", _recorded_cases())
def test_recorded_rule_reproduces_what_the_city_funded(name: str) -> None:
    pbfile = load_pb(name)
    chosen, options = recorded_rule(pbfile)
    result = chosen.run(load_profile(name), **options)
    recorded = {row["project_id"] for row in pbfile.projects if row["selected"] == "1"}
    assert set(result.selected) == recorded
    assert result.cost <= result.budget


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(entry["file"], marks=[pytest.mark.slow] if entry["file"] in LARGE else [])
        for entry in manifest()
    ],
)
def test_greedy_outcomes_do_not_depend_on_ties(name: str) -> None:
    profile = load_profile(name)
    tallies = tally(profile)
    funded = set(greedy(profile).selected)
    for _, group in groupby(ranked_by_score(profile, tallies), key=lambda p: tallies[p.id].score):
        outcomes = {project.id in funded for project in group}
        assert len(outcomes) == 1, "a tie between equal scores decided the outcome"
