"""Voter codes (/officer-codes): issue codes for an area, see them once and download them as
CSV and as a PDF sheet of slips to print, revoke a lost code, and count the codes by area.

Only the codes' salted hashes are stored. The plain codes live in this officer's session
from the moment they are issued until the officer says they are saved (or issues more, or
picks another round): they can never be shown again after that."""

import re

import streamlit as st

from budgeting import store
from budgeting.results import slips
from budgeting.ui import drawings, state
from budgeting.ui import officer as officer_ui
from budgeting.ui.markdown import literal

ISSUED_KEY = "issued_voter_codes"
ISSUE_FORM = "issue_codes"
WHOLE_NUMBER = re.compile(r"\d+|\d{1,3}(,\d{3})+")


def area_label(t, areas: dict[str, store.Area], area: str | None) -> str:
    if area is None:
        return t("officer.codes.no_area")
    return areas[area].name if area in areas else area


def parse_count(typed: str) -> int | None:
    """The number of codes asked for: a whole number 1 to 10,000 (``1,000`` allowed)."""
    typed = typed.strip()
    if not WHOLE_NUMBER.fullmatch(typed):
        return None
    count = int(typed.replace(",", ""))
    return count if 1 <= count <= store.MAX_CODES_PER_ISSUE else None


def issue_form(conn, t, officer: str, voting_round: store.Round, areas) -> None:
    """How many codes, for which area; the codes issued are kept for ``show_issued``."""
    st.subheader(t("officer.codes.issue.heading"), anchor=False)
    with st.form(ISSUE_FORM):
        area = st.selectbox(
            t("officer.codes.issue.area"),
            [None, *areas],
            format_func=lambda a: area_label(t, areas, a),
            key=drawings.key("codes_area", group=ISSUE_FORM),
        )
        if not areas:
            st.caption(t("officer.codes.issue.no_areas"))
        typed = st.text_input(
            t("officer.codes.issue.count", most=f"{store.MAX_CODES_PER_ISSUE:,}"),
            key=drawings.key("codes_count", group=ISSUE_FORM),
        )
        submitted = st.form_submit_button(
            t("officer.codes.issue.button"),
            type="primary",
            key=drawings.key("issue_codes_button", group=ISSUE_FORM),
        )
    if not submitted:
        return
    count = parse_count(typed)
    if count is None:
        st.error(
            t(
                "officer.codes.issue.bad_count",
                typed=literal(typed.strip()),
                most=f"{store.MAX_CODES_PER_ISSUE:,}",
            ),
            icon=":material/error:",
        )
        return
    # A press waiting (a double click on a big batch) stops this run at its next use of
    # the session state or of the page. So the press is spent (the form drawn anew: the
    # same press sent again issues nothing, ``budgeting.ui.drawings``) before the codes
    # are issued, and the codes go into a batch already in the session, by plain writes
    # that nothing stops (no Streamlit call between the two), so they are shown however
    # this run ends.
    base_url = state.public_url()
    batch: dict[str, object] = {
        "officer": officer,
        "round_id": voting_round.id,
        "area": area_label(t, areas, area),
        "file": f"{voting_round.id}-voter-codes" + (f"-{area}" if area else ""),
    }
    try:
        with st.spinner(t("officer.codes.issue.working", count=f"{count:,}")):
            st.session_state[ISSUED_KEY] = batch
            drawings.redraw(ISSUE_FORM)
            codes = store.issue_voter_codes(conn, voting_round.id, count, area=area, actor=officer)
            sheet = slips.make_slips(
                codes,
                base_url=base_url,
                round_id=voting_round.id,
                area=area_label(t, areas, area) if area else "",
            )
            pdf = slips.slips_pdf(sheet, round_name=voting_round.name)
            batch |= {"codes": codes, "csv": slips.slips_csv(sheet), "pdf": pdf}
    except store.StoreError as error:
        officer_ui.refused(error)
    # The next batch is likely for the same area: the form drawn anew starts there.
    st.session_state[drawings.key("codes_area", group=ISSUE_FORM)] = area


def show_issued(t, officer: str, voting_round: store.Round) -> None:
    """The codes just issued, with their downloads, until the officer has saved them."""
    issued = st.session_state.get(ISSUED_KEY)
    if issued is None or "codes" not in issued:  # none, or stopped before the codes came
        return
    if issued["officer"] != officer or issued["round_id"] != voting_round.id:
        st.session_state.pop(ISSUED_KEY, None)  # another officer, or another round
        return
    with st.container(border=True, key="issued_codes"):
        codes = issued["codes"]
        st.success(
            t("officer.codes.issued", count=f"{len(codes):,}", area=literal(issued["area"])),
            icon=":material/check_circle:",
        )
        st.warning(t("officer.codes.shown_once"), icon=":material/visibility_off:")
        csv_column, pdf_column = st.columns(2)
        csv_column.download_button(
            t("officer.codes.download_csv"),
            issued["csv"],
            file_name=f"{issued['file']}.csv",
            mime="text/csv",
            key="codes_csv",
            on_click="ignore",
            icon=":material/table:",
        )
        pdf_column.download_button(
            t("officer.codes.download_pdf"),
            issued["pdf"],
            file_name=f"{issued['file']}-slips.pdf",
            mime="application/pdf",
            key="codes_pdf",
            on_click="ignore",
            icon=":material/print:",
        )
        st.code("\n".join(codes), language=None)
        if st.button(t("officer.codes.forget"), key="forget_codes"):
            st.session_state.pop(ISSUED_KEY, None)
            st.rerun()


def revoke_form(conn, t, officer: str, voting_round: store.Round) -> None:
    """Revoke a lost or stolen code: it can no longer vote; a ballot it cast stays counted."""
    st.subheader(t("officer.codes.revoke.heading"), anchor=False)
    st.caption(t("officer.codes.revoke.help"))
    with st.form("revoke_code", clear_on_submit=True):
        typed = st.text_input(t("officer.codes.revoke.code"), key="revoke_code_input")
        submitted = st.form_submit_button(
            t("officer.codes.revoke.button"), key="revoke_code_button"
        )
    if not submitted:
        return
    try:
        store.revoke_voter_code(conn, voting_round.id, typed, actor=officer)
    except store.StoreError as error:
        officer_ui.refused(error)
        return
    st.success(
        t("officer.codes.revoked", code=literal(store.display_code(typed))),
        icon=":material/block:",
    )


def code_counts(conn, t, voting_round: store.Round, areas) -> None:
    """How many codes each area has: issued, revoked and used (have voted)."""
    st.subheader(t("officer.codes.counts.heading"), anchor=False)
    counts = store.voter_code_counts(conn, voting_round.id)
    if not counts:
        st.write(t("officer.codes.counts.none"))
        return
    st.dataframe(
        [
            {
                t("officer.codes.counts.area"): area_label(t, areas, c.area),
                t("officer.codes.counts.issued"): c.issued,
                t("officer.codes.counts.revoked"): c.revoked,
                t("officer.codes.counts.used"): c.used,
            }
            for c in counts
        ],
        hide_index=True,
        key="code_counts",
    )
    st.caption(
        t(
            "officer.codes.counts.total",
            issued=f"{sum(c.issued for c in counts):,}",
            revoked=f"{sum(c.revoked for c in counts):,}",
            used=f"{sum(c.used for c in counts):,}",
        )
    )


page = officer_ui.officer_page("officer.menu.codes")
voting_round = officer_ui.choose_round(page.conn, page.t)
if voting_round is None:
    st.stop()
if voting_round.code_mode != "codes":
    st.session_state.pop(ISSUED_KEY, None)
    st.info(page.t("officer.codes.open_mode"), icon=":material/lock_open:")
    st.stop()
round_areas = {area.id: area for area in store.list_areas(page.conn, voting_round.id)}
if voting_round.status in ("closed", "published"):
    st.info(page.t("officer.codes.closed"), icon=":material/lock:")
else:
    issue_form(page.conn, page.t, page.officer, voting_round, round_areas)
show_issued(page.t, page.officer, voting_round)
if voting_round.status not in ("closed", "published"):
    revoke_form(page.conn, page.t, page.officer, voting_round)
code_counts(page.conn, page.t, voting_round, round_areas)
