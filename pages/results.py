"""Projector (/results, ``?round=ID``): join QR code and link, live ballot count, live
aggregate allocation and project standings; after close, the winners and why.

Everything below the style sheet is one fragment that reruns every few seconds, so the
numbers move without reloading the page (no flicker, the QR code stays put).
"""

import time
from datetime import timedelta
from html import escape

import streamlit as st

from budgeting import store
from budgeting.i18n import format_money
from budgeting.results import decide, export
from budgeting.ui import charts, layout, live, outcome, qr, state

REFRESH = timedelta(seconds=3)
CHART_HEIGHT = 780
# The standings chart sits under its heading and the "1–8 of 22" line.
STANDINGS_HEIGHT = 730


def heading(level: int, words: str) -> None:
    st.markdown(f"<h{level}>{escape(words)}</h{level}>", unsafe_allow_html=True)


def note(words: str, css_class: str = "projector-note") -> None:
    st.markdown(f'<p class="{css_class}">{escape(words)}</p>', unsafe_allow_html=True)


def join_panel(conn, voting_round: store.Round, t, count: int) -> None:
    """The left column: how to join while the round is open (no invitation to vote once
    it has closed), and how many have; once published, the anonymised project vote and
    the one command that recomputes the winners from it."""
    if voting_round.status not in ("closed", "published"):
        url = qr.join_url(state.public_url(), voting_round.id)
        link = qr.short_link(url)
        with st.container(key="join"):
            st.markdown(
                f'<img class="projector-qr" src="{qr.qr_svg_data_uri(url)}" '
                f'alt="{escape(t("results.qr_alt", link=link))}">',
                unsafe_allow_html=True,
            )
            note(t("results.join"))
            note(link, "projector-link")
    with st.container(key="ballot_count"):
        note(f"{count:,}", "projector-count")
        note(t("results.ballots" if voting_round.status == "open" else "results.ballots_final"))
    if voting_round.status == "published":
        pb_file = f"{voting_round.id}-ballots.pb"
        with st.container(key="published_data"):
            note(t("results.recompute"))
            st.download_button(
                t("results.download_pb"),
                data=lambda: export.ballots_file(conn, voting_round.id, "pb"),
                file_name=pb_file,
                mime=export.MEDIA_TYPES["pb"],
                key="download_pb",
                on_click="ignore",
            )
            st.code(export.recompute_command(pb_file), language="bash", wrap_lines=True)


def live_charts(
    conn, voting_round: store.Round, snapshot: store.ProjectorSnapshot, t, language: str
) -> None:
    """If voting closed now: the service split and the funded projects under the round's own
    rules, over the ballots so far (worked out in the background: ``budgeting.ui.live``)."""
    view = live.live_decisions().latest(
        conn, voting_round.id, snapshot.ballot_count, wait=live.FIRST_WAIT_SECONDS
    )
    if view is None:
        heading(2, t("results.live_working"))
        return
    decision = view.decision
    shown_round = store.round_view(conn, voting_round.id, language)
    if shown_round is None:
        return
    service_names = {s.id: s.name for s in shown_round.services}
    projects = shown_round.projects
    funded = set(decision.selection.selected)
    allocation_column, standings_column = st.columns(2, gap="large")
    with allocation_column, st.container(key="live_allocation"):
        heading(2, t("results.live_allocation"))
        bars = [
            charts.AllocationBar(service_names.get(s.id, s.name), decision.allocation.amounts[s.id])
            for s in decision.services
        ]
        st.plotly_chart(
            charts.allocation_figure(
                bars, currency_symbol=voting_round.currency_symbol, height=CHART_HEIGHT
            ),
            key="allocation_chart",
            config={"staticPlot": True},
        )
    with standings_column, st.container(key="live_standings"):
        heading(2, t(f"results.live_standings.{voting_round.ballot_format}"))
        support = {pid: int(tally.score) for pid, tally in decision.tallies.items()}
        ranked = decide.live_standings(projects, support)
        page = charts.standings_page(
            [charts.StandingBar(p.name, score, p.id in funded) for p, score in ranked],
            now=time.time(),
            seconds_per_page=outcome.SECONDS_PER_PAGE,
        )
        note(
            t(
                "results.live_funded",
                funded=len(funded),
                spent=format_money(decision.selection.cost, voting_round.currency_symbol),
                ballots=f"{view.ballots:,}",
            )
        )
        if page.count > 1:
            note(t("results.standings_range", first=page.first, last=page.last, total=page.total))
        st.plotly_chart(
            charts.standings_figure(page.bars, height=STANDINGS_HEIGHT),
            key="standings_chart",
            config={"staticPlot": True},
        )


@st.cache_resource(ttl=600, show_spinner=False, max_entries=20)
def decided(_conn, voting_round: store.Round, ballot_count: int, language: str) -> decide.Decision:
    """The closed round's decision, computed once per round settings, ballot count (paper
    ballots entered after close change the count and so recompute it) and language of the
    project names."""
    return decide.decide_round(_conn, voting_round.id, language)


def final_results(conn, voting_round: store.Round, ballot_count: int, t, language: str) -> None:
    """After close: the round's allocation and the winners, each with the rule's reason."""
    decision = decided(conn, voting_round, ballot_count, language)
    bars = [
        charts.AllocationBar(s.name, decision.allocation.amounts[s.id]) for s in decision.services
    ]
    allocation_column, winners_column = st.columns([5, 6], gap="large")
    with allocation_column, st.container(key="final_allocation"):
        heading(2, t("results.final_allocation"))
        st.plotly_chart(
            charts.allocation_figure(
                bars,
                currency_symbol=voting_round.currency_symbol,
                height=CHART_HEIGHT,
            ),
            key="final_allocation_chart",
            config={"staticPlot": True},
        )
    with winners_column, st.container(key="winners"):
        page = outcome.explanation_page(decision, language)
        heading(2, outcome.summary(decision, language))
        in_brief = outcome.rule_in_brief(decision, language)
        if in_brief:
            note(in_brief)
        items = "".join(
            f'<li>{escape(line.headline)}<br><span class="why">{escape(line.reason)}</span></li>'
            for line in page.lines
        )
        st.markdown(f'<ul class="projector-list">{items}</ul>', unsafe_allow_html=True)
        if page.count > 1:
            note(t("results.page", page=page.number, pages=page.count))
        figures = [line for line in page.lines if line.detail != line.reason]
        if figures:
            with st.expander(t("results.details")):
                details = "".join(
                    f"<li>{escape(line.headline)}<br>"
                    f'<span class="why">{escape(line.detail)}</span></li>'
                    for line in figures
                )
                st.markdown(f'<ul class="projector-list">{details}</ul>', unsafe_allow_html=True)


@st.fragment(run_every=REFRESH)
def board(round_id: str, language: str) -> None:
    t = state.translator(language)
    conn = state.connection()
    shown_round = store.round_view(conn, round_id, language)
    if shown_round is None:
        return
    voting_round = shown_round.round
    snapshot = store.shared_projector_snapshot(conn, round_id)
    heading(1, voting_round.name)
    join_column, main_column = st.columns([1, 3.4], gap="large")
    with join_column:
        join_panel(conn, voting_round, t, snapshot.ballot_count)
    with main_column:
        if voting_round.status in ("closed", "published"):
            final_results(conn, voting_round, snapshot.ballot_count, t, language)
        elif voting_round.status == "draft":
            heading(2, t("results.not_open"))
        elif voting_round.hide_results_until_close:
            with st.container(key="results_hidden"):
                heading(2, t("results.hidden"))
                note(t("results.hidden_why"))
        else:
            live_charts(conn, voting_round, snapshot, t, language)


layout.projector_style()
projector_language = state.language()
state.mark_language(projector_language)
requested = state.requested_round(state.connection())
if requested is None:
    heading(1, state.translator(projector_language)("results.no_round"))
    st.stop()
board(requested.id, projector_language)
