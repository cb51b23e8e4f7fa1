"""The rule registry: one table, complete, documented, and every entry runs."""

from __future__ import annotations

import inspect
from fractions import Fraction

import pytest

from budgeting.engine.allocation import (
    ALLOCATION_RULES,
    DEFAULT_ALLOCATION_RULE,
    AllocationProfile,
)
from budgeting.engine.mes import COMPLETIONS
from budgeting.engine.model import SelectionResult
from budgeting.engine.pabulib import PBFile
from budgeting.engine.registry import (
    RULES,
    RuleError,
    RuleOptionError,
    allocation_rule,
    pabulib_rule_name,
    recorded_rule,
    rule,
    rules,
    selection_rule,
)
from tests.conftest import make_profile

SELECTION_IDS = ["greedy", "greedy-cost", "mes", "phragmen", "max-welfare"]
ALLOCATION_IDS = ["mean", "median", "independent-markets"]


def test_the_table_lists_every_rule_once() -> None:
    assert [entry.id for entry in rules("selection")] == SELECTION_IDS
    assert [entry.id for entry in rules("allocation")] == ALLOCATION_IDS
    assert len(rules()) == len({entry.id for entry in RULES}) == 8
    assert set(ALLOCATION_IDS) == set(ALLOCATION_RULES)


@pytest.mark.parametrize("entry", RULES, ids=lambda entry: entry.id)
def test_every_rule_is_documented(entry) -> None:
    assert entry.name and entry.summary and entry.reference and entry.tie_breaking
    assert entry.ballot_kinds
    function = getattr(entry.function, "func", entry.function)  # allocate with the id bound
    assert function.__doc__


def test_only_the_default_allocation_rule_is_marked_default() -> None:
    assert [entry.id for entry in RULES if entry.default] == [DEFAULT_ALLOCATION_RULE]


def test_mes_offers_every_completion() -> None:
    (completion, _workers) = rule("mes").options
    assert completion.choices == tuple(COMPLETIONS)
    assert completion.default == "none"


@pytest.mark.parametrize("rule_id", SELECTION_IDS)
def test_every_selection_rule_runs_on_approval_ballots(rule_id: str) -> None:
    profile = make_profile(10, {"a": 6, "b": 4, "c": 5}, [["a", "b"], ["a"], ["c"], ["b"]])
    result = selection_rule(rule_id).run(profile)
    assert isinstance(result, SelectionResult)
    assert result.cost <= 10
    assert set(result.selected) <= {"a", "b", "c"}


@pytest.mark.parametrize("rule_id", ALLOCATION_IDS)
def test_every_allocation_rule_splits_the_whole_budget(rule_id: str) -> None:
    ballots = [{"parks": 60, "library": 40}, {"parks": 20, "library": 80}]
    result = allocation_rule(rule_id).run(AllocationProfile(ballots, Fraction(1000)))
    assert sum(result.amounts.values()) == 1000


def test_unknown_ids_name_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown rule 'nope'; known rules: greedy, greedy-cost"):
        rule("nope")
    with pytest.raises(ValueError, match="unknown rule family"):
        rules("other")  # type: ignore[arg-type]


def test_a_rule_refuses_options_it_does_not_take_and_values_outside_its_choices() -> None:
    profile = make_profile(10, {"a": 6, "b": 4}, [["a"], ["b"]])
    with pytest.raises(RuleOptionError, match="rule 'greedy' takes no completion option"):
        selection_rule("greedy").run(profile, completion="add1")
    with pytest.raises(RuleOptionError, match="completion must be one of none, add1"):
        selection_rule("mes").run(profile, completion="add7")
    unset = selection_rule("greedy").run(profile, threshold=None)
    assert unset.selected == selection_rule("greedy").run(profile).selected


def test_a_rule_refuses_ballots_it_does_not_read() -> None:
    points = make_profile(10, {"a": 6, "b": 4}, [{"a": 2}, {"b": 1}], vote_type="cumulative")
    with pytest.raises(RuleError, match="rule 'phragmen' does not read cumulative ballots"):
        selection_rule("phragmen").run(points)


def test_rules_of_the_other_family_are_refused_by_name() -> None:
    with pytest.raises(RuleError, match="splits a budget across services"):
        selection_rule("mean")
    with pytest.raises(RuleError, match="rule 'mes' selects projects"):
        allocation_rule("mes")


@pytest.mark.parametrize("entry", RULES, ids=lambda entry: entry.id)
def test_every_declared_option_is_a_keyword_of_the_rules_function(entry) -> None:
    parameters = inspect.signature(entry.function).parameters
    for option in entry.options:
        assert parameters[option.name].kind is inspect.Parameter.KEYWORD_ONLY
        assert parameters[option.name].default == option.default


def test_every_rule_and_completion_has_a_meta_name_that_replays_it() -> None:
    for entry in rules("selection"):
        completions = next((o.choices for o in entry.options if o.name == "completion"), ())
        for options in [{}] + [{"completion": c} for c in completions]:
            name = pabulib_rule_name(entry.id, options)
            pbfile = PBFile(
                meta={"rule": name}, projects=[], votes=[], project_columns=[], vote_columns=[]
            )
            replayed, replayed_options = recorded_rule(pbfile)
            assert replayed is entry
            assert replayed_options == entry.checked_options(options), name
    assert pabulib_rule_name("mes", {"completion": "add1"}) == "equalshares/add1"
    assert pabulib_rule_name("greedy", {}) == "greedy"
