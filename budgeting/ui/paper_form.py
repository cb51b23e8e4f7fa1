"""Entering paper ballots by keyboard, one at a time: reading the officer's typing (amounts,
project ids), sending the ballot through the store exactly as a web ballot is checked, and
clearing the form for the next one.

Widget keys: ``paper_amount_<service id>``, ``paper_projects``, ``paper_code``,
``paper_area``, ``paper_age`` and ``paper_submit``, each followed by ``~N`` once N ballots
have been stored from this session (``field_key``). Problems are kept by where the page
shows them (``service:<id>``, ``allocation``, ``projects``, ``code``, ``ballot``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import streamlit as st

from budgeting import store
from budgeting.i18n import text
from budgeting.store.validation import ballot_problems
from budgeting.ui import ballot_form, drawings

PROJECTS_KEY = "paper_projects"
CODE_KEY = "paper_code"
AREA_KEY = "paper_area"
AGE_KEY = "paper_age"
SUBMIT_KEY = "paper_submit"
OUTCOME_KEY = "paper_outcome"  # the last ballot sent: its "receipt", "problems" or "refused"


_AROUND_SCORE = re.compile(r"\s*[=:]\s*")
_SEPARATORS = re.compile(r"[,;\s]+")


FORM = "paper_ballot"
"""The form's key, and the name its fields are drawn anew under as a group."""


def field_key(name: str) -> str:
    """The key of the form's field ``name`` as drawn now. The form is drawn anew, empty,
    each time a ballot is stored (``submit``), so a second press of Submit from a browser
    that has not yet drawn it is told apart from a new ballot (``budgeting.ui.drawings``)."""
    return drawings.key(name, group=FORM)


def amount_key(service_id: str) -> str:
    return field_key(f"paper_amount_{service_id}")


@dataclass(frozen=True)
class FormProblem:
    """A problem with what was typed, found before the ballot reaches the store."""

    field: str
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def message(self, language: str = "en") -> str:
        """The problem in words, from the message catalogue."""
        return text(self.key, language, **self.params)


def parse_amounts(
    services: Sequence[store.Service], typed: dict[str, str]
) -> tuple[dict[str, Fraction], list[FormProblem]]:
    """Each service's typed amount in pounds (``12,500``, ``£12,500.50``); a blank or
    unreadable amount is a problem next to its service."""
    amounts: dict[str, Fraction] = {}
    problems: list[FormProblem] = []
    for service in services:
        raw = (typed.get(service.id) or "").strip()
        if not raw:
            problems.append(
                FormProblem(service.id, "officer.paper.amount_missing", {"service": service.name})
            )
            continue
        try:
            amounts[service.id] = store.parse_amount(raw)
        except ValueError:
            problems.append(
                FormProblem(
                    service.id, "officer.paper.amount_bad", {"service": service.name, "typed": raw}
                )
            )
    return amounts, problems


def parse_choices(
    typed: str, ballot_format: str, projects: Sequence[store.Project]
) -> tuple[dict[str, int], list[FormProblem]]:
    """The project choices typed as ids: ``P01, P07`` (approval and knapsack ballots) or
    ``P01=3, P07=2`` (points; ``P01:3`` works too). Ids are matched whatever their case.
    Unknown ids, ids given twice and malformed points are problems of the ``projects``
    field; zero points are dropped, as on the web ballot."""
    by_upper = {project.id.upper(): project.id for project in projects}
    scores: dict[str, int] = {}
    seen: set[str] = set()
    problems: list[FormProblem] = []

    def problem(key: str, **params: Any) -> None:
        problems.append(FormProblem("projects", key, params))

    for item in _SEPARATORS.split(_AROUND_SCORE.sub("=", typed.strip())):
        if not item:
            continue
        name, equals, points = item.partition("=")
        project_id = by_upper.get(name.upper())
        if project_id is None:
            problem("officer.paper.project_unknown", project=name)
            continue
        if project_id in seen:
            problem("officer.paper.project_twice", project=project_id)
            continue
        seen.add(project_id)
        if ballot_format != "points":
            if equals:
                problem("officer.paper.ids_only", item=item)
                continue
            scores[project_id] = 1
            continue
        if not equals or not re.fullmatch(r"-?\d+", points):
            problem("officer.paper.points_needed", project=project_id)
            continue
        scores[project_id] = int(points)
    return {pid: score for pid, score in scores.items() if score != 0}, problems


def problems_by_place(
    problems: Sequence[store.models.Problem],
    services: Sequence[store.Service],
    projects: Sequence[store.Project],
) -> dict[str, list[store.models.Problem]]:
    """Problems grouped by the field they are shown next to: as on the web ballot, except
    that every project's problem belongs to the one ``projects`` field and the code's to
    the ``code`` field."""
    places: dict[str, list[store.models.Problem]] = {}
    for problem in problems:
        if problem.field == "code":
            place = "code"
        else:
            place = next(iter(ballot_form.problems_by_place([problem], services, projects)))
            if place.startswith("project:"):
                place = "projects"
        places.setdefault(place, []).append(problem)
    return places


def submit(
    conn: store.Connection,
    voting_round: store.Round,
    services: Sequence[store.Service],
    projects: Sequence[store.Project],
    pressed: str,
) -> None:
    """The form's submit callback (its button drawn with the key ``pressed``): check what
    was typed, then store the ballot as paper through ``store.submit_ballot`` (the web
    ballot's checks). Stored: the receipt is kept to show and the form is cleared for the
    next ballot. Refused: nothing is stored, the problems are kept by field and the typing
    stays for the officer to correct. A press on a form cleared since (a double click)
    does nothing."""
    if not drawings.is_current(pressed, group=FORM):
        return
    state = st.session_state
    amounts, problems = parse_amounts(
        services, {s.id: state.get(amount_key(s.id), "") for s in services}
    )
    scores, choice_problems = parse_choices(
        state.get(field_key(PROJECTS_KEY), ""), voting_round.ballot_format, projects
    )
    problems += choice_problems
    if problems:
        # Also every problem the rest of the ballot has, so all are corrected in one go.
        # (A total is not judged while an amount is unreadable: it would be wrong.)
        unread = {problem.field for problem in problems}
        amounts_unread = any(s.id in unread for s in services)
        state[OUTCOME_KEY] = {
            "problems": [
                *problems,
                *(
                    problem
                    for problem in ballot_problems(
                        voting_round, services, projects, amounts, scores
                    )
                    if problem.field not in unread
                    and not (amounts_unread and _about_allocation(problem))
                ),
            ]
        }
        return
    code = (state.get(field_key(CODE_KEY)) or "").strip() or None
    area, age_band = state.get(field_key(AREA_KEY)), state.get(field_key(AGE_KEY))
    # A second press waiting (a double click) stops this callback at its next use of the
    # session state. So the press is spent before the ballot is stored (the form drawn
    # anew, empty, for the next ballot: the same press sent again stores nothing), and
    # the outcome goes into a dict already in the session, by plain writes that nothing
    # stops.
    outcome: dict[str, Any] = {}
    state[OUTCOME_KEY] = outcome
    spent = drawings.redraw(FORM)
    try:
        stored = store.submit_ballot(
            conn,
            voting_round.id,
            allocation=amounts,
            project_scores=scores,
            channel="paper",
            code=code,
            area=area,
            age_band=age_band,
        )
    except store.BallotRejected as rejected:
        outcome["problems"] = rejected.problems
        spent.take_back()  # the form as typed, to be corrected
        return
    except store.StoreError as refused:  # nothing stored, for another reason
        outcome["refused"] = refused
        spent.take_back()  # the form as typed, to be sent again
        return
    outcome["receipt"] = stored.receipt


def _about_allocation(problem: store.models.Problem) -> bool:
    return str(getattr(problem, "key", "")).startswith(
        ("validation.allocation.", "validation.amount.")
    )


def current_problems() -> list[store.models.Problem]:
    """The problems of the ballot last sent (none once one was stored)."""
    problems: list[store.models.Problem] = st.session_state.get(OUTCOME_KEY, {}).get("problems", [])
    return problems


def receipt() -> str | None:
    """The receipt of the ballot last sent, once stored."""
    stored: str | None = st.session_state.get(OUTCOME_KEY, {}).get("receipt")
    return stored


def refusal() -> store.StoreError | None:
    """Why the store stored nothing of the ballot last sent, other than its problems."""
    refused: store.StoreError | None = st.session_state.get(OUTCOME_KEY, {}).get("refused")
    return refused


def template_csv(service_ids: Sequence[str]) -> str:
    """The ballots CSV's header line: the fixed columns, then one column per service."""
    return ",".join([*store.BALLOT_FIELDS, *service_ids]) + "\n"
