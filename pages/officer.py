"""Round controls (/officer): officers sign in, open, close or publish a round, and choose
whether the projector hides live results until the round closes. ``?round=`` picks the
round shown first (kept in the address as the officer switches rounds and pages).

Guessing is slowed down per name and per client, and officers see who is on hold."""

import streamlit as st

from budgeting import store
from budgeting.ui import officer as officer_ui
from budgeting.ui import state
from budgeting.ui.markdown import literal

PENDING_KEY = "pending_status_change"
# Changes that ask for confirmation: the new status, and the status it moves from.
CONFIRMED_CHANGES = {"closed": "open", "published": "closed"}


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
    except store.StoreError as error:
        officer_ui.refused(error)
        return
    st.rerun()


def round_controls(conn, t, officer: str) -> None:
    """Open, close or publish a round and hide its live results; closing and publishing ask
    for confirmation; every change is audited as ``officer``."""
    voting_round = officer_ui.choose_round(conn, t)
    if voting_round is None:
        return
    st.metric(t("officer.ballots"), store.ballot_count(conn, voting_round.id))
    open_column, close_column, publish_column = st.columns(3)
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
        st.session_state[PENDING_KEY] = "closed"
    if publish_column.button(
        t("officer.publish_round"),
        key="publish_round",
        disabled=voting_round.status != "closed",
        width="stretch",
        type="primary",
    ):
        st.session_state[PENDING_KEY] = "published"
    confirm_change(conn, t, voting_round, officer)
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


def confirm_change(conn, t, voting_round: store.Round, officer: str) -> None:
    """Closing and publishing cannot be undone: after the button, the officer confirms with
    the round's name in front of them (or cancels)."""
    status = st.session_state.get(PENDING_KEY)
    if status not in CONFIRMED_CHANGES or voting_round.status != CONFIRMED_CHANGES[status]:
        st.session_state.pop(PENDING_KEY, None)
        return
    with st.container(border=True):
        st.warning(t(f"officer.confirm.{status}", name=literal(voting_round.name)))
        yes, no = st.columns(2)
        if yes.button(t(f"officer.confirm.{status}.yes"), key=f"confirm_{status}", type="primary"):
            st.session_state.pop(PENDING_KEY, None)
            change_round(conn, voting_round.id, officer, status=status)
        if no.button(t("officer.confirm.cancel"), key=f"cancel_{status}"):
            st.session_state.pop(PENDING_KEY, None)
            st.rerun()


page = officer_ui.officer_page("officer.title")
round_controls(page.conn, page.t, page.officer)
attempt_delays(page.conn, page.t)
