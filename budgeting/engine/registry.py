"""The one table of rules: every selection and allocation rule the product offers.

Pages and the command line list rules from ``RULES`` (through ``rules``) and look them up by
id (``rule``), never by hard-coded names. Each entry says which ballots the rule reads, the
function that runs it, where the rule comes from and how it breaks ties.

A rule is run through ``Rule.run(profile, **options)``, which checks that the rule reads the
profile's ballots and takes the options given (``RuleError`` saying what is wrong
otherwise) before it calls the rule's function:

* ``selection``: ``function(profile: ProjectProfile, **options) -> SelectionResult``.
* ``allocation``: ``function(profile: AllocationProfile) -> AllocationResult``
  (``budgeting.engine.allocation.split`` with the rule id bound).

``recorded_rule`` finds the registered rule and options that replay what a pabulib file's
META says the city used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from typing import Any, Generic, Literal, TypeVar

from budgeting.engine.allocation import AllocationProfile, AllocationResult, split
from budgeting.engine.greedy import greedy, greedy_cost
from budgeting.engine.mes import COMPLETIONS, equal_shares
from budgeting.engine.model import ProjectProfile, SelectionResult
from budgeting.engine.pabulib import PBFile, read_amount
from budgeting.engine.phragmen import phragmen
from budgeting.engine.welfare import max_welfare

Family = Literal["selection", "allocation"]

APPROVAL_BALLOTS = ("approval", "knapsack", "choose-1")
SCORED_BALLOTS = (*APPROVAL_BALLOTS, "cumulative", "ordinal")
ALLOCATION_BALLOTS = ("shares", "amounts")
TRUTHFUL_AGGREGATION_PAPER = (
    "Freeman, Pennock, Peters & Wortman Vaughan, 'Truthful aggregation of budget proposals' "
    "(EC 2019; JET 2021)"
)
PROJECT_TIE_ORDER = (
    "Equal projects are ordered by lower cost, then more supporters, then project id "
    "(budgeting.engine.ties, the equalshares.net order)."
)


ProfileT = TypeVar("ProfileT", ProjectProfile, AllocationProfile)
ResultT = TypeVar("ResultT", SelectionResult, AllocationResult)


class RuleError(ValueError):
    """A rule asked to do what it cannot: an unknown rule, a rule of the other family, or
    ballots it does not read."""


class RuleFamilyError(RuleError):
    """A rule of the other family: a service split asked to select projects, or the other
    way round; ``family`` is the rule's own family."""

    def __init__(self, rule_id: str, family: Family):
        self.family = family
        does = "splits a budget across services" if family == "allocation" else "selects projects"
        super().__init__(f"rule '{rule_id}' {does}")


class RuleOptionError(RuleError):
    """An option the rule does not take, or a value outside the option's choices."""

    def __init__(self, rule_id: str, option: str, value: Any, choices: tuple[str, ...] = ()):
        self.rule_id = rule_id
        self.option = option
        self.value = value
        self.choices = choices
        super().__init__(self.describe(str))

    def describe(self, name_option: Callable[[str], str]) -> str:
        """The problem in words, naming the option as ``name_option`` spells it (the
        command line says ``--no-skip`` where the registry says ``no_skip``)."""
        name = name_option(self.option)
        if self.choices:
            return f"{name} must be one of {', '.join(self.choices)}, not '{self.value}'"
        return f"rule '{self.rule_id}' takes no {name} option"


@dataclass(frozen=True)
class RuleOption:
    """A keyword option of a rule's function: its name, accepted values and default."""

    name: str
    description: str
    default: Any = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule(Generic[ProfileT, ResultT]):
    """One registered rule: it reads ``ProfileT`` and decides a ``ResultT``."""

    id: str
    name: str
    family: Family
    ballot_kinds: tuple[str, ...]
    function: Callable[..., ResultT]
    summary: str
    reference: str
    tie_breaking: str
    options: tuple[RuleOption, ...] = ()
    default: bool = False

    def checked_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """``options`` without the ones left unset (``None``), each checked against what
        the rule takes (``RuleOptionError`` otherwise)."""
        accepted = {option.name: option for option in self.options}
        checked: dict[str, Any] = {}
        for name, value in options.items():
            if value is None:
                continue
            if name not in accepted:
                raise RuleOptionError(self.id, name, value)
            choices = accepted[name].choices
            if choices and value not in choices:
                raise RuleOptionError(self.id, name, value, choices)
            checked[name] = value
        return checked

    def run(self, profile: ProfileT, **options: Any) -> ResultT:
        """Decide ``profile`` by this rule with ``options`` (see ``checked_options``);
        ``RuleError`` when the rule does not read the profile's ballots."""
        if isinstance(profile, ProjectProfile) and profile.vote_type not in self.ballot_kinds:
            raise RuleError(f"rule '{self.id}' does not read {profile.vote_type} ballots")
        return self.function(profile, **self.checked_options(options))


SelectionRule = Rule[ProjectProfile, SelectionResult]
AllocationRule = Rule[AllocationProfile, AllocationResult]


_SELECTION_RULES: tuple[SelectionRule, ...] = (
    SelectionRule(
        id="greedy",
        name="Greedy by votes",
        family="selection",
        ballot_kinds=SCORED_BALLOTS,
        function=greedy,
        summary=(
            "Fund projects in order of votes (or points), skipping any that no longer fit. "
            "What most cities use."
        ),
        reference=(
            "pabutools greedy_utilitarian_welfare with cost satisfaction; Faliszewski et al., "
            "'Participatory Budgeting: Data, Tools and Analysis', IJCAI 2023"
        ),
        tie_breaking=f"Equal scores: {PROJECT_TIE_ORDER}",
        options=(
            RuleOption(
                "threshold",
                "Projects scoring below this are not eligible (pabulib greedy-threshold).",
            ),
            RuleOption(
                "no_skip",
                "Stop at the first project that does not fit (pabulib greedy-no-skip).",
                default=False,
            ),
        ),
    ),
    SelectionRule(
        id="greedy-cost",
        name="Greedy by votes per cost",
        family="selection",
        ballot_kinds=SCORED_BALLOTS,
        function=greedy_cost,
        summary="Fund projects by supporters per unit of cost, skipping what does not fit.",
        reference="pabutools greedy_utilitarian_welfare with cardinality satisfaction",
        tie_breaking=f"Equal supporters per cost: {PROJECT_TIE_ORDER}",
    ),
    SelectionRule(
        id="mes",
        name="Method of Equal Shares",
        family="selection",
        ballot_kinds=SCORED_BALLOTS,
        function=equal_shares,
        summary=(
            "Every voter gets an equal share of the budget; a project is funded when its "
            "supporters can pay for it together. Proportional: every group gets its fair share."
        ),
        reference=(
            "Peters & Skowron, 'Proportionality and the Limits of Welfarism' (EC 2020); "
            "Peters, Pierczyński & Skowron, 'Proportional Participatory Budgeting with "
            "Additive Utilities' (NeurIPS 2021); equalshares.net"
        ),
        tie_breaking=f"Equal price per unit of utility: {PROJECT_TIE_ORDER}",
        options=(
            RuleOption(
                "completion",
                "What to do with money left over: none; add1 (raise every voter's budget one "
                "unit at a time, keep the last outcome within the budget); add1-exhaustive "
                "(stop at the first exhaustive outcome); add1u (add1, then greedy by votes).",
                default="none",
                choices=tuple(COMPLETIONS),
            ),
            RuleOption(
                "workers",
                "How many processes the add1 scans may use (default 1; the command line uses "
                "the cores available). "
                "The outcome is the same for every number.",
            ),
        ),
    ),
    SelectionRule(
        id="phragmen",
        name="Sequential Phragmén",
        family="selection",
        ballot_kinds=APPROVAL_BALLOTS,
        function=phragmen,
        summary=(
            "Voters earn virtual money at the same rate; a project is bought as soon as its "
            "supporters have earned its cost. Stops at the first project that does not fit."
        ),
        reference=(
            "Phragmén (1894); Los, Christoff & Grossi, 'Proportional Budget Allocations: "
            "Towards a Systematization' (IJCAI 2022); pabutools sequential_phragmen"
        ),
        tie_breaking=f"Equal loads: {PROJECT_TIE_ORDER}",
    ),
    SelectionRule(
        id="max-welfare",
        name="Maximum total satisfaction",
        family="selection",
        ballot_kinds=SCORED_BALLOTS,
        function=max_welfare,
        summary=(
            "The affordable set of projects with the largest sum of votes × cost, found "
            "exactly (knapsack by branch and bound)."
        ),
        reference=(
            "Talmon & Faliszewski, 'A Framework for Approval-Based Budgeting Methods' "
            "(AAAI 2019); pabutools max_additive_utilitarian_welfare with cost satisfaction"
        ),
        tie_breaking=(
            "Among optimal sets, the one funding the earliest possible project in greedy "
            f"order (votes, highest first), then the next, and so on. {PROJECT_TIE_ORDER}"
        ),
    ),
)
_ALLOCATION_RULES: tuple[AllocationRule, ...] = (
    AllocationRule(
        id="mean",
        name="Average",
        family="allocation",
        ballot_kinds=ALLOCATION_BALLOTS,
        function=partial(split, "mean"),
        summary="Each service gets the average of the shares residents gave it. Easy to game.",
        reference=TRUTHFUL_AGGREGATION_PAPER,
        tie_breaking="No ties: the result depends only on the ballots.",
    ),
    AllocationRule(
        id="median",
        name="Median, normalised",
        family="allocation",
        ballot_kinds=ALLOCATION_BALLOTS,
        function=partial(split, "median"),
        summary="Each service's median share, rescaled so the shares add up to the budget.",
        reference=TRUTHFUL_AGGREGATION_PAPER,
        tie_breaking="No ties: the result depends only on the ballots.",
    ),
    AllocationRule(
        id="independent-markets",
        name="Independent markets",
        family="allocation",
        ballot_kinds=ALLOCATION_BALLOTS,
        function=partial(split, "independent-markets"),
        summary=(
            "A median of residents' shares and phantom ballots, moved until the shares add "
            "up. Nobody gains by exaggerating; proportional for single-minded voters."
        ),
        reference=f"{TRUTHFUL_AGGREGATION_PAPER}, moving phantoms f_k(t) = min(1, t(n-k))",
        tie_breaking="No ties: the result depends only on the ballots.",
        default=True,
    ),
)

RULES: tuple[SelectionRule | AllocationRule, ...] = (*_SELECTION_RULES, *_ALLOCATION_RULES)
_SELECTION_BY_ID = {entry.id: entry for entry in _SELECTION_RULES}
_ALLOCATION_BY_ID = {entry.id: entry for entry in _ALLOCATION_RULES}


def _unknown(rule_id: str) -> RuleError:
    known = ", ".join(entry.id for entry in RULES)
    return RuleError(f"unknown rule '{rule_id}'; known rules: {known}")


def rule(rule_id: str) -> SelectionRule | AllocationRule:
    """The rule with this id; ``RuleError`` naming the known ids when there is none."""
    found = _SELECTION_BY_ID.get(rule_id) or _ALLOCATION_BY_ID.get(rule_id)
    if found is None:
        raise _unknown(rule_id)
    return found


def selection_rule(rule_id: str) -> SelectionRule:
    """The project selection rule with this id (``RuleError`` for any other id)."""
    if rule_id in _ALLOCATION_BY_ID:
        raise RuleFamilyError(rule_id, "allocation")
    if rule_id not in _SELECTION_BY_ID:
        raise _unknown(rule_id)
    return _SELECTION_BY_ID[rule_id]


def allocation_rule(rule_id: str) -> AllocationRule:
    """The service allocation rule with this id (``RuleError`` for any other id)."""
    if rule_id in _SELECTION_BY_ID:
        raise RuleFamilyError(rule_id, "selection")
    if rule_id not in _ALLOCATION_BY_ID:
        raise _unknown(rule_id)
    return _ALLOCATION_BY_ID[rule_id]


def rules(family: Family | None = None) -> tuple[SelectionRule | AllocationRule, ...]:
    """All rules, or those of one family, in table order."""
    if family is not None and family not in ("selection", "allocation"):
        raise ValueError(f"unknown rule family '{family}'; known: selection, allocation")
    return tuple(entry for entry in RULES if family is None or entry.family == family)


PABULIB_RULE_NAMES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("greedy", "greedy", {}),
    ("greedy-no-skip", "greedy", {"no_skip": True}),
    ("equalshares/add1", "mes", {"completion": "add1"}),
    ("equalshares/add1-comparison", "mes", {"completion": "add1"}),
)
"""pabulib's META ``rule`` names (pabulib.org format description; the files in
tests/data/pabulib) and the registered rule and options each stands for; the first name of
a rule and options is the one written. ``greedy-threshold`` also needs the file's
``min_project_score_threshold`` (``recorded_rule``)."""


def pabulib_rule_name(rule_id: str, options: Mapping[str, Any]) -> str:
    """The META ``rule`` that ``recorded_rule`` reads back as ``rule_id`` with ``options``:
    pabulib's own name where it has one, else the rule id, with ``/completion`` for equal
    shares (``mes/add1u``)."""
    wanted = selection_rule(rule_id).checked_options(options)
    for name, named_rule, named_options in PABULIB_RULE_NAMES:
        if named_rule == rule_id and named_options == wanted:
            return name
    completion = wanted.get("completion")
    return f"{rule_id}/{completion}" if completion else rule_id


def recorded_rule(pbfile: PBFile) -> tuple[SelectionRule, dict[str, Any]]:
    """The registered rule and options that replay the rule named in a pabulib file's META.

    pabulib names (``PABULIB_RULE_NAMES``): ``greedy``; ``greedy-no-skip`` (stop at the first
    project that does not fit); ``greedy-threshold`` (with ``min_project_score_threshold``);
    ``equalshares/add1`` and ``equalshares/add1-comparison`` (equal shares completed by
    add1, as Assen, Świecie and Wieliczka published). Files this program exports may also
    name any registered selection rule by id, with ``/completion`` for equal shares.
    """
    named = pbfile.meta.get("rule", "")
    for name, rule_id, options in PABULIB_RULE_NAMES:
        if named == name:
            return selection_rule(rule_id), dict(options)
    if named == "greedy-threshold":
        key = "min_project_score_threshold"
        threshold: Fraction = read_amount(
            pbfile.meta.get(key) or None, key, pbfile.meta_lines.get(key), "META"
        )
        return selection_rule("greedy"), {"threshold": threshold}
    rule_id, _, completion = named.partition("/")
    if rule_id in _SELECTION_BY_ID:
        chosen = selection_rule(rule_id)
        return chosen, chosen.checked_options({"completion": completion or None})
    raise RuleError(f"the file's META rule '{named}' is not one this program can replay")
