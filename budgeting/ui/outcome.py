"""What the projector says about a decided round: each project's line, with the rule's
reason in words.

The decision comes from ``budgeting.results``; this module turns its explanation steps
(``budgeting.engine.steps``) into sentences from the message catalogue, formatting the
fields each step declares as money as money.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from budgeting import store
from budgeting.engine.steps import EqualSharesStep, SelectionStep, money_fields
from budgeting.i18n import format_money, format_number, text
from budgeting.results.decide import Decision, live_standings

LINES_PER_PAGE = 7
SECONDS_PER_PAGE = 12


PLAIN_KINDS = ("mes_round",)
"""Steps whose rule's figures (round numbers, price per point) get a plain sentence first;
the figures stay one tap away. Other rules' reasons are plain already."""


@dataclass(frozen=True)
class ExplanationLine:
    """One project's line on the projector: what happened and why in plain words, and the
    rule's own figures for whoever wants them (``detail``; the same as ``reason`` when the
    reason already is the rule's figures in words)."""

    project_id: str
    funded: bool
    headline: str
    reason: str
    detail: str


@dataclass(frozen=True)
class ExplanationPage:
    """The lines shown now; long explanations turn pages on a timer (1-based ``number``)."""

    lines: tuple[ExplanationLine, ...]
    number: int
    count: int


def _money(amount: Fraction, voting_round: store.Round) -> str:
    return format_money(round(amount, 2), voting_round.currency_symbol)


def _reason(
    decision: Decision,
    step: SelectionStep | None,
    kind: str,
    position: int,
    project: store.Project,
    language: str,
) -> tuple[str, str]:
    """The plain sentence and the rule's figures for one explanation step
    (``results.plain.<kind>`` and ``results.why.<kind>``)."""
    voting_round = decision.voting_round
    support = decision.tallies[project.id]
    params: dict[str, Any] = {
        "supporters": support.supporters,
        "score": format_number(support.score),
        "round": position,
        "cost": _money(project.cost, voting_round),
    }
    if step is not None:
        money = money_fields(type(step))
        for name, value in step.facts().items():
            if name in money and value is not None:
                params[name] = _money(value, voting_round)
            elif isinstance(value, Fraction):
                params[name] = format_number(value)
            elif isinstance(value, int | str):
                params[name] = value
    key = f"results.why.{kind}"
    if kind == "not_selected" and decision.selection.rule == "mes":
        key += "_mes"
    if isinstance(step, EqualSharesStep):
        key += "_ran_out" if step.ran_out else ""
        key += "_points" if voting_round.ballot_format == "points" else ""
    detail = text(key, language, **params)
    if kind in PLAIN_KINDS:
        return text(key.replace("results.why.", "results.plain.", 1), language, **params), detail
    return detail, detail


def explanation_lines(decision: Decision, language: str) -> list[ExplanationLine]:
    """Funded projects in the order the rule chose them, then the others by support; each
    with the rule's reason."""
    by_id = {p.id: p for p in decision.projects}
    steps = {step.project_id: step for step in decision.selection.steps}
    selected = decision.selection.selected
    others = [
        p.id
        for p, _ in live_standings(
            decision.projects, {pid: int(t.score) for pid, t in decision.tallies.items()}
        )
        if p.id not in selected
    ]
    lines: list[ExplanationLine] = []
    mes_rounds = 0
    for project_id in (*selected, *others):
        project = by_id[project_id]
        step = steps.get(project_id)
        kind = (
            step.kind
            if step is not None
            else ("selected" if project_id in selected else "not_selected")
        )
        mes_rounds += kind == "mes_round"
        funded = project_id in selected
        headline = text(
            "results.funded" if funded else "results.not_funded",
            language,
            name=project.name,
            cost=_money(project.cost, decision.voting_round),
        )
        reason, detail = _reason(decision, step, kind, mes_rounds, project, language)
        lines.append(ExplanationLine(project_id, funded, headline, reason, detail))
    return lines


def summary(decision: Decision, language: str) -> str:
    """The budget, what was spent on how many projects, and what is left over."""
    voting_round, selection = decision.voting_round, decision.selection
    return text(
        "results.summary",
        language,
        budget=_money(selection.budget, voting_round),
        spent=_money(selection.cost, voting_round),
        funded=len(selection.selected),
        left=_money(selection.budget - selection.cost, voting_round),
    )


def rule_in_brief(decision: Decision, language: str) -> str | None:
    """For equal shares, the idea in one or two plain sentences: everyone's equal share of
    the budget, and the larger share the completion settled on when it raised them
    (equalshares.net, "Completion"); ``None`` for rules whose lines say it all."""
    selection, voting_round = decision.selection, decision.voting_round
    voters = len(decision.profile.ballots)
    if selection.rule != "mes" or not voters:
        return None
    share = selection.budget / voters
    words = text(
        "results.mes_intro",
        language,
        voters=f"{voters:,}",
        budget=_money(selection.budget, voting_round),
        share=_money(share, voting_round),
    )
    raised = selection.details.get("per_voter_budget")
    if isinstance(raised, Fraction) and raised > share:
        words += " " + text("results.mes_raised", language, share=_money(raised, voting_round))
    return words


def explanation_page(
    decision: Decision, language: str, now: float | None = None
) -> ExplanationPage:
    """The page of explanation lines to show at time ``now``: pages turn every
    ``SECONDS_PER_PAGE`` seconds so a long explanation fits a screen without scrolling."""
    lines = explanation_lines(decision, language)
    count = max(1, -(-len(lines) // LINES_PER_PAGE))
    index = int((time.time() if now is None else now) // SECONDS_PER_PAGE) % count
    shown = lines[index * LINES_PER_PAGE : (index + 1) * LINES_PER_PAGE]
    return ExplanationPage(tuple(shown), index + 1, count)
