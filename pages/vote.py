"""Resident ballot (/vote, ``?round=ID``): voter code, service allocation, project vote,
review, submit, receipt; revisable until the round closes (the latest ballot counts)."""

from collections.abc import Sequence
from html import escape

import streamlit as st

from budgeting import store
from budgeting.i18n import format_money
from budgeting.ui import ballot, ballot_form, layout, state
from budgeting.ui.markdown import literal


def show_problems(problems: Sequence[store.models.Problem]) -> None:
    """Problems in words, where they arise; the warning sign and text carry the meaning,
    not the colour."""
    for problem in problems:
        st.error(literal(problem.message(language)), icon=":material/error:")


def money(amount) -> str:
    return format_money(amount, voting_round.currency_symbol)


def voter_code_step() -> str | None:
    """The voter code field; the code once the store recognises it, else None."""
    ballot_form.prefill_code()  # from a printed slip's QR code
    st.text_input(
        t("vote.code.label"), key=ballot_form.CODE_KEY, max_chars=ballot_form.CODE_MAX_CHARS
    )
    st.caption(t("vote.code.help"))
    pressed = st.button(t("vote.code.continue"), key="use_code")
    code = (st.session_state.get(ballot_form.CODE_KEY) or "").strip()
    if not code or ballot_form.code_waits_for_check(code, pressed):
        st.caption(t("vote.code.hint"))
        return None
    status, wait = ballot_form.check_code(conn, voting_round.id, code)
    if status == "unknown":
        st.error(t("vote.code.unknown"), icon=":material/error:")
    if wait:
        st.error(t("vote.code.wait", wait=state.wait_text(wait)), icon=":material/timer:")
    if status != "valid":
        return None
    st.success(t("vote.code.accepted"), icon=":material/check_circle:")
    return code


def remaining_indicator(budget, tolerance) -> None:
    """How much is left to allocate, in words and a symbol (never colour alone)."""
    left = ballot.left_to_allocate(ballot_form.current_allocation(services), budget)
    if abs(left) <= tolerance:
        symbol, words = "✓", t("vote.allocation.balanced", budget=money(budget))
    elif left > 0:
        symbol, words = "+", t("vote.allocation.left", amount=money(left))
    else:
        symbol, words = "−", t("vote.allocation.over", amount=money(-left))
    status = f'<span aria-hidden="true">{symbol}</span> <strong>{escape(words)}</strong>'
    st.markdown(f'<p role="status">{status}</p>', unsafe_allow_html=True)


def amount_widgets(service: store.Service, limits: ballot.ServiceLimits, step: int) -> None:
    """A slider to drag and a number input for exact amounts, kept in step. The number
    input has no minimum or maximum, so the browser sends what was typed (a bounded one
    silently keeps its old value when the typed number is out of range); the engine's
    check then shows any amount outside the service's range next to it."""
    floor, ceiling = int(limits.floor), int(limits.ceiling)
    st.slider(
        t("vote.allocation.slider_label", service=literal(service.name)),
        min_value=floor,
        max_value=ceiling,
        step=step,
        format=f"{voting_round.currency_symbol}%,d",
        key=ballot_form.slider_key(service.id),
        on_change=ballot_form.slider_moved,
        args=(service.id,),
    )
    st.number_input(
        t("vote.allocation.amount_label", service=literal(service.name)),
        step=step,
        key=ballot_form.amount_key(service.id),
        on_change=ballot_form.amount_typed,
        args=(service.id, floor, ceiling),
    )


def allocation_section() -> None:
    budget = voting_round.service_budget
    step = ballot.slider_step(budget)
    st.header(t("vote.allocation.heading"), anchor=False)
    st.write(t("vote.allocation.intro", budget=money(budget)))
    with st.container(key="left_to_allocate"):
        remaining_indicator(budget, voting_round.allocation_tolerance)
        st.button(
            t("vote.allocation.balance", budget=money(budget)),
            key="balance_allocation",
            help=t("vote.allocation.balance_help"),
            on_click=ballot_form.balance_allocation,
            args=(services, budget),
        )
        show_problems(problems.get("allocation", []))
    for service, limits in zip(services, ballot_form.limits_of(services), strict=True):
        with st.container(border=True, key=f"service_{service.id}"):
            st.subheader(literal(service.name), anchor=False)
            st.write(literal(service.description))
            facts = [
                literal(service.unit_cost_text),
                t("vote.allocation.spend_now", amount=money(service.current_spend)),
                t("vote.allocation.floor", amount=money(limits.floor)),
                t("vote.allocation.ceiling", amount=money(limits.ceiling)),
            ]
            st.caption(" · ".join(fact for fact in facts if fact))
            if limits.floor < limits.ceiling:
                amount_widgets(service, limits, step)
            else:
                st.write(t("vote.allocation.fixed", amount=money(limits.floor)))
            show_problems(problems.get(f"service:{service.id}", []))


def project_counter(scores: dict[str, int]) -> None:
    """What the resident has chosen so far, against the round's limit."""
    if voting_round.ballot_format == "approval":
        limit = voting_round.max_approvals
        st.write(t("vote.projects.approval_intro", limit=limit))
        counter = t("vote.projects.approval_count", chosen=len(scores), limit=limit)
    elif voting_round.ballot_format == "knapsack":
        budget = money(voting_round.project_budget)
        cost = ballot.chosen_cost({p.id: p.cost for p in projects}, scores)
        st.write(t("vote.projects.knapsack_intro", budget=budget))
        counter = t("vote.projects.knapsack_total", chosen=money(cost), budget=budget)
    else:
        points = voting_round.max_points
        st.write(t("vote.projects.points_intro", points=points))
        counter = t("vote.projects.points_used", used=sum(scores.values()), points=points)
    st.markdown(f"**{counter}**")


def projects_section() -> None:
    st.header(t("vote.projects.heading"), anchor=False)
    with st.container(key="project_counter"):
        project_counter(ballot_form.current_scores(projects))
        show_problems(problems.get("projects", []))
    for project in projects:
        names = {"name": literal(project.name), "cost": money(project.cost)}
        key = ballot_form.project_key(project.id)
        if voting_round.ballot_format == "points":
            # No minimum or maximum: out-of-range points are refused in words, not clamped.
            st.number_input(t("vote.projects.points_label", **names), step=1, key=key)
        else:
            st.checkbox(t("vote.projects.label", **names), key=key)
        st.caption(" · ".join(literal(part) for part in (project.area, project.category) if part))
        st.caption(literal(project.description))
        show_problems(problems.get(f"project:{project.id}", []))


def review_section() -> None:
    allocation = ballot_form.current_allocation(services)
    scores = ballot_form.current_scores(projects)
    st.header(t("vote.review.heading"), anchor=False)
    st.markdown("\n".join(f"- {literal(s.name)}: **{money(allocation[s.id])}**" for s in services))
    chosen = [p for p in projects if p.id in scores]
    if voting_round.ballot_format == "points":
        lines = [
            f"- {literal(p.name)}: **{t('vote.review.points', points=scores[p.id])}**"
            for p in chosen
        ]
    else:
        lines = [f"- {literal(p.name)}" for p in chosen]
    st.markdown("\n".join(lines) if lines else t("vote.review.no_projects"))
    show_problems(problems.get("ballot", []))
    receipt = st.session_state.get(ballot_form.RECEIPT_KEY)
    out_of_range = ballot_form.field_problems(voting_round, services, projects)
    st.button(
        t("vote.submit"),
        key=ballot_form.SUBMIT_KEY,
        type="primary",
        width="stretch",
        on_click=ballot_form.submit,
        args=(conn, voting_round, services, projects, code),
        # One visit sends one ballot (a new visit with the code revises it), and nothing
        # is sent while a value is outside its range.
        disabled=bool(receipt or out_of_range),
    )
    if out_of_range and not receipt and ballot_form.PROBLEMS_KEY not in st.session_state:
        st.error(t("vote.review.fix_first", count=len(out_of_range)), icon=":material/error:")
    elif any(problems.values()):
        st.error(
            t("vote.review.not_sent", count=sum(map(len, problems.values()))),
            icon=":material/error:",
        )
    if receipt:
        with st.container(key="receipt"):
            st.success(t("vote.receipt.heading"), icon=":material/check_circle:")
            st.markdown(f"{t('vote.receipt.code')} `{receipt}`")
            st.write(t("vote.receipt.revise") if code else t("vote.receipt.keep"))
            st.page_link(
                "pages/receipt.py", label=t("vote.receipt.check_link"), icon=":material/fact_check:"
            )
            st.button(t("vote.receipt.finish"), key="finish_ballot", on_click=ballot_form.finish)


layout.resident_style()
language = state.language_switch()
t = state.translator(language)
conn = state.connection()
voting_round = state.requested_round(conn)

if voting_round is None:
    st.title(t("vote.title"), anchor=False)
    st.error(t("vote.no_round"), icon=":material/error:")
    st.stop()

st.title(literal(voting_round.name), anchor=False)
if voting_round.status != "open":
    # Before opening it is not open yet; after close, voting has closed for good.
    status_key = {"closed": "vote.closed", "published": "vote.published"}
    st.info(t(status_key.get(voting_round.status, "vote.not_open")), icon=":material/lock:")
    st.page_link(
        "pages/results.py", label=t("vote.see_results"), query_params={"round": voting_round.id}
    )
    st.stop()

code = None
if voting_round.code_mode == "codes":
    code = voter_code_step()
    if code is None:
        ballot_form.forget_ballot()
        st.stop()
else:
    st.write(t("vote.open_round"))

services = store.list_services(conn, voting_round.id, language)
projects = store.list_projects(conn, voting_round.id, language)
previous = ballot_form.load_ballot(conn, voting_round, services, projects, code)
if previous is not None and ballot_form.RECEIPT_KEY not in st.session_state:
    st.info(t("vote.revising", receipt=previous.receipt), icon=":material/edit:")
problems = ballot_form.problems_by_place(
    ballot_form.visible_problems(voting_round, services, projects), services, projects
)

with st.container(key="allocation_section"):
    allocation_section()
with st.container(key="projects_section"):
    projects_section()
with st.container(key="review_section"):
    review_section()
