"""Resident ballot (/vote, ``?round=ID``), one step per screen: voter code, service
allocation, project vote, review and send, receipt; revisable until the round closes (the
latest ballot counts)."""

from collections.abc import Sequence
from html import escape

import streamlit as st

from budgeting import store
from budgeting.i18n import format_money
from budgeting.ui import ballot, ballot_form, ballot_steps, layout, state, turns
from budgeting.ui.markdown import literal


def show_problems(problems: Sequence[store.models.Problem]) -> None:
    """Problems in words, where they arise; the warning sign and text carry the meaning,
    not the colour."""
    for problem in problems:
        st.error(literal(problem.message(language)), icon=":material/error:")


def money(amount) -> str:
    return format_money(amount, voting_round.currency_symbol)


def voter_code_step(entry: ballot_form.CodeEntry) -> None:
    """The voter code field, Continue, and what the store said about the code."""
    st.header(t("vote.code.heading"), anchor=False)
    st.text_input(
        t("vote.code.label"),
        key=ballot_form.CODE_KEY,
        max_chars=ballot_form.CODE_MAX_CHARS,
        on_change=ballot_form.code_pressed,
    )
    st.caption(t("vote.code.help"))
    st.button(
        t("vote.code.continue"),
        key="use_code",
        type="primary",
        width="stretch",
        on_click=ballot_form.code_pressed,
    )
    if entry.status is None:
        st.caption(t("vote.code.hint"))
    if entry.status == "unknown":
        st.error(t("vote.code.unknown"), icon=":material/error:")
    if entry.wait:
        st.error(t("vote.code.wait", wait=state.wait_text(entry.wait)), icon=":material/timer:")
    if entry.code is not None:
        st.success(t("vote.code.accepted"), icon=":material/check_circle:")


def progress(step: str) -> None:
    """Where the resident is, in words: "Step 2 of 4: Services"."""
    with st.container(key="ballot_progress"):
        if step == ballot_steps.RECEIPT:
            words = t("vote.step.done")
        else:
            words = t(
                "vote.step.progress",
                number=steps.index(step) + 1,
                total=len(steps),
                name=t(f"vote.step.{step}"),
            )
        st.markdown(f"**{words}**")


def step_buttons(step: str, problems: ballot_form.ProblemsByPlace) -> None:
    """Next and Back. Next is refused while the step has a problem: the reasons are then
    shown right above it."""
    before, after = ballot_steps.neighbours(steps, step)
    with st.container(key="step_nav"):
        refused = ballot_steps.was_refused(step) and ballot_form.step_problems(problems, step)
        if refused:
            st.error(t("vote.step.refused", name=t(f"vote.step.{after}")), icon=":material/block:")
            show_problems(refused)
        if after is not None:
            st.button(
                t("vote.step.next", name=t(f"vote.step.{after}")),
                key=ballot_steps.NEXT_KEY,
                type="primary",
                width="stretch",
                on_click=ballot_form.next_step,
                args=(step, after, voting_round, services, projects),
            )
        if before is not None:
            st.button(
                t("vote.step.back", name=t(f"vote.step.{before}")),
                key=ballot_steps.BACK_KEY,
                width="stretch",
                on_click=ballot_steps.go,
                args=(before,),
            )


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


AMOUNT_BOX_PX = 120


def amount_widgets(service: store.Service, limits: ballot.ServiceLimits, step: int) -> None:
    """A slider to drag and a number input for exact amounts, kept in step. The number
    input has no minimum or maximum, so the browser sends what was typed (a bounded one
    silently keeps its old value when the typed number is out of range); the engine's
    check then shows any amount outside the service's range next to it. Both show what
    ``ballot_form`` put in session state under their keys as drawn now (a key changes each
    time the page sets the amount: ``budgeting.ui.drawings``); the slider's ``value`` is
    never used but saves Streamlit a copy of the whole session state to guess the slider's
    kind (``streamlit/elements/widgets/slider.py``, Streamlit 1.67)."""
    floor, ceiling = int(limits.floor), int(limits.ceiling)
    slider, amount = ballot_form.slider_key(service.id), ballot_form.amount_key(service.id)
    st.slider(
        t("vote.allocation.slider_label", service=literal(service.name)),
        min_value=floor,
        max_value=ceiling,
        value=floor,
        step=step,
        format=f"{voting_round.currency_symbol}%,d",
        label_visibility="collapsed",
        key=slider,
        on_change=ballot_form.slider_moved,
        args=(service.id, slider),
    )
    st.number_input(
        t("vote.allocation.amount_label", service=literal(service.name)),
        step=step,
        label_visibility="collapsed",
        width=AMOUNT_BOX_PX,
        key=amount,
        on_change=ballot_form.amount_typed,
        args=(service.id, amount, floor, ceiling),
    )


def balance_button(budget) -> None:
    """Balance, saying on the button what it will do: keep the services the resident has
    changed and spread the money left (or take the money over) over the others. When the
    others cannot take it, the button is off and the reason is shown under it."""
    plan = ballot_form.balancing(services, budget)
    if plan.difference == 0 and plan.blocked is None:
        return
    count = len(plan.spread_over)
    direction = "spread" if plan.difference > 0 else "take"
    scope = "all" if not plan.kept else "one" if count == 1 else "others"
    first = next((s.name for s in services if s.id in plan.spread_over), "")
    label = t(
        f"vote.allocation.balance_{direction}_{scope}",
        amount=money(abs(plan.difference)),
        count=count,
        service=literal(first),
    )
    st.button(
        label,
        key="balance_allocation",
        width="stretch",
        disabled=plan.blocked is not None,
        on_click=ballot_form.balance_allocation,
        args=(services, budget),
    )
    if plan.blocked is not None:
        st.error(
            t(f"vote.allocation.balance_{plan.blocked}", gap=money(plan.gap)),
            icon=":material/block:",
        )


def allocation_section(problems: ballot_form.ProblemsByPlace) -> None:
    budget = voting_round.service_budget
    step = ballot.slider_step(budget)
    st.header(t("vote.allocation.heading"), anchor=False)
    st.write(t("vote.allocation.intro", budget=money(budget)))
    with st.container(key="left_to_allocate"):
        remaining_indicator(budget, voting_round.allocation_tolerance)
        balance_button(budget)
    changed = ballot_form.touched()
    for service, limits in zip(services, ballot_form.limits_of(services), strict=True):
        with st.container(key=f"service_{service.id}", gap="xsmall"):
            st.subheader(literal(service.name), anchor=False)
            bounds = t(
                "vote.allocation.bounds",
                floor=money(limits.floor),
                ceiling=money(limits.ceiling),
                now=money(service.current_spend),
            )
            with st.expander(bounds):
                about = [literal(service.description), literal(service.unit_cost_text)]
                st.caption(" · ".join(part for part in about if part))
            if limits.floor < limits.ceiling:
                with st.container(
                    horizontal=True, wrap=False, vertical_alignment="bottom", gap="small"
                ):
                    amount_widgets(service, limits, step)
            else:
                st.write(t("vote.allocation.fixed", amount=money(limits.floor)))
            if service.id in changed:
                st.caption(t("vote.allocation.changed"))
            show_problems(problems.get(f"service:{service.id}", []))


PROJECTS_PER_PAGE = 6
PROJECT_PAGE_KEY = "project_page"


def project_counter(scores: dict[str, int]) -> None:
    """What the resident has chosen so far, against the round's limit."""
    if voting_round.ballot_format == "approval":
        limit = voting_round.max_approvals
        st.write(t("vote.projects.approval_intro", limit=limit))
        counter = t("vote.projects.approval_count", chosen=len(scores), limit=limit)
    elif voting_round.ballot_format == "knapsack":
        budget = voting_round.project_budget
        cost = ballot.chosen_cost({p.id: p.cost for p in projects}, scores)
        st.write(t("vote.projects.knapsack_intro", budget=money(budget)))
        counter = t(
            "vote.projects.knapsack_left",
            chosen=money(cost),
            budget=money(budget),
            left=money(budget - cost),
        )
    else:
        points = voting_round.max_points
        st.write(t("vote.projects.points_intro", points=points))
        counter = t("vote.projects.points_used", used=sum(scores.values()), points=points)
    st.markdown(f"**{counter}**")


def project_page() -> list:
    """The projects shown now: a page of ``PROJECTS_PER_PAGE`` so the step stays a screen
    or two tall on a phone, chosen with one tap ("1–8", "9–16", ...); choices on the other
    pages are kept (``ballot_form`` keeps every project's value) and counted above."""
    pages = [
        projects[start : start + PROJECTS_PER_PAGE]
        for start in range(0, len(projects), PROJECTS_PER_PAGE)
    ]
    if len(pages) == 1:
        return pages[0]
    labels = {
        number: f"{number * PROJECTS_PER_PAGE + 1}–{number * PROJECTS_PER_PAGE + len(page)}"
        for number, page in enumerate(pages)
    }
    if st.session_state.get(PROJECT_PAGE_KEY) not in labels:
        st.session_state[PROJECT_PAGE_KEY] = 0
    chosen = st.segmented_control(
        t("vote.projects.pages", total=len(projects)),
        list(labels),
        format_func=labels.__getitem__,
        required=True,
        key=PROJECT_PAGE_KEY,
    )
    return pages[chosen if chosen in labels else 0]


def projects_section(problems: ballot_form.ProblemsByPlace) -> None:
    st.header(t("vote.projects.heading"), anchor=False)
    with st.container(key="project_counter"):
        project_counter(ballot_form.current_scores(projects))
    refused = ballot_form.refusal()
    for project in project_page():
        names = {"name": literal(project.name), "cost": money(project.cost)}
        key = ballot_form.project_key(project.id)
        callback = {
            "on_change": ballot_form.choice_changed,
            "args": (project.id, voting_round, projects),
        }
        with st.container(key=f"choice_{project.id}", gap="xsmall"):
            if voting_round.ballot_format == "points":
                # No minimum or maximum: negative points are refused in words, not clamped.
                st.number_input(
                    t("vote.projects.points_label", **names), step=1, key=key, **callback
                )
            else:
                st.checkbox(t("vote.projects.label", **names), key=key, **callback)
            if refused is not None and refused.project_id == project.id:
                params = {
                    name: money(value) if name in refused.money else value
                    for name, value in refused.params.items()
                }
                st.warning(t(refused.key, **params), icon=":material/block:")
            where = " · ".join(literal(part) for part in (project.area, project.category) if part)
            if project.description:  # one tap away, as the services' descriptions are
                with st.expander(where or t("vote.projects.about")):
                    st.caption(literal(project.description))
            elif where:
                st.caption(where)
            show_problems(problems.get(f"project:{project.id}", []))


def review_section(problems: ballot_form.ProblemsByPlace, code: str | None) -> None:
    """Exactly what will be stored: read from the same values ``submit`` sends."""
    allocation = ballot_form.current_allocation(services)
    scores = ballot_form.current_scores(projects)
    receipt = st.session_state.get(ballot_form.RECEIPT_KEY)
    st.header(t("vote.review.heading"), anchor=False)
    st.write(t("vote.review.sent") if receipt else t("vote.review.intro"))
    lines = [f"- {literal(s.name)}: **{money(allocation[s.id])}**" for s in services]
    total = money(sum(allocation.values()))
    lines.append(f"- {t('vote.review.total')}: **{total}**")
    st.markdown("\n".join(lines))
    chosen = [p for p in projects if p.id in scores]
    if voting_round.ballot_format == "points":
        lines = [
            f"- {literal(p.name)}: **{t('vote.review.points', points=scores[p.id])}**"
            for p in chosen
        ]
    else:
        lines = [f"- {literal(p.name)}" for p in chosen]
    st.markdown("\n".join(lines) if lines else t("vote.review.no_projects"))
    all_problems = ballot_form.step_problems(problems, ballot_steps.REVIEW)
    out_of_range = ballot_form.field_problems(voting_round, services, projects)
    st.button(
        t("vote.submit"),
        key=ballot_form.SUBMIT_KEY,
        type="primary",
        width="stretch",
        on_click=ballot_form.send_pressed,
        args=(voting_round.id,),
        # One visit sends one ballot (a new visit with the code revises it), and nothing
        # is sent while a value is outside its range.
        disabled=bool(receipt or out_of_range),
    )
    if all_problems and not receipt:
        sent = ballot_form.PROBLEMS_KEY in st.session_state
        words = "vote.review.not_sent" if sent else "vote.review.fix_first"
        st.error(t(words, count=len(all_problems)), icon=":material/error:")
        show_problems(all_problems)
    if receipt:
        with st.container(key="receipt"):
            st.success(t("vote.receipt.heading"), icon=":material/check_circle:")
            st.markdown(f"{t('vote.receipt.code')} `{receipt}`")
            st.write(t("vote.receipt.revise") if code else t("vote.receipt.keep"))
            st.page_link(
                "pages/receipt.py", label=t("vote.receipt.check_link"), icon=":material/fact_check:"
            )
            st.button(t("vote.receipt.finish"), key="finish_ballot", on_click=ballot_form.finish)


@st.fragment
def resident_ballot() -> None:
    """The voter code, the progress line and the step shown, with its Back and Next.

    A tap in it (Continue, an amount, Balance, a project, Next, Back, Send, Finish) reruns
    this part of the page only (``st.fragment``): the page around it (style, language,
    title) stays as drawn, so a step costs the server only what the step shows. A change to
    the round since the page ran (closed, say) runs the whole page again, so a tap never
    goes on with a round that is no longer as stored. Steps take turns with the other
    residents' (``turns``), first come first served."""
    with turns.ballot_steps.turn():
        ballot_step()


def ballot_step() -> None:
    """The voter code step, or the code checked (and the ballot sent, when Send was
    pressed) and the ballot's step shown."""
    if store.round_view(conn, voting_round.id, language) != shown_round:
        st.rerun()  # Send, if pressed, is sent by the whole page's run, as the round stands
    sending = ballot_form.take_send(voting_round.id)
    code, entry = None, None
    if voting_round.code_mode == "codes":
        entry = ballot_form.entered_code(conn, voting_round.id)
        code = entry.code
        if code is None:
            ballot_form.forget_ballot()
            ballot_steps.go(ballot_steps.CODE)
        elif entry.pressed and ballot_steps.current(steps) == ballot_steps.CODE:
            ballot_steps.go(ballot_steps.SERVICES)  # a good code sent: on to the ballot
    if sending:
        ballot_form.submit(conn, voting_round, services, projects, code)
    shown = ballot_steps.current(steps)
    ballot_steps.scroll_to_top()
    progress(shown)
    if entry is not None and shown == ballot_steps.CODE:
        voter_code_step(entry)
        return
    previous = ballot_form.load_ballot(conn, voting_round, services, projects, code)
    problems = ballot_form.problems_by_place(
        ballot_form.current_problems(voting_round, services, projects), services, projects
    )
    if shown == ballot_steps.SERVICES:
        if previous is not None:
            st.info(t("vote.revising", receipt=previous.receipt), icon=":material/edit:")
        elif code is None:
            st.write(t("vote.open_round"))
        with st.container(key="allocation_section"):
            allocation_section(problems)
    elif shown == ballot_steps.PROJECTS:
        with st.container(key="projects_section"):
            projects_section(problems)
    else:
        with st.container(key="review_section"):
            review_section(problems, code)
    if shown != ballot_steps.RECEIPT:
        step_buttons(shown, problems)


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

shown_round = store.round_view(conn, voting_round.id, language)
if shown_round is None:  # gone since it was read a moment ago
    st.error(t("vote.no_round"), icon=":material/error:")
    st.stop()
voting_round, services, projects = shown_round.round, shown_round.services, shown_round.projects
steps = ballot_steps.steps_for(voting_round)
resident_ballot()
