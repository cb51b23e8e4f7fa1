"""Round controls (/officer): officers sign in, open or close a round, and choose whether
the projector hides live results until the round closes. ``?round=`` picks the round shown
first (kept in the address as the officer switches rounds).

Who may sign in comes from the secrets; with anything wrong there nobody can, and the page
says what (never a fallback to demo mode). Guessing is slowed down per name and per client,
and officers see who is on hold."""

from collections import Counter

import streamlit as st

from budgeting import store
from budgeting.ui import auth, layout, state
from budgeting.ui.markdown import literal

OFFICER_KEY = "signed_in_officer"


def configuration_problems(t, settings: auth.OfficerSettings) -> None:
    """What is wrong with the officers' configuration; nobody can sign in meanwhile."""
    lines = [t("officer.config.nobody")]
    lines += [f"- {problem.message(language)}" for problem in settings.problems]
    st.error("\n".join(lines), icon=":material/lock:")


def sign_in_form(conn, t, officers) -> None:
    st.header(t("officer.sign_in"), anchor=False)
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


def attempt_delays(conn, t) -> None:
    """Who is on hold for wrong passwords or voter codes, and until when."""
    st.subheader(t("officer.delays.heading"), anchor=False)
    st.caption(t("officer.delays.help"))
    delays = store.attempt_delays(conn, now=state.now())
    if not delays:
        st.write(t("officer.delays.none"))
        return
    st.dataframe(
        [
            {
                t("officer.delays.who"): t(f"officer.delays.scope.{d.scope}", subject=d.subject),
                t("officer.delays.failures"): d.failures,
                t("officer.delays.until"): d.blocked_until.strftime("%Y-%m-%d %H:%M:%S"),
            }
            for d in delays
        ],
        hide_index=True,
        key="attempt_delays",
    )


def change_round(conn, round_id: str, officer: str, **changes) -> None:
    """Apply an officer's change, or show the store's reason for refusing it (a round that
    is not ready to open, say) instead of a traceback."""
    try:
        store.update_round(conn, round_id, actor=officer, **changes)
    except store.StoreError as refused:
        st.error(literal(str(refused)), icon=":material/error:")
        return
    st.rerun()


def round_controls(conn, t, officer: str) -> None:
    """Open or close a round and hide its live results; every change is audited as ``officer``."""
    rounds = store.list_rounds(conn)
    if not rounds:
        st.info(t("officer.no_rounds"))
        return
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
    voting_round = by_id[chosen_id]
    st.metric(t("officer.ballots"), store.ballot_count(conn, voting_round.id))
    st.write(t("officer.status", status=t(f"officer.status.{voting_round.status}")))
    open_column, close_column = st.columns(2)
    if open_column.button(
        t("officer.open_round"),
        key="open_round",
        disabled=voting_round.status != "draft",  # rounds move one way: draft, open, closed
        width="stretch",
    ):
        change_round(conn, voting_round.id, officer, status="open")
    if close_column.button(
        t("officer.close_round"),
        key="close_round",
        disabled=voting_round.status != "open",
        width="stretch",
        type="primary",
    ):
        change_round(conn, voting_round.id, officer, status="closed")
    hide = st.toggle(
        t("officer.hide_results"),
        value=voting_round.hide_results_until_close,
        key=f"hide_results_{voting_round.id}",
    )
    st.caption(t("officer.hide_results_help"))
    if hide != voting_round.hide_results_until_close:
        change_round(conn, voting_round.id, officer, hide_results_until_close=hide)
    round_query = {"round": voting_round.id}
    st.page_link("pages/results.py", label=t("officer.projector_link"), query_params=round_query)
    st.page_link("pages/vote.py", label=t("officer.vote_link"), query_params=round_query)


layout.resident_style()
language = state.language_switch()
t = state.translator(language)
conn = state.connection()
st.title(t("officer.title"), anchor=False)
settings = auth.officer_settings()
auth.log_settings(settings)  # also here: a first visit straight to /officer skips app.py
if settings.demo:
    st.warning(
        t("officer.demo_mode", name=auth.DEMO_OFFICER, password=auth.DEMO_PASSWORD),
        icon=":material/science:",
    )
if settings.problems:
    st.session_state.pop(OFFICER_KEY, None)
    configuration_problems(t, settings)
    st.stop()
signed_in = st.session_state.get(OFFICER_KEY)
if signed_in not in settings.officers:
    sign_in_form(conn, t, settings.officers)
    st.stop()

st.write(t("officer.signed_in_as", name=literal(signed_in)))
if st.button(t("officer.sign_out"), key="sign_out"):
    st.session_state.pop(OFFICER_KEY, None)
    st.rerun()
round_controls(conn, t, signed_in)
attempt_delays(conn, t)
