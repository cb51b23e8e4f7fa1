"""Widgets the page changes, drawn anew under a new key each time.

With every tap the browser sends the value of each widget as it shows it. A tap made before
the browser has drawn the run that changed a widget sends what it showed before, and under
the same key Streamlit takes that for the user's own change: a typed amount came back at
its old value when Balance was tapped at once, a double click stored a paper ballot twice
or issued a second batch of voter codes, and a Save pressed as another round was picked
filled its settings form with the last round's
(``tests/test_ballot_taps_ahead_of_the_page.py``, and ``test_officer_paper.py``,
``test_officer_codes.py`` and ``test_officer_setup.py`` in ``tests/app``).

So a widget the page changes is drawn under a new key, ``name~N`` for its Nth drawing
(``redraw``, ``show``), and a callback can tell where a value came from (``is_current``,
``is_behind``, ``take``). Streamlit keeps a widget's callback after the widget has left
the page but not its value, so a value sent for an earlier drawing always looks changed
and its callback runs (``WStates.remove_stale_widgets`` and ``SessionState._widget_changed``
in ``streamlit/runtime/state/session_state.py``, Streamlit 1.67).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

MARK = "~"
_DRAWINGS_KEY = "widget_drawings"  # name -> how many times drawn anew
_REPLACED_KEY = "widget_replaced_values"  # key -> the value it had when drawn anew


def key(name: str, group: str | None = None) -> str:
    """The key widget ``name`` is drawn with now: ``name`` at first, ``name~N`` once it (or
    its ``group``, a form drawn anew as a whole) has been drawn anew N times."""
    drawing = st.session_state.get(_DRAWINGS_KEY, {}).get(group or name, 0)
    return f"{name}{MARK}{drawing}" if drawing else name


def name_of(widget_key: str) -> str:
    """The widget a key is a drawing of: ``amount_parks~2`` -> ``amount_parks``."""
    return widget_key.partition(MARK)[0]


@dataclass(frozen=True)
class Redrawn:
    """A drawing made by ``redraw``, to take back if the press it spent is then refused."""

    counts: dict[str, int]
    name: str

    def take_back(self) -> None:
        """The drawing replaced is current again, by a plain write that nothing stops."""
        self.counts[self.name] -= 1


def redraw(name: str) -> Redrawn:
    """Draw widget (or group) ``name`` anew: under a new key, starting from its default
    unless a value is set for it (``show``). A widget's value is kept for ``is_behind``.
    A pending rerun stops a run at any use of the session state
    (``runtime/state/safe_session_state.py``), so the new drawing is counted last, by a
    plain write: a run stopped in here has not drawn anything anew. (This holds because a
    session's runs never overlap: ``runner.fastReruns`` is off in
    ``.streamlit/config.toml``.)"""
    replaced = key(name)
    if replaced in st.session_state:
        st.session_state.setdefault(_REPLACED_KEY, {})[replaced] = st.session_state[replaced]
    counts = st.session_state.setdefault(_DRAWINGS_KEY, {})
    counts[name] = counts.get(name, 0) + 1  # the last step, and not one a rerun can stop
    return Redrawn(counts, name)


def show(name: str, value: Any) -> None:
    """Draw widget ``name`` anew, showing ``value``."""
    redraw(name)
    st.session_state[key(name)] = value


def is_current(widget_key: str, group: str | None = None) -> bool:
    """Whether ``widget_key`` is its widget's latest drawing."""
    return widget_key == key(name_of(widget_key), group)


def take(widget_key: str) -> bool:
    """Whether the value sent for ``widget_key`` is the user's change, to be taken (not a
    browser behind the page, ``is_behind``). One made on an earlier drawing is drawn anew
    showing it, and kept as that drawing's value, so the browser sending it again while
    still behind does not take it again."""
    if is_behind(widget_key):
        return False
    if not is_current(widget_key):
        value = st.session_state[widget_key]
        st.session_state.setdefault(_REPLACED_KEY, {})[widget_key] = value
        show(name_of(widget_key), value)
    return True


def is_behind(widget_key: str) -> bool:
    """Whether the value sent for ``widget_key`` comes from a browser that has not drawn the
    widget's latest drawing: an earlier drawing, sending the value it had when replaced.
    Any other value sent for an earlier drawing is a change the user made on it."""
    if is_current(widget_key):
        return False
    replaced: dict[str, Any] = st.session_state.get(_REPLACED_KEY, {})
    return widget_key in replaced and st.session_state.get(widget_key) == replaced[widget_key]
