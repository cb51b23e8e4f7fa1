"""The resident ballot's widget state: which keys hold what, loading a previous ballot for
revision, keeping sliders and number inputs in step, and submitting through the store.

Widget keys are part of the product's test contract: ``alloc_<service_id>`` for each
service's slider, ``amount_<service_id>`` for its number input, each followed by ``~N``
for the Nth value the page has set on it (``budgeting.ui.drawings``),
``project_<project_id>`` for each project, ``voter_code``, ``use_code`` and
``submit_ballot`` (and ``step_next``, ``step_back`` from ``ballot_steps``).

A printed slip's QR code opens the ballot with ``?code=`` in the address: the code field is
filled from it (``prefill_code``), and the code is checked only once the resident presses
the check button, as a typed code is.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from typing import Any

import streamlit as st

from budgeting import store
from budgeting.engine import ballots as engine_ballots
from budgeting.store.codes import normalise_code
from budgeting.store.validation import ballot_problems, project_vote_settings
from budgeting.ui import ballot, ballot_steps, drawings, state

CODE_KEY = "voter_code"
PREVIOUS_KEY = "loaded_ballot"
SUBMIT_KEY = "submit_ballot"
LOADED_KEY = "ballot_loaded_for"
PROBLEMS_KEY = "ballot_problems"
RECEIPT_KEY = "ballot_receipt"
ATTEMPT_KEY = "ballot_attempted"
CODE_CHECKED_KEY = "voter_code_checked"
CHECKED_BALLOT_KEY = "voter_code_ballot"
PREFILLED_KEY = "voter_code_prefilled"
CODE_PRESSED_KEY = "voter_code_pressed"
TOUCHED_KEY = "ballot_touched"
ACCEPTED_KEY = "ballot_accepted_scores"
REFUSAL_KEY = "ballot_refusal"
SEND_KEY = "ballot_send_pressed"
CODE_QUERY = "code"
CODE_MAX_CHARS = 40


def prefill_code() -> None:
    """Fill the code field from ``?code=`` (a slip's QR code), before the field is drawn.

    The code is then taken out of the address, so it does not stay in a shared browser's
    history or a bookmark. Nothing is checked yet: ``code_waits_for_check`` holds the code
    until the resident presses the check button (or changes the code), so opening the link
    neither uses up a guess nor votes on anyone's behalf."""
    if CODE_QUERY not in st.query_params:
        return
    code = st.query_params[CODE_QUERY].strip()[:CODE_MAX_CHARS]
    del st.query_params[CODE_QUERY]
    if code:
        st.session_state[CODE_KEY] = code
        st.session_state[PREFILLED_KEY] = code


def code_waits_for_check(code: str, pressed: bool) -> bool:
    """Whether ``code`` is the one filled in from the address and the resident has not yet
    pressed the check button (``pressed``) nor changed it: then it is not checked yet."""
    prefilled = st.session_state.get(PREFILLED_KEY)
    if prefilled is None:
        return False
    if pressed or code != prefilled:
        st.session_state.pop(PREFILLED_KEY, None)
        return False
    return True


@dataclass(frozen=True)
class CodeEntry:
    """The voter code field as the page starts: the code once the store recognises it
    (else None), the answer (``"valid"``, ``"unknown"``, ``"wait"``, or None when nothing
    was checked), how long to wait, and whether the resident has just sent it (pressed
    Continue or changed the field)."""

    code: str | None
    status: str | None
    wait: timedelta
    pressed: bool


def code_pressed() -> None:
    """Continue was pressed, or the code in the field changed: check it now."""
    st.session_state[CODE_PRESSED_KEY] = True


def entered_code(conn: store.Connection, round_id: str) -> CodeEntry:
    """Read and check the voter code before the ballot's step is drawn, so the page can
    choose the step to show. The field's value is kept while other steps are shown."""
    prefill_code()
    st.session_state.pop(CHECKED_BALLOT_KEY, None)  # handed to load_ballot in one run only
    if CODE_KEY in st.session_state:
        st.session_state[CODE_KEY] = st.session_state[CODE_KEY]
    code = (st.session_state.get(CODE_KEY) or "").strip()
    pressed = bool(st.session_state.pop(CODE_PRESSED_KEY, False))
    if not code or code_waits_for_check(code, pressed):
        return CodeEntry(None, None, timedelta(0), pressed)
    status, wait = check_code(conn, round_id, code)
    return CodeEntry(code if status == "valid" else None, status, wait, pressed)


def check_code(conn: store.Connection, round_id: str, code: str) -> tuple[str, timedelta]:
    """The code's status (``"valid"``, ``"unknown"``, or ``"wait"`` with how long).

    Guessing is slowed down per session and per client address (``store.record_failure``):
    while either is on hold the code is not checked at all. The last code checked is
    remembered with its answer, so the page running again (any widget does that) neither
    counts a mistyped code twice nor checks a good one again. A right code clears only the
    session's failures: everyone holds one good code, so it must not reset the address's.
    """
    checked = (round_id, normalise_code(code))
    remembered = st.session_state.get(CODE_CHECKED_KEY)
    if remembered is not None and remembered[0] == checked:
        return remembered[1], timedelta(0)
    session = ("code_session", state.session_id())
    keys = [session, ("code_client", state.client_id())]
    wait = store.attempt_wait(conn, keys, now=state.now())
    if wait:
        return "wait", wait
    check = store.voter_code_check(conn, round_id, code)
    status = check.status
    if status == "valid":
        store.record_success(conn, [session])
        st.session_state[CHECKED_BALLOT_KEY] = (checked, check.ballot)
    else:
        wait = store.record_failure(conn, keys, round_id=round_id, now=state.now())
    st.session_state[CODE_CHECKED_KEY] = (checked, status)
    return status, wait


SLIDER_PREFIX = "alloc_"
AMOUNT_PREFIX = "amount_"


def slider_key(service_id: str) -> str:
    """The key of the service's slider as drawn now (``budgeting.ui.drawings``)."""
    return drawings.key(SLIDER_PREFIX + service_id)


def amount_key(service_id: str) -> str:
    """The key of the service's number input as drawn now (``budgeting.ui.drawings``)."""
    return drawings.key(AMOUNT_PREFIX + service_id)


def show_amount(service_id: str, amount: int) -> None:
    """The service's slider and number input both show ``amount``, drawn anew."""
    drawings.show(SLIDER_PREFIX + service_id, amount)
    drawings.show(AMOUNT_PREFIX + service_id, amount)


def project_key(project_id: str) -> str:
    return f"project_{project_id}"


def limits_of(services: Sequence[store.Service]) -> list[ballot.ServiceLimits]:
    """Each service's bounds, as the ballot arithmetic needs them."""
    return [ballot.ServiceLimits(s.id, s.floor, s.ceiling, s.current_spend) for s in services]


def load_ballot(
    conn: store.Connection,
    voting_round: store.Round,
    services: Sequence[store.Service],
    projects: Sequence[store.Project],
    code: str | None,
) -> store.StoredBallot | None:
    """The resident's latest ballot (None for a first vote). The widgets are filled once per
    round and code: with that ballot, so the resident revises it, else with the starting
    allocation and no projects chosen."""
    marker = (voting_round.id, code)
    widget_keys = [
        *(key for s in services for key in (slider_key(s.id), amount_key(s.id))),
        *(project_key(p.id) for p in projects),
    ]
    if st.session_state.get(LOADED_KEY) == marker and all(
        key in st.session_state for key in widget_keys
    ):
        # Filled already. The values are handed back on every run: the browser builds a
        # widget it has not shown yet (say, after a fast rerun cut the previous run short)
        # from this run's message, and without them it would start at its minimum and
        # send that back on the resident's next move. The ballot loaded is remembered,
        # not read again (nor the code hashed again) on every rerun.
        for key in widget_keys:
            st.session_state[key] = st.session_state[key]
        loaded: store.StoredBallot | None = st.session_state.get(PREVIOUS_KEY)
        return loaded
    previous = _ballot_of_code(conn, voting_round.id, code) if code else None
    st.session_state[PREVIOUS_KEY] = previous
    budget = voting_round.service_budget
    if previous is not None:
        amounts = {
            s.id: ballot.whole_pounds(previous.allocation.get(s.id, s.floor)) for s in services
        }
    else:
        amounts = ballot.starting_allocation(limits_of(services), budget)
    for service in services:
        show_amount(service.id, amounts[service.id])
    scores = previous.project_scores if previous is not None else {}
    for project in projects:
        score = scores.get(project.id, 0)
        points = voting_round.ballot_format == "points"
        st.session_state[project_key(project.id)] = score if points else score > 0
    st.session_state[LOADED_KEY] = marker
    st.session_state[ACCEPTED_KEY] = {pid: int(score) for pid, score in scores.items() if score}
    st.session_state[TOUCHED_KEY] = set()
    for key in (PROBLEMS_KEY, RECEIPT_KEY, ATTEMPT_KEY, REFUSAL_KEY):
        st.session_state.pop(key, None)
    return previous


def _ballot_of_code(conn: store.Connection, round_id: str, code: str) -> store.StoredBallot | None:
    """The code's ballot as this run's code check read it (the code hashed once), else read
    now."""
    handed = st.session_state.pop(CHECKED_BALLOT_KEY, None)
    if handed is not None and handed[0] == (round_id, normalise_code(code)):
        ballot_read: store.StoredBallot | None = handed[1]
        return ballot_read
    return store.latest_ballot(conn, round_id, code)


def forget_ballot() -> None:
    """Drop the loaded ballot (the code was cleared or changed), so the next code starts
    from its own latest ballot."""
    for key in (
        LOADED_KEY,
        PREVIOUS_KEY,
        PROBLEMS_KEY,
        RECEIPT_KEY,
        ATTEMPT_KEY,
        REFUSAL_KEY,
        TOUCHED_KEY,
    ):
        st.session_state.pop(key, None)


def finish() -> None:
    """Clear the screen for the next resident (a shared kiosk at a meeting): the code and
    the ballot go; the stored ballot stays."""
    st.session_state[CODE_KEY] = ""
    forget_ballot()
    ballot_steps.go(ballot_steps.CODE)


def slider_moved(service_id: str, key: str) -> None:
    """The slider (drawn with ``key``) moved: the number input shows the same amount, and
    Balance keeps it. A value from a browser behind the page is not a move; a move on a
    slider the page has since drawn anew stands (``drawings.take``)."""
    if drawings.take(key):
        drawings.show(AMOUNT_PREFIX + service_id, st.session_state[key])
        _touch(service_id)


def amount_typed(service_id: str, key: str, floor: int, ceiling: int) -> None:
    """An exact amount was typed (in the number input drawn with ``key``): it is kept as
    typed (it is what will be sent, and an amount outside the service's range is shown as
    a problem, never silently changed); the slider, which cannot leave the range, follows
    as far as it can. As for ``slider_moved``, a value from a browser behind the page is
    not typing."""
    if not drawings.take(key):
        return
    typed = st.session_state[key]
    if typed is not None:
        drawings.show(SLIDER_PREFIX + service_id, min(max(int(typed), floor), ceiling))
    _touch(service_id)


def _touch(service_id: str) -> None:
    st.session_state[TOUCHED_KEY] = {*st.session_state.get(TOUCHED_KEY, ()), service_id}


def touched() -> Collection[str]:
    """The services the resident has changed in this ballot (Balance keeps them)."""
    changed: Collection[str] = st.session_state.get(TOUCHED_KEY, set())
    return changed


def current_allocation(services: Sequence[store.Service]) -> dict[str, int]:
    """Service id -> whole pounds, as the number inputs hold them now: exactly what the
    review shows and ``submit`` sends (the sliders only follow them)."""
    return {s.id: _whole(st.session_state.get(amount_key(s.id))) for s in services}


def _whole(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0


def current_scores(projects: Sequence[store.Project]) -> dict[str, int]:
    """Project id -> score for every project given one (1 on approval and knapsack
    ballots). A negative score is kept, so it is refused in words, not dropped."""
    scores = {p.id: int(st.session_state.get(project_key(p.id)) or 0) for p in projects}
    return {project_id: score for project_id, score in scores.items() if score != 0}


def balancing(services: Sequence[store.Service], budget: Fraction) -> engine_ballots.Balancing:
    """What Balance would do now: keep the services the resident changed, spread the
    difference over the others (the engine's arithmetic)."""
    return ballot.balancing(current_allocation(services), limits_of(services), budget, touched())


def balance_allocation(services: Sequence[store.Service], budget: Fraction) -> None:
    """The Balance button: carry out ``balancing``; when it cannot (the page says why and
    disables the button), nothing changes."""
    plan = balancing(services, budget)
    if plan.blocked is not None:
        return
    for service_id in plan.spread_over:
        show_amount(service_id, ballot.whole_pounds(plan.amounts[service_id]))


@dataclass(frozen=True)
class Refusal:
    """A choice not taken, and why: a catalogue key and its values (``money`` names the
    amounts among them)."""

    project_id: str
    key: str
    params: dict[str, Any]
    money: tuple[str, ...] = ()


LIMIT_PROBLEMS = frozenset(
    {"validation.vote.too_many", "validation.vote.over_budget", "validation.points.too_many"}
)


def choice_changed(
    project_id: str, voting_round: store.Round, projects: Sequence[store.Project]
) -> None:
    """A project was ticked, unticked or given points. A change that would take the vote
    past the round's limit (the number of projects, the project budget, the points to
    give), as the engine's validation judges it, is refused at once: the widget goes back
    to the value last taken and the reason is kept for the page to show by the project.
    Taking a choice away is never refused; a value that is a problem in itself (negative
    points) is kept as typed and shown as a problem."""
    key = project_key(project_id)
    accepted: dict[str, int] = dict(st.session_state.get(ACCEPTED_KEY) or current_scores(projects))
    before = accepted.get(project_id, 0)
    value = st.session_state.get(key)
    after = int(value or 0)
    trial = {**accepted, project_id: after}
    if after > before and _past_limit(voting_round, projects, trial):
        points = voting_round.ballot_format == "points"
        st.session_state[key] = before if points else before > 0
        st.session_state[REFUSAL_KEY] = _refusal(
            voting_round, projects, accepted, project_id, after
        )
        return
    accepted[project_id] = after
    st.session_state[ACCEPTED_KEY] = {pid: score for pid, score in accepted.items() if score}
    st.session_state.pop(REFUSAL_KEY, None)


def _past_limit(
    voting_round: store.Round, projects: Sequence[store.Project], scores: dict[str, int]
) -> bool:
    """Whether the engine finds ``scores`` past one of the round's limits (negative points
    left out: they are a problem of their own, shown by their project)."""
    counted = {pid: score for pid, score in scores.items() if score > 0}
    settings = project_vote_settings(voting_round, projects)
    problems = engine_ballots.validate_project_vote(counted, settings)
    return any(problem.key in LIMIT_PROBLEMS for problem in problems)


def _refusal(
    voting_round: store.Round,
    projects: Sequence[store.Project],
    accepted: dict[str, int],
    project_id: str,
    wanted: int,
) -> Refusal:
    chosen = {pid: score for pid, score in accepted.items() if score > 0}
    if voting_round.ballot_format == "knapsack":
        costs = {p.id: p.cost for p in projects}
        left = voting_round.project_budget - ballot.chosen_cost(costs, chosen)
        return Refusal(
            project_id,
            "vote.projects.refused_knapsack",
            {"cost": costs[project_id], "left": left, "budget": voting_round.project_budget},
            money=("cost", "left", "budget"),
        )
    if voting_round.ballot_format == "points":
        limit = voting_round.max_points or 0
        others = sum(score for pid, score in chosen.items() if pid != project_id)
        return Refusal(
            project_id,
            "vote.projects.refused_points",
            {
                "points": wanted,
                "total": others + wanted,
                "limit": limit,
                "most": max(limit - others, 0),
                "kept": accepted.get(project_id, 0),
            },
        )
    return Refusal(
        project_id,
        "vote.projects.refused_approval",
        {"chosen": len(chosen), "limit": voting_round.max_approvals},
    )


def refusal() -> Refusal | None:
    """The choice refused last, until the resident's next change is taken."""
    refused: Refusal | None = st.session_state.get(REFUSAL_KEY)
    return refused


def send_pressed(round_id: str) -> None:
    """Send was pressed on this round's ballot: the ballot is sent by the step's run
    (``take_send``, then ``submit``), in the step's turn (``budgeting.ui.turns``), not by
    this callback, which would take a turn of its own and leave the step to queue a second
    time."""
    st.session_state[SEND_KEY] = round_id


def take_send(round_id: str) -> bool:
    """Whether Send was pressed on this round's ballot and not yet sent; asked by the run
    that sends, and forgotten once asked. A press left over from a run that stopped first
    (its round had just closed) never sends another round's ballot."""
    pressed_on: str | None = st.session_state.pop(SEND_KEY, None)
    return pressed_on == round_id


def submit(
    conn: store.Connection,
    voting_round: store.Round,
    services: Sequence[store.Service],
    projects: Sequence[store.Project],
    code: str | None,
) -> None:
    """Send the ballot to the store. The receipt is shown only once the store has committed
    the ballot; a rejected ballot keeps its problems for display next to their fields.

    Once a receipt is shown nothing more is sent from this visit: a second tap (say, while
    the first was being stored, before the page could disable the button) is ignored; the
    resident revises by coming back with their code.
    """
    if st.session_state.get(RECEIPT_KEY):
        return
    allocation, scores = current_allocation(services), current_scores(projects)
    try:
        stored = store.submit_ballot(
            conn,
            voting_round.id,
            allocation={sid: Fraction(amount) for sid, amount in allocation.items()},
            project_scores=scores,
            channel="web",
            code=code,
        )
    except store.BallotRejected as rejected:
        st.session_state[PROBLEMS_KEY] = rejected.problems
        st.session_state[ATTEMPT_KEY] = (allocation, scores)
        st.session_state.pop(RECEIPT_KEY, None)
    else:
        st.session_state.pop(PROBLEMS_KEY, None)
        st.session_state[RECEIPT_KEY] = stored.receipt
        ballot_steps.go(ballot_steps.RECEIPT)


def current_problems(
    voting_round: store.Round,
    services: Sequence[store.Service],
    projects: Sequence[store.Project],
) -> list[store.models.Problem]:
    """Every problem with the ballot as the widgets hold it now (the engine's checks, run
    on every change, so a fixed problem disappears at once); right after a refused send of
    these same values, the store's reasons for refusing it."""
    allocation, scores = current_allocation(services), current_scores(projects)
    if PROBLEMS_KEY in st.session_state and st.session_state.get(ATTEMPT_KEY) == (
        allocation,
        scores,
    ):
        stored: list[store.models.Problem] = st.session_state[PROBLEMS_KEY]
        return stored
    return ballot_problems(voting_round, services, projects, allocation, scores)


ProblemsByPlace = dict[str, list[store.models.Problem]]
"""Problems by where the page shows them (``problems_by_place``)."""

STEP_PLACES = {
    ballot_steps.SERVICES: ("service:", "allocation"),
    ballot_steps.PROJECTS: ("project:", "projects"),
}


def step_problems(places: ProblemsByPlace, step: str) -> list[store.models.Problem]:
    """The problems that keep the resident on ``step`` (all of them on the review)."""
    prefixes = STEP_PLACES.get(step)
    return [
        problem
        for place, found in places.items()
        if prefixes is None or place.startswith(prefixes)
        for problem in found
    ]


def next_step(
    step: str,
    after: str,
    voting_round: store.Round,
    services: Sequence[store.Service],
    projects: Sequence[store.Project],
) -> None:
    """Next: on to ``after`` unless ``step`` has a problem now; then stay, and the page
    says why by the button."""
    problems = current_problems(voting_round, services, projects)
    if step_problems(problems_by_place(problems, services, projects), step):
        ballot_steps.refuse(step)
    else:
        ballot_steps.go(after)
        st.session_state.pop(REFUSAL_KEY, None)


def field_problems(
    voting_round: store.Round,
    services: Sequence[store.Service],
    projects: Sequence[store.Project],
) -> list[store.models.Problem]:
    """The engine's problems with single fields (a service's amount, a project's points)
    of the ballot as the widgets hold it now; while there are any, Send is refused."""
    allocation, scores = current_allocation(services), current_scores(projects)
    problems = ballot_problems(voting_round, services, projects, allocation, scores)
    return [problem for problem in problems if problem.field != "total"]


ALLOCATION_TOPICS = frozenset({"allocation", "amount"})
PROJECT_VOTE_TOPICS = frozenset({"vote", "points", "ranking"})


def problems_by_place(
    problems: Sequence[store.models.Problem],
    services: Sequence[store.Service],
    projects: Sequence[store.Project],
) -> ProblemsByPlace:
    """Group problems by where the page shows them: ``service:<id>`` and ``project:<id>``
    next to that service or project; ``allocation`` (the allocation as a whole) and
    ``projects`` (the project vote as a whole); anything else under ``ballot``.

    A problem's ``field`` is the service or project id it concerns, or ``"total"`` for a
    whole half of the ballot; which half is in its catalogue key
    (``validation.allocation.*`` and ``validation.amount.*`` against ``validation.vote.*``,
    ``validation.points.*`` and ``validation.ranking.*``).
    """
    service_ids = {s.id for s in services}
    project_ids = {p.id for p in projects}
    places: dict[str, list[store.models.Problem]] = {}
    for problem in problems:
        topic = getattr(problem, "key", "").split(".")[1:2]
        if problem.field in service_ids:
            place = f"service:{problem.field}"
        elif problem.field in project_ids:
            place = f"project:{problem.field}"
        elif ALLOCATION_TOPICS.intersection(topic):
            place = "allocation"
        elif PROJECT_VOTE_TOPICS.intersection(topic):
            place = "projects"
        else:
            place = "ballot"
        places.setdefault(place, []).append(problem)
    return places
