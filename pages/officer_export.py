"""Exports (/officer-export): the anonymised ballots as CSV, Parquet and pabulib ``.pb``,
and the results as CSV, for the round the officer picks (``budgeting.results.export``).

Each file is built only when its button is pressed. The ``.pb`` file recomputes the
winners with one command, shown on the page; the public results page offers the same file
once the round is published.
"""

import streamlit as st

from budgeting.results import export
from budgeting.ui import officer as officer_ui

page = officer_ui.officer_page("officer.menu.export")
t, conn = page.t, page.conn
voting_round = officer_ui.choose_round(conn, t)
if voting_round is None:
    st.stop()
round_id = voting_round.id
if voting_round.status != "published":
    st.info(t("officer.export.not_published"))
st.caption(t("officer.export.anonymised"))
for file_format in export.BALLOT_FORMATS:
    st.download_button(
        t(f"officer.export.ballots.{file_format}"),
        data=lambda file_format=file_format: export.ballots_file(conn, round_id, file_format),
        file_name=f"{round_id}-ballots.{file_format}",
        mime=export.MEDIA_TYPES[file_format],
        key=f"export_ballots_{file_format}",
        on_click="ignore",
    )
st.download_button(
    t("officer.export.results.csv"),
    data=lambda: export.results_csv(conn, round_id),
    file_name=f"{round_id}-results.csv",
    mime=export.MEDIA_TYPES["csv"],
    key="export_results_csv",
    on_click="ignore",
)
st.write(t("officer.export.recompute"))
st.code(export.recompute_command(f"{round_id}-ballots.pb"), language="bash")
