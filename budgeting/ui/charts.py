"""Figure builders: plain data in, a Plotly figure out (tested directly, no Streamlit).

Charts never rely on colour alone: every bar carries its value as text, and funded
projects are marked with a tick in their label and a hatched pattern.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from html import escape
from typing import Any

import plotly.graph_objects as go

from budgeting.i18n import format_money

FUNDED_MARK = "✓ "
LINE_CHARACTERS = 22
LINE_BREAK = "<br>"
STANDINGS_PER_PAGE = 8


@dataclass(frozen=True)
class Palette:
    """Colours of one display; text on background has a contrast ratio of at least 7:1."""

    background: str
    text: str
    bar: str
    funded_bar: str
    font_size: int


PROJECTOR = Palette(
    background="#000000", text="#ffffff", bar="#ffd60a", funded_bar="#4cc9f0", font_size=28
)
RESIDENT = Palette(
    background="#ffffff", text="#111111", bar="#0b3d91", funded_bar="#0b6e2e", font_size=16
)


@dataclass(frozen=True)
class AllocationBar:
    """One service's share of the aggregate allocation."""

    label: str
    amount: Fraction


@dataclass(frozen=True)
class StandingBar:
    """One project's support so far; ``funded`` once a rule has decided (None while live)."""

    label: str
    score: int
    funded: bool | None = None


def wrap(label: str, width: int = LINE_CHARACTERS) -> str:
    """``label`` as a Plotly tick label: escaped, and broken between words into lines of at
    most ``width`` characters (a longer single word keeps its own line whole), so a long
    name is shown in full rather than cut."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return LINE_BREAK.join(escape(line, quote=False) for line in lines)


@dataclass(frozen=True)
class StandingsPage:
    """The standings bars shown now: ``first``–``last`` (1-based) of ``total``; long
    standings turn pages on a timer, like the explanation after close."""

    bars: tuple[StandingBar, ...]
    first: int
    last: int
    total: int
    number: int
    count: int


def standings_page(
    bars: Sequence[StandingBar],
    *,
    now: float,
    seconds_per_page: float,
    per_page: int = STANDINGS_PER_PAGE,
) -> StandingsPage:
    """The page of ``bars`` to show at time ``now``: all of them when they fit, otherwise
    ``per_page`` at a time, the next page every ``seconds_per_page`` seconds."""
    count = max(1, -(-len(bars) // per_page))
    index = int(now // seconds_per_page) % count
    shown = tuple(bars[index * per_page : (index + 1) * per_page])
    first = index * per_page + 1 if shown else 0
    return StandingsPage(
        shown, first, first + len(shown) - 1 if shown else 0, len(bars), index + 1, count
    )


def compact_money(amount: Fraction, currency_symbol: str = "£") -> str:
    """Money short enough for a bar label: ``£165k``, ``£1.2m``, ``£950``."""
    if amount >= 1_000_000:
        return f"{currency_symbol}{float(amount) / 1_000_000:.1f}m"
    if amount >= 10_000:
        return f"{currency_symbol}{round(amount / 1000)}k"
    return format_money(round(amount), currency_symbol)


def percent(part: Fraction, whole: Fraction) -> str:
    """``part`` as a whole percentage of ``whole`` (``0%`` of nothing)."""
    return f"{round(100 * part / whole) if whole else 0}%"


def _layout(palette: Palette, height: int, right_margin: int, x_max: float) -> dict[str, Any]:
    """The projector's bar chart layout, given whole (building it with ``update_layout``
    and ``update_xaxes`` walks plotly's property paths and took most of a refresh)."""
    return {
        "height": height,
        "margin": {"l": 10, "r": right_margin, "t": 10, "b": 10},
        "paper_bgcolor": palette.background,
        "plot_bgcolor": palette.background,
        "font": {"size": palette.font_size, "color": palette.text},
        "showlegend": False,
        "bargap": 0.25,
        "uniformtext": {"minsize": palette.font_size, "mode": "show"},
        "xaxis": {"visible": False, "fixedrange": True, "range": [0, x_max]},
        "yaxis": {
            "autorange": "reversed",
            "fixedrange": True,
            "tickfont": {"size": palette.font_size, "color": palette.text},
            "automargin": True,
        },
    }


def allocation_figure(
    bars: Sequence[AllocationBar],
    *,
    currency_symbol: str = "£",
    palette: Palette = PROJECTOR,
    height: int = 760,
) -> go.Figure:
    """Horizontal bars of money per service, in the round's service order, each labelled
    with its amount and its share of the total."""
    total = sum((bar.amount for bar in bars), Fraction(0))
    labels = [wrap(bar.label) for bar in bars]
    values = [float(bar.amount) for bar in bars]
    texts = [
        f"{compact_money(bar.amount, currency_symbol)} · {percent(bar.amount, total)}"
        for bar in bars
    ]
    return go.Figure(
        go.Bar(
            x=values,
            y=labels,
            orientation="h",
            text=texts,
            textposition="outside",
            cliponaxis=False,
            marker={"color": palette.bar},
            hovertext=[bar.label for bar in bars],
            hoverinfo="text",
        ),
        _layout(palette, height, 7 * palette.font_size, max(values, default=0) * 1.15 or 1),
    )


def standings_figure(
    bars: Sequence[StandingBar],
    *,
    palette: Palette = PROJECTOR,
    height: int = 760,
) -> go.Figure:
    """Horizontal bars of support per project, in the order given (best first); funded
    projects are ticked and hatched."""
    labels = [wrap((FUNDED_MARK if bar.funded else "") + bar.label) for bar in bars]
    values = [bar.score for bar in bars]
    return go.Figure(
        go.Bar(
            x=values,
            y=labels,
            orientation="h",
            text=[f"{value:,}" for value in values],
            textposition="outside",
            cliponaxis=False,
            marker={
                "color": [palette.funded_bar if bar.funded else palette.bar for bar in bars],
                "pattern": {"shape": ["/" if bar.funded else "" for bar in bars]},
            },
            hovertext=[bar.label for bar in bars],
            hoverinfo="text",
        ),
        _layout(palette, height, 3 * palette.font_size, max(values, default=0) * 1.05 or 1),
    )
