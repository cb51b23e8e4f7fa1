"""Figure builders and the join QR code, tested as plain functions (no Streamlit)."""

from __future__ import annotations

import html
from fractions import Fraction

from budgeting.ui import charts, qr


def test_allocation_figure_labels_every_bar_with_amount_and_share():
    bars = [
        charts.AllocationBar("Parks and green spaces", Fraction(300_000)),
        charts.AllocationBar("Libraries", Fraction(100_000)),
    ]
    figure = charts.allocation_figure(bars)
    (trace,) = figure.data
    assert list(trace.y) == ["Parks and green spaces", "Libraries"]
    assert list(trace.x) == [300_000, 100_000]
    assert list(trace.text) == ["£300k · 75%", "£100k · 25%"]
    assert figure.layout.font.size >= 28
    assert figure.layout.paper_bgcolor == "#000000"


def test_allocation_figure_copes_with_no_money_yet():
    figure = charts.allocation_figure([charts.AllocationBar("Parks", Fraction(0))])
    assert list(figure.data[0].text) == ["£0 · 0%"]


def test_standings_figure_marks_funded_projects_without_relying_on_colour():
    bars = [
        charts.StandingBar("Play area", 120, funded=True),
        charts.StandingBar("A very long project name that will not fit on a projector", 80),
    ]
    (trace,) = charts.standings_figure(bars).data
    assert trace.y[0] == "✓ Play area"
    assert trace.y[1].startswith("A very long")
    assert list(trace.text) == ["120", "80"]
    assert list(trace.marker.pattern.shape) == ["/", ""]
    assert trace.hovertext[1].startswith("A very long project name")


def unwrapped(label: str) -> str:
    return html.unescape(label.replace(charts.LINE_BREAK, " "))


def test_long_names_are_wrapped_whole_never_cut():
    names = [
        "Riverside litter bins and recycling",
        "Northbank youth shelter and lights",
        "Care for older and disabled people",
        "Fish & chips <shop> benches",
        "Eastgate community-owned-and-run hub",
        "Play area",
    ]
    standings = charts.standings_figure(
        [charts.StandingBar(name, 5, funded=i == 0) for i, name in enumerate(names)]
    )
    allocation = charts.allocation_figure([charts.AllocationBar(n, Fraction(1)) for n in names])
    for labels in (
        [label.removeprefix(charts.FUNDED_MARK) for label in standings.data[0].y],
        list(allocation.data[0].y),
    ):
        assert not any(label.endswith("…") for label in labels)
        assert [unwrapped(label) for label in labels] == names
        assert "<shop>" not in labels[3], "names are escaped for Plotly's label markup"
        for label in labels:
            lines = label.split(charts.LINE_BREAK)
            # A line is short enough, or one word too long to break (kept whole).
            assert all(
                len(html.unescape(line)) <= charts.LINE_CHARACTERS or " " not in line
                for line in lines
            )
    assert charts.LINE_BREAK in standings.data[0].y[1]


def test_compact_money():
    assert charts.compact_money(Fraction(950)) == "£950"
    assert charts.compact_money(Fraction(165_217)) == "£165k"
    assert charts.compact_money(Fraction(1_250_000)) == "£1.2m"


def test_join_url_and_short_link():
    url = qr.join_url("http://192.168.1.20:8501/results", "riverside-2027")
    assert url == "http://192.168.1.20:8501/vote?round=riverside-2027"
    assert qr.short_link("https://www.budget.example.org/vote?round=r1") == (
        "budget.example.org/vote?round=r1"
    )


def test_qr_code_is_generated_locally_as_svg_and_png():
    url = "https://budget.example.org/vote?round=riverside-2027"
    svg = qr.qr_svg_data_uri(url)
    assert svg.startswith("data:image/svg+xml")
    png = qr.qr_png_bytes(url)
    assert png.startswith(b"\x89PNG")
