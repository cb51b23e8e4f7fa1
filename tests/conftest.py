"""Shared fixtures: the real pabulib elections copied into ``tests/data/pabulib``."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from budgeting.engine.model import ProjectProfile
from budgeting.engine.pabulib import PBFile, read_pb

PABULIB_DIR = Path(__file__).parent / "data" / "pabulib"


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
