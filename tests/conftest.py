"""Shared fixtures: the real pabulib elections copied into ``tests/data/pabulib``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from budgeting.engine.model import Project, ProjectBallot, ProjectProfile, VoteType
from budgeting.engine.pabulib import PBFile, read_pb
from tests.postgres_server import running_server

PABULIB_DIR = Path(__file__).parent / "data" / "pabulib"

# No per-example deadline in any property test: an example stalled by a busy machine (two
# test workers on two cores) would otherwise fail as "unreliable timings". Tests never
# assert wall-clock time.
settings.register_profile("budget_together", deadline=None)
settings.load_profile("budget_together")


@cache
def load_pb(name: str) -> PBFile:
    """The parsed ``.pb`` file ``name`` (relative to the pabulib data directory), read once."""
    return read_pb(PABULIB_DIR / name)


@cache
def load_profile(name: str) -> ProjectProfile:
    """The profile of ``.pb`` file ``name``, built once per test session."""
    return load_pb(name).to_profile()


@cache
def reference_results() -> dict[str, Any]:
    """pabutools' and the equalshares.net tool's recorded outcomes (see ATTRIBUTION.md)."""
    return json.loads((PABULIB_DIR / "reference_results.json").read_text(encoding="utf-8"))


def manifest() -> list[dict[str, Any]]:
    """One entry per ``.pb`` file: source, vote type, size, META rule, selected column."""
    return json.loads((PABULIB_DIR / "MANIFEST.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def pabulib_dir() -> Path:
    """The directory holding the real pabulib ``.pb`` files and reference outcomes."""
    return PABULIB_DIR


def make_profile(
    budget: int | Fraction,
    costs: dict[str, int | Fraction],
    ballots: list[list[str]] | list[dict[str, int]],
    vote_type: VoteType = "approval",
) -> ProjectProfile:
    """A small profile: ``ballots`` list approved ids, or map ids to points (cumulative)."""
    return ProjectProfile(
        budget=Fraction(budget),
        projects=tuple(Project(pid, Fraction(cost)) for pid, cost in costs.items()),
        ballots=tuple(
            ProjectBallot(
                scores={pid: Fraction(score) for pid, score in ballot.items()}
                if isinstance(ballot, dict)
                else dict.fromkeys(ballot, Fraction(1)),
                voter_id=f"v{number}",
            )
            for number, ballot in enumerate(ballots, start=1)
        ),
        vote_type=vote_type,
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One throwaway PostgreSQL server for the session (per xdist worker)."""
    with running_server() as server:
        yield server
