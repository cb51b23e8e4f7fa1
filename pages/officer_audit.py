"""Audit log (/officer-audit): every officer action and ballot event, newest first, and a
button that verifies the whole chain and every table it vouches for
(``store.audit_report``, the same check as ``python -m budgeting verify-audit``).

The log can hold one entry per ballot, so the page lists the newest entries of the kind
the officer picks, with the count of every kind; the verification always reads it all.
"""

import json

import streamlit as st

from budgeting import store
from budgeting.ui import officer as officer_ui
from budgeting.ui.markdown import literal

SHOWN = 200

page = officer_ui.officer_page("officer.menu.audit")
t, conn = page.t, page.conn

st.subheader(t("officer.audit.verify_heading"), anchor=False)
st.caption(t("officer.audit.verify_help"))
if st.button(t("officer.audit.verify"), key="verify_audit", type="primary"):
    report = store.audit_report(conn)
    if report.problems:
        st.error(
            t("officer.audit.broken", entries=report.entries)
            + "\n"
            + "\n".join(f"- {literal(problem)}" for problem in report.problems),
            icon=":material/gpp_bad:",
        )
    else:
        st.success(
            t("officer.audit.intact", entries=report.entries, head=str(report.head)),
            icon=":material/verified:",
        )
    for note in report.notes:
        st.info(literal(note))

st.subheader(t("officer.audit.entries_heading"), anchor=False)
kinds = store.audit_kinds(conn)
if not kinds:
    st.write(t("officer.audit.empty"))
    st.stop()
everything = t("officer.audit.all_kinds", count=sum(kinds.values()))
labels = {None: everything} | {kind: f"{kind} ({count:,})" for kind, count in kinds.items()}
chosen = st.selectbox(
    t("officer.audit.kind"), list(labels), format_func=labels.__getitem__, key="audit_kind"
)
entries = store.audit_log(conn, kind=chosen, newest=SHOWN)
st.caption(t("officer.audit.newest", shown=len(entries)))
st.dataframe(
    [
        {
            t("officer.audit.seq"): entry.seq,
            t("officer.audit.at"): entry.at.strftime("%Y-%m-%d %H:%M:%S"),
            t("officer.audit.round"): entry.round_id or "",
            t("officer.audit.kind_column"): entry.kind,
            t("officer.audit.actor"): entry.details.get("actor") or "",
            t("officer.audit.details"): json.dumps(entry.details, ensure_ascii=False)[:300],
        }
        for entry in reversed(entries)
    ],
    hide_index=True,
    key="audit_entries",
)
