"""Paper ballots (/officer-paper): residents without a phone or a computer count too. An
officer types one paper ballot at a time with the keyboard only (type, Tab to the next
field, Enter to send), or imports a batch from CSV. Either way the ballot is checked exactly
as a web ballot is (``store.submit_ballot``), stored marked as paper with its area and age
band, and counts in every figure. A refused ballot or file stores nothing."""

import streamlit as st

from budgeting import store
from budgeting.i18n import format_money
from budgeting.ui import officer as officer_ui
from budgeting.ui import paper_form
from budgeting.ui.markdown import literal


def show_problems(problems) -> None:
    for problem in problems:
        st.error(literal(problem.message(page.language)), icon=":material/error:")


def choices_help(t, voting_round: store.Round) -> str:
    if voting_round.ballot_format == "points":
        return t("officer.paper.projects.points", points=voting_round.max_points)
    if voting_round.ballot_format == "knapsack":
        return t("officer.paper.projects.knapsack")
    return t("officer.paper.projects.approval", limit=voting_round.max_approvals)


def project_list(t, voting_round: store.Round, projects) -> None:
    """The ids to type, with each project's name and cost."""
    st.markdown(f"**{t('officer.paper.projects.list')}**")
    st.markdown(
        "\n".join(
            f"- `{p.id}` {literal(p.name)} ({format_money(p.cost, voting_round.currency_symbol)})"
            for p in projects
        )
    )


def ballot_entry(conn, t, voting_round: store.Round, services, projects, areas) -> None:
    """One paper ballot: an amount per service, the projects by id, the code, area and age
    band. Problems appear next to their field; a stored ballot's receipt above the form."""
    st.subheader(t("officer.paper.entry.heading"), anchor=False)
    st.caption(t("officer.paper.entry.help"))
    receipt = paper_form.receipt()
    if receipt:
        st.success(t("officer.paper.stored", receipt=receipt), icon=":material/check_circle:")
    refused = paper_form.refusal()
    if refused is not None:
        officer_ui.refused(refused)
    problems = paper_form.problems_by_place(paper_form.current_problems(), services, projects)
    if problems:
        count = sum(map(len, problems.values()))
        st.error(t("officer.paper.not_stored", count=count), icon=":material/error:")
    form_column, list_column = st.columns([3, 2])
    with list_column:
        project_list(t, voting_round, projects)
    with form_column, st.form(paper_form.FORM):
        show_problems(problems.get("ballot", []))
        budget = format_money(voting_round.service_budget, voting_round.currency_symbol)
        st.markdown(f"**{t('officer.paper.services', budget=budget)}**")
        for service in services:
            st.text_input(
                t(
                    "officer.paper.amount",
                    service=literal(service.name),
                    currency=voting_round.currency_symbol,
                ),
                key=paper_form.amount_key(service.id),
            )
            show_problems(problems.get(f"service:{service.id}", []))
        show_problems(problems.get("allocation", []))
        st.text_input(
            t("officer.paper.projects"),
            key=paper_form.field_key(paper_form.PROJECTS_KEY),
        )
        st.caption(choices_help(t, voting_round))
        show_problems(problems.get("projects", []))
        if voting_round.code_mode == "codes":
            st.text_input(
                t("officer.paper.code"), key=paper_form.field_key(paper_form.CODE_KEY), max_chars=40
            )
            st.caption(t("officer.paper.code.help"))
            show_problems(problems.get("code", []))
        st.selectbox(
            t("officer.paper.area"),
            [None, *areas],
            format_func=lambda a: t("officer.paper.not_given") if a is None else areas[a].name,
            key=paper_form.field_key(paper_form.AREA_KEY),
        )
        st.selectbox(
            t("officer.paper.age"),
            [None, *store.AGE_BANDS],
            format_func=lambda band: t(f"officer.paper.age.{band or 'none'}"),
            key=paper_form.field_key(paper_form.AGE_KEY),
        )
        submit_key = paper_form.field_key(paper_form.SUBMIT_KEY)
        st.form_submit_button(
            t("officer.paper.submit"),
            type="primary",
            key=submit_key,
            on_click=paper_form.submit,
            args=(conn, voting_round, services, projects, submit_key),
        )


def csv_import(conn, t, voting_round: store.Round, services) -> None:
    """A batch of paper ballots from CSV: all stored, or none and every problem by line."""
    st.subheader(t("officer.paper.import.heading"), anchor=False)
    service_ids = [s.id for s in services]
    st.write(t("officer.paper.import.columns"))
    st.code(paper_form.template_csv(service_ids).strip(), language=None)
    st.caption(t("officer.paper.import.help", bands=", ".join(store.AGE_BANDS)))
    st.download_button(
        t("officer.paper.import.template"),
        paper_form.template_csv(service_ids),
        file_name=f"{voting_round.id}-paper-ballots.csv",
        mime="text/csv",
        key="paper_template",
        on_click="ignore",
        icon=":material/download:",
    )
    with st.form("paper_import", clear_on_submit=True):
        uploaded = st.file_uploader(t("officer.paper.import.file"), type=["csv"], key="paper_csv")
        submitted = st.form_submit_button(t("officer.paper.import.button"), key="paper_import")
    if not submitted:
        return
    if uploaded is None:
        st.error(t("officer.paper.import.no_file"), icon=":material/error:")
        return
    try:
        content = uploaded.getvalue().decode("utf-8-sig")
    except UnicodeDecodeError:
        st.error(t("officer.paper.import.not_text"), icon=":material/error:")
        return
    try:
        count = store.import_ballots_csv(conn, voting_round.id, content)
    except store.CsvImportError as error:
        lines = [
            t("officer.paper.import.refused", count=len(error.problems)),
            *(f"- {literal(str(problem))}" for problem in error.problems),
        ]
        st.error("\n".join(lines), icon=":material/error:")
        return
    except store.StoreError as error:
        officer_ui.refused(error)
        return
    st.success(t("officer.paper.import.done", count=count), icon=":material/check_circle:")


page = officer_ui.officer_page("officer.menu.paper")
voting_round = officer_ui.choose_round(page.conn, page.t)
if voting_round is None:
    st.stop()
if voting_round.status != "open":
    st.info(page.t("officer.paper.not_open"), icon=":material/lock:")
    st.stop()
round_services = store.list_services(page.conn, voting_round.id)
round_projects = store.list_projects(page.conn, voting_round.id)
round_areas = {area.id: area for area in store.list_areas(page.conn, voting_round.id)}
st.metric(
    page.t("officer.paper.count"), store.projector_snapshot(page.conn, voting_round.id).paper_count
)
ballot_entry(page.conn, page.t, voting_round, round_services, round_projects, round_areas)
csv_import(page.conn, page.t, voting_round, round_services)
