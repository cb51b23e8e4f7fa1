"""Review (/officer-review): the aggregate votes of a round, while it is open and after.

Turnout over time and by area against population, the channel split, the service split and
the funded projects under every registered rule side by side (the round's own rule marked),
and breakdowns by area, age band and channel. The figures come from
``budgeting.results.review``; groups of fewer than 10 ballots (and any group that would give
one away) are shown as words, never as numbers. Names from imports appear only in tables and
chart labels, which show text as text.
"""

from fractions import Fraction

import plotly.graph_objects as go
import streamlit as st

from budgeting import store
from budgeting.i18n import format_money
from budgeting.results import review as review_figures
from budgeting.ui import charts
from budgeting.ui import officer as officer_ui
from budgeting.ui.markdown import literal

OWN_MARK = "★"
CHART_PALETTE = charts.RESIDENT


@st.cache_resource(ttl=30, show_spinner=False, max_entries=8)
def reviewed(
    _conn, database: str, voting_round: store.Round, ballot_count: int
) -> review_figures.Review:
    """The round's review, computed once per database, round settings and ballot count (and
    at least every 30 seconds, so a changed ballot shows soon)."""
    return review_figures.review_round(_conn, voting_round.id)


def table(headers: list[str], rows: list[list[str]], key: str) -> None:
    """A table of text (names from imports stay text); a header that repeats another (two
    areas or services with one name) is numbered, so no column hides another."""
    unique: list[str] = []
    for header in headers:
        candidate, number = header, 1
        while candidate in unique:
            number += 1
            candidate = f"{header} ({number})"
        unique.append(candidate)
    st.dataframe([dict(zip(unique, row, strict=True)) for row in rows], hide_index=True, key=key)


def percent(part: Fraction | None) -> str:
    return f"{float(100 * part):.1f}%" if part is not None else ""


def rule_label(t, name: str, own: bool) -> str:
    return t("officer.review.own_rule", name=name, mark=OWN_MARK) if own else name


def group_label(t, breakdown: review_figures.Breakdown, group: review_figures.Group) -> str:
    if group.key is None:
        return t("officer.review.not_stated")
    if breakdown.dimension == "channel":
        return t(f"officer.review.channel.{group.key}")
    return group.label


def overview(t, review: review_figures.Review) -> None:
    """Ballots, turnout and the channel split at a glance."""
    columns = st.columns(4)
    columns[0].metric(t("officer.review.ballots"), f"{review.ballots:,}")
    columns[1].metric(
        t("officer.review.turnout"),
        percent(review.turnout)
        if review.turnout is not None
        else t("officer.review.no_population"),
    )
    channels = {g.key: g for g in review.by_channel.groups}
    for column, channel in zip(columns[2:], ("web", "paper"), strict=True):
        group = channels.get(channel)
        value = "0" if group is None else count_text(t, group.ballots)
        column.metric(t(f"officer.review.channel.{channel}"), value)


def count_text(t, ballots: int | None) -> str:
    return t("officer.review.suppressed") if ballots is None else f"{ballots:,}"


def turnout_over_time(t, review: review_figures.Review) -> None:
    st.subheader(t("officer.review.over_time"), anchor=False)
    if not review.by_day:
        st.info(t("officer.review.no_ballots"))
        return
    days = [d.day.isoformat() for d in review.by_day]
    figure = go.Figure(
        [
            go.Bar(
                x=days,
                y=[d.ballots for d in review.by_day],
                name=t("officer.review.per_day"),
                text=[f"{d.ballots:,}" for d in review.by_day],
                textposition="outside",
                marker={"color": CHART_PALETTE.bar},
            ),
            go.Scatter(
                x=days,
                y=[d.cumulative for d in review.by_day],
                name=t("officer.review.cumulative"),
                mode="lines+markers",
                yaxis="y2",
                line={"color": CHART_PALETTE.funded_bar, "dash": "dash"},
            ),
        ]
    )
    figure.update_layout(
        height=360,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": 1.15},
        yaxis={"title": t("officer.review.per_day"), "rangemode": "tozero"},
        yaxis2={
            "title": t("officer.review.cumulative"),
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "tickformat": ",d",
            "showgrid": False,
        },
    )
    st.plotly_chart(figure, key="turnout_chart")
    table(
        [t("officer.review.day"), t("officer.review.per_day"), t("officer.review.cumulative")],
        [[d.day.isoformat(), f"{d.ballots:,}", f"{d.cumulative:,}"] for d in review.by_day],
        "turnout_by_day",
    )


def turnout_by_area(t, review: review_figures.Review) -> None:
    st.subheader(t("officer.review.by_area"), anchor=False)
    breakdown = review.by_area
    if not breakdown.groups:
        st.info(t("officer.review.no_areas"))
        return
    suppressed = t("officer.review.suppressed")
    table(
        [
            t("officer.review.area"),
            t("officer.review.population"),
            t("officer.review.ballots"),
            t("officer.review.turnout"),
        ],
        [
            [
                group_label(t, breakdown, group),
                f"{group.population:,}" if group.population is not None else "",
                count_text(t, group.ballots),
                suppressed if group.suppressed else percent(group.turnout),
            ]
            for group in breakdown.groups
        ],
        "turnout_by_area",
    )


def allocation_rules(t, review: review_figures.Review) -> None:
    st.subheader(t("officer.review.allocation"), anchor=False)
    compared = review.allocation
    if not compared.outcomes:
        st.info(t("officer.review.no_services"))
        return
    currency = review.voting_round.currency_symbol
    names = {s.id: s.name for s in review.services}
    labels = {o.rule_id: rule_label(t, o.name, o.own) for o in compared.outcomes}
    table(
        [t("officer.review.service"), *labels.values()],
        [
            [
                names[sid],
                *(
                    "" if o.problem else format_money(round(o.amounts[sid]), currency)
                    for o in compared.outcomes
                ),
            ]
            for sid in compared.services
        ],
        "allocation_rules",
    )
    for outcome in compared.outcomes:
        if outcome.problem:
            st.warning(
                t(
                    "officer.review.allocation_problem",
                    rule=outcome.name,
                    problem=literal(outcome.problem),  # may name services from an import
                )
            )
    figure = go.Figure(
        [
            go.Bar(
                y=[charts.wrap(names[sid]) for sid in compared.services],
                x=[float(o.amounts[sid]) for sid in compared.services],
                name=labels[o.rule_id],
                orientation="h",
                text=[charts.compact_money(o.amounts[sid], currency) for sid in compared.services],
                textposition="outside",
                cliponaxis=False,
                marker={"pattern": {"shape": "/" if o.own else ""}},
            )
            for o in compared.outcomes
            if not o.problem
        ]
    )
    figure.update_layout(
        barmode="group",
        height=120 + 70 * len(compared.services),
        margin={"l": 10, "r": 60, "t": 30, "b": 10},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
    )
    figure.update_yaxes(autorange="reversed", automargin=True)
    st.plotly_chart(figure, key="allocation_rules_chart")


def selection_rules(t, review: review_figures.Review) -> None:
    st.subheader(t("officer.review.selection"), anchor=False)
    compared = review.selection
    currency = review.voting_round.currency_symbol
    st.caption(
        t(
            "officer.review.selection_help",
            voters=f"{compared.voters:,}",
            budget=format_money(compared.budget, currency),
        )
    )
    table(
        [
            t("officer.review.rule"),
            t("officer.review.funded"),
            t("officer.review.spent"),
            t("officer.review.served"),
            t("officer.review.note"),
        ],
        [
            [
                rule_label(t, o.name, o.own),
                "",
                "",
                "",
                t("officer.review.skipped", reason=o.skipped),
            ]
            if o.skipped
            else [
                rule_label(t, o.name, o.own),
                f"{len(o.selected):,}",
                format_money(o.spent, currency),
                t(
                    "officer.review.served_value",
                    voters=f"{o.with_funded_choice:,}",
                    share=percent(compared.share_with_funded_choice(o)),
                ),
                "",
            ]
            for o in compared.outcomes
        ],
        "selection_rules",
    )
    ran = [o for o in compared.outcomes if not o.skipped]
    differing = set(compared.differing)
    st.caption(t("officer.review.differing", count=len(differing)))
    funded = {o.rule_id: set(o.selected) for o in ran}
    table(
        [
            t("officer.review.project"),
            t("officer.review.cost"),
            *(rule_label(t, o.name, o.own) for o in ran),
            t("officer.review.differs"),
        ],
        [
            [
                project.name,
                format_money(project.cost, currency),
                *("✓" if project.id in funded[o.rule_id] else "—" for o in ran),
                t("officer.review.differs_yes") if project.id in differing else "",
            ]
            for project in review.projects
        ],
        "selection_projects",
    )


def breakdown_table(t, review: review_figures.Review, breakdown: review_figures.Breakdown) -> None:
    """Ballots and the mean service split per group, then each project's support per group
    as a share of the group's ballots; a suppressed group shows words in every column."""
    suppressed = t("officer.review.suppressed")
    currency = review.voting_round.currency_symbol
    groups = breakdown.groups
    table(
        [
            t(f"officer.review.dimension.{breakdown.dimension}"),
            t("officer.review.ballots"),
            *(t("officer.review.mean_for", service=s.name) for s in review.services),
        ],
        [
            [
                group_label(t, breakdown, group),
                count_text(t, group.ballots),
                *(
                    suppressed
                    if group.mean_allocation is None
                    else format_money(round(group.mean_allocation[s.id]), currency)
                    for s in review.services
                ),
            ]
            for group in groups
        ],
        f"breakdown_{breakdown.dimension}",
    )
    st.caption(t("officer.review.support_help"))
    table(
        [t("officer.review.project"), *(group_label(t, breakdown, g) for g in groups)],
        [
            [
                project.name,
                *(
                    suppressed
                    if group.project_support is None or not group.ballots
                    else percent(Fraction(group.project_support.get(project.id, 0), group.ballots))
                    for group in groups
                ),
            ]
            for project in review.projects
        ],
        f"support_{breakdown.dimension}",
    )


def breakdowns(t, review: review_figures.Review) -> None:
    st.subheader(t("officer.review.breakdowns"), anchor=False)
    st.caption(t("officer.review.suppression_help", k=review_figures.K))
    tabs = st.tabs([t(f"officer.review.by.{b.dimension}") for b in review.breakdowns])
    for tab, breakdown in zip(tabs, review.breakdowns, strict=True):
        with tab:
            if not breakdown.groups:
                st.info(t("officer.review.no_ballots"))
                continue
            breakdown_table(t, review, breakdown)


def review_page(conn, t) -> None:
    voting_round = officer_ui.choose_round(conn, t)
    if voting_round is None:
        return
    if voting_round.status == "draft":
        st.info(t("officer.review.draft"))
        return
    review = reviewed(
        conn, store.database_path(), voting_round, store.ballot_count(conn, voting_round.id)
    )
    st.caption(t("officer.review.suppression_help", k=review_figures.K))
    overview(t, review)
    turnout_over_time(t, review)
    turnout_by_area(t, review)
    allocation_rules(t, review)
    selection_rules(t, review)
    breakdowns(t, review)


page = officer_ui.officer_page("officer.menu.review")
review_page(page.conn, page.t)
