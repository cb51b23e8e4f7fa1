"""What every officer page shares: the sign-in gate, the officers' menu and the round picker.

Every officer page starts with ``officer_page(title_key)``. A visitor who is not signed in
(or who opens an officer address directly) gets the sign-in form and nothing else: the
page stops before any officer content or download is built. Signed-in officers get the
officers' menu, which is the only place officer pages are listed. Demo mode shows its
banner on every officer page.

Who may sign in comes from the secrets (``budgeting.ui.auth``); with anything wrong there
nobody can, and the page says what (never a fallback to demo mode).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import streamlit as st

from budgeting import store
from budgeting.ui import auth, layout, state
from budgeting.ui.markdown import literal

OFFICER_KEY = "signed_in_officer"

OFFICER_PAGES = (
    ("pages/officer.py", "officer", "officer.menu.controls", ":material/tune:"),
    ("pages/officer_setup.py", "officer-setup", "officer.menu.setup", ":material/edit_note:"),
    ("pages/officer_codes.py", "officer-codes", "officer.menu.codes", ":material/key:"),
    ("pages/officer_paper.py", "officer-paper", "officer.menu.paper", ":material/description:"),
    ("pages/officer_review.py", "officer-review", "officer.menu.review", ":material/bar_chart:"),
    ("pages/officer_export.py", "officer-export", "officer.menu.export", ":material/download:"),
    ("pages/officer_audit.py", "officer-audit", "officer.menu.audit", ":material/verified:"),
)
"""The officers' pages in menu order: script, address, title key, icon. ``app.py`` declares
them from this table and the menu lists them from it."""


@dataclass(frozen=True)
class OfficerPage:
    """What an officer page needs once the gate has let the officer in."""

    officer: str
    conn: store.Connection
    t: Callable[..., str]
    language: str


def officer_page(title_key: str) -> OfficerPage:
    """Style the page, check the officer is signed in (else show the sign-in form and stop),
    then show the title, the demo banner and the officers' menu."""
    layout.officer_style()
    language = state.language_switch()
    t = state.translator(language)
    conn = state.connection()
    settings = auth.officer_settings()
    if settings.demo:
        st.warning(
            t("officer.demo_mode", name=auth.DEMO_OFFICER, password=auth.DEMO_PASSWORD),
            icon=":material/science:",
        )
    if settings.problems:
        st.session_state.pop(OFFICER_KEY, None)
        st.title(t("officer.sign_in"), anchor=False)
        _configuration_problems(t, settings)
        st.stop()
    officer = st.session_state.get(OFFICER_KEY)
    if not isinstance(officer, str) or officer not in settings.officers:
        st.title(t("officer.sign_in"), anchor=False)
        _sign_in_form(conn, t, settings.officers)
        st.stop()
    _menu(t, officer)
    st.title(t(title_key), anchor=False)
    return OfficerPage(officer=officer, conn=conn, t=t, language=language)


def _configuration_problems(t: Callable[..., str], settings: auth.OfficerSettings) -> None:
    """What is wrong with the officers' configuration; nobody can sign in meanwhile."""
    lines = [t("officer.config.nobody")]
    lines += [f"- {problem.message(state.language())}" for problem in settings.problems]
    st.error("\n".join(lines), icon=":material/lock:")


def _sign_in_form(
    conn: store.Connection, t: Callable[..., str], officers: Mapping[str, str]
) -> None:
    with st.form("sign_in"):
        name = st.text_input(t("officer.name"), key="officer_name")
        password = st.text_input(t("officer.password"), type="password", key="officer_password")
        if st.form_submit_button(t("officer.sign_in_button"), type="primary"):
            result = auth.sign_in(
                conn, name, password, officers, client=state.client_id(), now=state.now()
            )
            if result.signed_in:
                st.session_state[OFFICER_KEY] = name.strip()
                st.rerun()
            if result.checked:
                st.error(t("officer.wrong_password"), icon=":material/error:")
            if result.wait:
                st.error(
                    t("officer.wait", wait=state.wait_text(result.wait)), icon=":material/timer:"
                )


def _menu(t: Callable[..., str], officer: str) -> None:
    """The officers' pages, the round in the address carried along, and signing out."""
    round_query = {"round": st.query_params["round"]} if "round" in st.query_params else None
    with st.sidebar:
        st.write(t("officer.signed_in_as", name=literal(officer)))
        for page, _, label_key, icon in OFFICER_PAGES:
            st.page_link(page, label=t(label_key), icon=icon, query_params=round_query)
        if st.button(t("officer.sign_out"), key="sign_out"):
            st.session_state.pop(OFFICER_KEY, None)
            st.rerun()


def choose_round(conn: store.Connection, t: Callable[..., str]) -> store.Round | None:
    """The round the officer works on, picked from every round and kept in the address
    (``?round=``) so the menu and a reload keep it; ``None`` (said on the page) when there
    are no rounds."""
    rounds = store.list_rounds(conn)
    if not rounds:
        st.info(t("officer.no_rounds"))
        return None
    by_id = {r.id: r for r in rounds}
    ids = list(by_id)
    # The selectbox keeps its choice by label: rounds sharing a name are told apart by id,
    # or a click on one could act on the other.
    names = Counter(r.name for r in rounds)
    labels = {r.id: r.name if names[r.name] == 1 else f"{r.name} ({r.id})" for r in rounds}
    requested = st.query_params.get("round")
    chosen_id = st.selectbox(
        t("officer.round"),
        ids,
        index=ids.index(requested) if requested in by_id else 0,
        format_func=labels.__getitem__,
        key="round_id",
    )
    st.query_params["round"] = chosen_id
    st.caption(t("officer.status", status=t(f"officer.status.{by_id[chosen_id].status}")))
    return by_id[chosen_id]


def refused(error: store.StoreError) -> None:
    """The store's reason for refusing a change, as text (never a traceback)."""
    st.error(literal(str(error)), icon=":material/error:")
