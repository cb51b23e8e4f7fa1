"""Start page: what Budget Together is, and the way to each part of it."""

import streamlit as st

from budgeting.ui import layout, state
from budgeting.ui.markdown import literal

layout.resident_style()
t = state.translator(state.language_switch())
conn = state.connection()
current_round = state.requested_round(conn)

st.title(t("home.title"), anchor=False)
st.write(t("home.intro"))
if current_round is not None:
    st.subheader(literal(current_round.name), anchor=False)
    round_query = {"round": current_round.id}
    status = current_round.status
    # What a resident can do now, in their words: vote while open; after close, the results.
    st.markdown(t(f"home.status.{status}"))
    if status == "open":
        st.page_link(
            "pages/vote.py",
            label=t("home.vote_link"),
            icon=":material/how_to_vote:",
            query_params=round_query,
        )
    results_label = {
        "closed": "home.results_closed_link",
        "published": "home.results_published_link",
    }.get(status, "home.results_link")
    st.page_link(
        "pages/results.py",
        label=t(results_label),
        icon=":material/bar_chart:",
        query_params=round_query,
    )
else:
    st.info(t("home.no_round"))
st.page_link("pages/receipt.py", label=t("home.receipt_link"), icon=":material/fact_check:")
st.page_link("pages/officer.py", label=t("home.officer_link"), icon=":material/lock:")
