"""The one table of rules: every selection and allocation rule the product offers.

Pages and the command line list rules from ``RULES`` (through ``rules``) and look them up by
id (``rule``), never by hard-coded names. Each entry says which ballots the rule reads, the
function that runs it, where the rule comes from and how it breaks ties.

Calling conventions by family:

* ``selection``: ``function(profile: ProjectProfile, **options) -> SelectionResult``.
* ``allocation``: ``function(ballots, budget, *, floors=None, ceilings=None, services=None)
  -> AllocationResult`` (``budgeting.engine.allocation.allocate`` with the rule id bound).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from budgeting.engine.allocation import allocate
from budgeting.engine.greedy import greedy, greedy_cost
from budgeting.engine.mes import COMPLETIONS, equal_shares
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


@dataclass(frozen=True)
class RuleOption:
    """A keyword option of a rule's function: its name, accepted values and default."""

    name: str
    description: str
    default: Any = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One registered rule."""

    id: str
    name: str
    family: Family
    ballot_kinds: tuple[str, ...]
    function: Callable[..., Any]
    summary: str
    reference: str
    tie_breaking: str
    options: tuple[RuleOption, ...] = ()
    default: bool = False


RULES: tuple[Rule, ...] = (
    Rule(
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
    Rule(
        id="greedy-cost",
        name="Greedy by votes per cost",
        family="selection",
        ballot_kinds=SCORED_BALLOTS,
        function=greedy_cost,
        summary="Fund projects by supporters per unit of cost, skipping what does not fit.",
        reference="pabutools greedy_utilitarian_welfare with cardinality satisfaction",
        tie_breaking=f"Equal supporters per cost: {PROJECT_TIE_ORDER}",
    ),
    Rule(
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
        ),
    ),
    Rule(
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
    Rule(
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
    Rule(
        id="mean",
        name="Average",
        family="allocation",
        ballot_kinds=ALLOCATION_BALLOTS,
        function=partial(allocate, "mean"),
        summary="Each service gets the average of the shares residents gave it. Easy to game.",
        reference=TRUTHFUL_AGGREGATION_PAPER,
        tie_breaking="No ties: the result depends only on the ballots.",
    ),
    Rule(
        id="median",
        name="Median, normalised",
        family="allocation",
        ballot_kinds=ALLOCATION_BALLOTS,
        function=partial(allocate, "median"),
        summary="Each service's median share, rescaled so the shares add up to the budget.",
        reference=TRUTHFUL_AGGREGATION_PAPER,
        tie_breaking="No ties: the result depends only on the ballots.",
    ),
    Rule(
        id="independent-markets",
        name="Independent markets",
        family="allocation",
        ballot_kinds=ALLOCATION_BALLOTS,
        function=partial(allocate, "independent-markets"),
        summary=(
            "A median of residents' shares and phantom ballots, moved until the shares add "
            "up. Nobody gains by exaggerating; proportional for single-minded voters."
        ),
        reference=f"{TRUTHFUL_AGGREGATION_PAPER}, moving phantoms f_k(t) = min(1, t(n-k))",
        tie_breaking="No ties: the result depends only on the ballots.",
        default=True,
    ),
)

_BY_ID = {entry.id: entry for entry in RULES}


def rule(rule_id: str) -> Rule:
    """The rule with this id; ``ValueError`` naming the known ids when there is none."""
    try:
        return _BY_ID[rule_id]
    except KeyError:
        raise ValueError(f"unknown rule '{rule_id}'; known rules: {', '.join(_BY_ID)}") from None


def rules(family: Family | None = None) -> tuple[Rule, ...]:
    """All rules, or those of one family, in table order."""
    if family is not None and family not in ("selection", "allocation"):
        raise ValueError(f"unknown rule family '{family}'; known: selection, allocation")
    return tuple(entry for entry in RULES if family is None or entry.family == family)
