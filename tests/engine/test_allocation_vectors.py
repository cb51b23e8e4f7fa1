"""Every aggregation test vector (exact fractions, Freeman et al. 2019 formulas) is matched."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from budgeting.engine.allocation import (
    independent_markets,
    mean_shares,
    normalised_median_shares,
    utilitarian_moving_phantoms,
)

VECTORS_PATH = Path(__file__).parent.parent / "data" / "pabulib" / "aggregation_test_vectors.json"
VECTORS = [
    vector
    for vector in json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    if "votes" in vector  # the approval-ballot fair-mixing vectors are not divisible allocation
]


def fractions(values: list[str]) -> list[Fraction]:
    return [Fraction(value) for value in values]


def votes_of(vector: dict[str, Any]) -> list[list[Fraction]]:
    return [fractions(ballot) for ballot in vector["votes"]]


def test_the_vectors_are_there() -> None:
    assert len(VECTORS) >= 4


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_independent_markets(vector: dict[str, Any]) -> None:
    outcome = independent_markets(votes_of(vector))
    assert outcome.t == Fraction(vector["independent_markets"]["t_star"])
    assert outcome.shares == fractions(vector["independent_markets"]["allocation"])
    assert sum(outcome.shares) == Fraction(vector["independent_markets"]["sum"])


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_utilitarian_moving_phantoms(vector: dict[str, Any]) -> None:
    outcome = utilitarian_moving_phantoms(votes_of(vector))
    assert outcome.t == Fraction(vector["utilitarian_moving_phantoms"]["t_star"])
    assert outcome.shares == fractions(vector["utilitarian_moving_phantoms"]["allocation"])


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_mean(vector: dict[str, Any]) -> None:
    assert mean_shares(votes_of(vector)) == fractions(vector["mean"])


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_normalised_median(vector: dict[str, Any]) -> None:
    assert normalised_median_shares(votes_of(vector)) == fractions(
        vector["coordinatewise_median_normalised"]
    )
