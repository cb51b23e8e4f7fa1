"""The resident ballot in steps, one per screen on a phone: voter code (when the round uses
codes), services, projects, review, then the receipt.

The step lives in session state (``ballot_step``). Widgets of the steps not shown keep their
values because ``ballot_form.load_ballot`` hands them back on every run. Moving on is
refused while the step has a problem (``refuse``): the page then says why next to the
button. Widget keys of the test contract: ``step_next`` and ``step_back``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence

import streamlit as st

from budgeting import store

STEP_KEY = "ballot_step"
REFUSED_KEY = "ballot_step_refused"
SCROLL_KEY = "ballot_step_scroll"
NEXT_KEY = "step_next"
BACK_KEY = "step_back"

CODE, SERVICES, PROJECTS, REVIEW, RECEIPT = "code", "services", "projects", "review", "receipt"
_moves = itertools.count()


def steps_for(voting_round: store.Round) -> tuple[str, ...]:
    """The round's numbered steps, in order (the receipt ends the last one)."""
    steps = (SERVICES, PROJECTS, REVIEW)
    return (CODE, *steps) if voting_round.code_mode == "codes" else steps


def current(steps: Sequence[str]) -> str:
    """The step shown now: the one kept in session state, else the first."""
    step = st.session_state.get(STEP_KEY)
    return step if isinstance(step, str) and (step in steps or step == RECEIPT) else steps[0]


def go(step: str) -> None:
    """Show ``step`` next, from its top, with no refusal left over from another step."""
    if st.session_state.get(STEP_KEY) != step:
        st.session_state[SCROLL_KEY] = next(_moves)
    st.session_state[STEP_KEY] = step
    st.session_state.pop(REFUSED_KEY, None)


def refuse(step: str) -> None:
    """Next was pressed while ``step`` had a problem: stay, and say why by the button."""
    st.session_state[REFUSED_KEY] = step


def was_refused(step: str) -> bool:
    return st.session_state.get(REFUSED_KEY) == step


def neighbours(steps: Sequence[str], step: str) -> tuple[str | None, str | None]:
    """The steps before and after ``step`` (None at either end)."""
    index = list(steps).index(step)
    before = steps[index - 1] if index > 0 else None
    after = steps[index + 1] if index + 1 < len(steps) else None
    return before, after


def scroll_to_top() -> None:
    """After a move to another step, the page starts at its top (a phone would otherwise
    keep the scroll position of the longer step before it).

    The script takes a place on the page held on every run (empty when there was no move),
    so what follows is redrawn where it was: Streamlit shows the last run's elements until
    the new run replaces them place by place, and a widget one place further on would be
    shown twice meanwhile, a tap landing on either copy."""
    place = st.empty()
    move = st.session_state.pop(SCROLL_KEY, None)
    if move is None:
        return
    script = (
        f"<script>/* step move {json.dumps(move)} */"
        "for (const el of [document.scrollingElement,"
        " document.querySelector('[data-testid=stMain]'),"
        " document.querySelector('[data-testid=stAppViewContainer]')])"
        " { if (el) el.scrollTo(0, 0); }</script>"
    )
    place.html(script, unsafe_allow_javascript=True)
