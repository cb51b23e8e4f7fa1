"""Figure builders: plain data in, a Plotly figure out (tested directly, no Streamlit).

Charts never rely on colour alone: every bar carries its value as text, and funded
projects are marked with a tick in their label and a hatched pattern.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import plotly.graph_objects as go

from budgeting.i18n import format_money

FUNDED_MARK = "✓ "
LABEL_CHARACTERS = 24


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


def shorten(label: str, limit: int = LABEL_CHARACTERS) -> str:
    """``label`` cut to ``limit`` characters with an ellipsis, so long names keep a chart
    readable (the full name is in the hover text and the page's lists)."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


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


def _base_layout(figure: go.Figure, palette: Palette, height: int) -> go.Figure:
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        paper_bgcolor=palette.background,
        plot_bgcolor=palette.background,
        font={"size": palette.font_size, "color": palette.text},
        showlegend=False,
        bargap=0.25,
        uniformtext={"minsize": palette.font_size, "mode": "show"},
    )
    figure.update_xaxes(visible=False, fixedrange=True)
    figure.update_yaxes(
        autorange="reversed",
        fixedrange=True,
        tickfont={"size": palette.font_size, "color": palette.text},
        automargin=True,
    )
    return figure


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
    labels = [shorten(bar.label) for bar in bars]
    values = [float(bar.amount) for bar in bars]
    texts = [
        f"{compact_money(bar.amount, currency_symbol)} · {percent(bar.amount, total)}"
        for bar in bars
    ]
    figure = go.Figure(
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
        )
    )
    _base_layout(figure, palette, height)
    figure.update_layout(margin={"r": 7 * palette.font_size})
    figure.update_xaxes(range=[0, max(values, default=0) * 1.15 or 1])
    return figure


def standings_figure(
    bars: Sequence[StandingBar],
    *,
    palette: Palette = PROJECTOR,
    height: int = 760,
) -> go.Figure:
    """Horizontal bars of support per project, in the order given (best first); funded
    projects are ticked and hatched."""
    labels = [(FUNDED_MARK if bar.funded else "") + shorten(bar.label) for bar in bars]
    values = [bar.score for bar in bars]
    figure = go.Figure(
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
        )
    )
    _base_layout(figure, palette, height)
    figure.update_layout(margin={"r": 3 * palette.font_size})
    figure.update_xaxes(range=[0, max(values, default=0) * 1.05 or 1])
    return figure
