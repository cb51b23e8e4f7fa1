"""Rule outcomes as plain JSON-ready data: what the command line prints and a council
publishes. Standard library only, so replaying a pabulib file needs no database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from fractions import Fraction
from typing import Any

from budgeting.engine.allocation import AllocationResult
from budgeting.engine.model import ProjectProfile, SelectionResult
from budgeting.engine.steps import SelectionStep


def plain(value: Any) -> Any:
    """JSON-ready data: whole Fractions become ints, others floats; dataclasses and
    containers recursively (sets sorted)."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return [plain(item) for item in items]
    if value is None or isinstance(value, (str, int, float)):
        return value
    return str(value)


def step_data(step: SelectionStep) -> dict[str, Any]:
    """One explanation step as JSON-ready data: kind, project and the facts behind it."""
    return {"kind": step.kind, "project_id": step.project_id, "details": plain(step.facts())}


def selection_data(result: SelectionResult) -> dict[str, Any]:
    """A selection as JSON-ready data: winners in the order chosen, money and every step."""
    return {
        "rule": result.rule,
        "selected": list(result.selected),
        "cost": plain(result.cost),
        "budget": plain(result.budget),
        "steps": [step_data(step) for step in result.steps],
        "details": plain(result.details),
    }


def selection_payload(
    result: SelectionResult,
    options: Mapping[str, Any],
    profile: ProjectProfile,
    *,
    meta_rule: str | None,
    recorded: Sequence[str] | None,
) -> dict[str, Any]:
    """What ``select --json`` prints, and ``results --json`` too (the same keys, so a
    published round and its replayed ``.pb`` file compare key by key): the selection, the
    options it ran with, the election's size, and how it compares with a recorded
    selection (``None`` when there is none)."""
    return {
        **selection_data(result),
        "options": plain(dict(options)),
        "vote_type": profile.vote_type,
        "projects": len(profile.projects),
        "voters": len(profile.ballots),
        "meta_rule": meta_rule,
        "recorded_selected": None if recorded is None else list(recorded),
        "matches_recorded": None if recorded is None else set(recorded) == set(result.selected),
    }


def allocation_data(result: AllocationResult) -> dict[str, Any]:
    """A service split as JSON-ready data, with the exact amounts as fractions in text."""
    return {
        "rule": result.rule_id,
        "budget": plain(result.budget),
        "amounts": plain(result.amounts),
        "shares": plain(result.shares),
        "exact_amounts": {service: str(amount) for service, amount in result.amounts.items()},
        "ballots_counted": result.ballots_counted,
        "ballots_excluded": result.ballots_excluded,
    }
