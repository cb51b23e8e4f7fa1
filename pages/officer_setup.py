"""Round setup (/officer-setup): create a round, change its settings, and edit or import
its services, projects (CSV or pabulib ``.pb``) and areas with their population
(``budgeting.ui.round_setup``).

What can change depends on the round: everything until the first ballot is cast; after
that the budgets, ballot format, rules, services and projects are fixed (the store refuses
them, and the page says why), while the name and the areas can still change.
"""

import streamlit as st

from budgeting import store
from budgeting.ui import officer as officer_ui
from budgeting.ui import round_setup

page = officer_ui.officer_page("officer.menu.setup")
t, conn = page.t, page.conn
saved = st.session_state.pop("setup_saved", None)
# The notice has its own place on every run, shown or not: otherwise the tabs below would
# move when it goes, and the browser would show the Settings tab again (say, right after
# the officer chose a file to import on another tab).
with st.container(key="setup_notice"):
    if saved:
        st.success(saved, icon=":material/check_circle:")
with st.expander(t("officer.setup.new_round"), expanded=not store.list_rounds(conn)):
    round_setup.new_round_form(conn, t)
voting_round = officer_ui.choose_round(conn, t)
if voting_round is None:
    st.stop()
ballots = store.ballot_count(conn, voting_round.id)
tabs = st.tabs(
    [t("officer.setup.tab.settings")]
    + [t(f"officer.setup.tab.{table.name}") for table in round_setup.TABLES]
)
with tabs[0]:
    round_setup.settings_form(conn, t, voting_round, page.officer, ballots)
for tab, table in zip(tabs[1:], round_setup.TABLES, strict=True):
    with tab:
        round_setup.item_editor(conn, t, voting_round, table, ballots)
