"""Voter-code slips to print and hand out, headless: a CSV of the codes for a mail merge and a
PDF sheet of slips (fpdf2), each with the round's name, the code in large monospace and a QR
code (segno) that opens the ballot with the code filled in.

The plain codes exist only between ``store.issue_voter_codes`` returning them and these
files being downloaded: nothing here keeps them.

A4 pages hold ``SLIPS_PER_PAGE`` slips (``COLUMNS`` x ``ROWS``), with dashed cut lines.
The QR code is drawn as vector squares (one per run of dark modules in a row), so it prints
sharp at any size and the test can read it back. Text uses the PDF's built-in fonts, which
cover Latin-1: other characters in a round or area name are printed without their accents
(``ŵ`` as ``w``), or as ``?`` when there is no such letter.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import segno
from fpdf import FPDF

from budgeting.i18n import text

PAGE_WIDTH = 210.0  # mm, A4
PAGE_HEIGHT = 297.0
COLUMNS = 2
ROWS = 4
SLIPS_PER_PAGE = COLUMNS * ROWS
SLIP_WIDTH = PAGE_WIDTH / COLUMNS
SLIP_HEIGHT = PAGE_HEIGHT / ROWS
PADDING = 7.0
QR_SIZE = 38.0
"""The QR code's side in mm, quiet zone (4 modules each side) included."""
QR_BORDER = 4
CODE_FONT_SIZE = 22
NAME_LINES = 3
NAME_WIDTH = SLIP_WIDTH - 2 * PADDING - QR_SIZE
"""A longer round name is cut short, ending in "...": the slip has room for three lines."""
CSV_COLUMNS = ("code", "area", "ballot_address")

_PUNCTUATION = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "…": "...",
        "\u00a0": " ",
        "\u2060": "",
    }
)


@dataclass(frozen=True)
class Slip:
    """One slip: the plain code, the area's name ("" for none) and the ballot address
    with the code filled in (what the QR code holds)."""

    code: str
    area: str
    url: str


def ballot_address(base_url: str, round_id: str, code: str | None = None) -> str:
    """The resident ballot of ``round_id`` on the server at ``base_url`` (only its scheme
    and host are used: a page's own address will do), with ``code`` filled in when given."""
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else base_url.rstrip("/")
    query = {"round": round_id} | ({"code": code} if code else {})
    return f"{origin}/vote?{urlencode(query)}"


def make_slips(codes: Iterable[str], *, base_url: str, round_id: str, area: str = "") -> list[Slip]:
    """A slip for each code, in order."""
    return [Slip(code, area, ballot_address(base_url, round_id, code)) for code in codes]


def slips_csv(slips: Iterable[Slip]) -> str:
    """The slips as CSV: ``code,area,ballot_address``, one line per code."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows((slip.code, slip.area, slip.url) for slip in slips)
    return out.getvalue()


def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """The QR code printed for ``url``: rows of dark (True) and light modules, without the
    quiet zone. Error correction M or better, never a Micro QR code."""
    code = segno.make(url, error="m", micro=False)
    return tuple(tuple(bool(module) for module in row) for row in code.matrix)


def pdf_text(value: str) -> str:
    """``value`` as the built-in PDF fonts can print it (Latin-1): typographic punctuation
    made plain, accents the fonts lack dropped, anything else ``?``."""
    out = []
    for char in value.translate(_PUNCTUATION):
        if ord(char) < 256:
            out.append(char if char.isprintable() or char == "\n" else " ")
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        out.append(base if base and all(ord(c) < 256 for c in base) else "?")
    return "".join(out)


def slips_pdf(
    slips: Sequence[Slip],
    *,
    round_name: str,
    language: str = "en",
    compress: bool = True,
) -> bytes:
    """An A4 PDF of the slips, ``SLIPS_PER_PAGE`` to a page, in order (left to right, top
    to bottom). ``compress=False`` leaves the page contents readable, for checking."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_compression(compress)
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.c_margin = 0
    pdf.set_title(text("slips.pdf_title", language, round=round_name))
    pdf.set_creator("Budget Together")
    wrapped = _Wrapper(pdf)
    for index, slip in enumerate(slips):
        position = index % SLIPS_PER_PAGE
        if position == 0:
            pdf.add_page()
            _cut_lines(pdf)
        column, row = position % COLUMNS, position // COLUMNS
        _slip(pdf, wrapped, slip, column * SLIP_WIDTH, row * SLIP_HEIGHT, round_name, language)
    return bytes(pdf.output())


def _cut_lines(pdf: FPDF) -> None:
    pdf.set_draw_color(150)
    pdf.set_line_width(0.2)
    pdf.set_dash_pattern(dash=2, gap=2)
    for column in range(1, COLUMNS):
        pdf.line(column * SLIP_WIDTH, 0, column * SLIP_WIDTH, PAGE_HEIGHT)
    for row in range(1, ROWS):
        pdf.line(0, row * SLIP_HEIGHT, PAGE_WIDTH, row * SLIP_HEIGHT)
    pdf.set_dash_pattern()


def _slip(
    pdf: FPDF,
    wrapped: _Wrapper,
    slip: Slip,
    x: float,
    y: float,
    round_name: str,
    language: str,
) -> None:
    """One slip with its top left corner at (x, y): the words on the left, the QR code on
    the right. The code's text comes first and its QR code straight after it."""
    left, top = x + PADDING, y + PADDING
    pdf.set_text_color(0)
    pdf.set_font("Helvetica", "B", 11)
    for number, line in enumerate(wrapped(round_name, NAME_WIDTH, NAME_LINES)):
        pdf.text(left, top + 4 + 5 * number, line)
    pdf.set_font("Helvetica", "", 9)
    pdf.text(left, top + 21, pdf_text(text("slips.your_code", language)))
    pdf.set_font("Courier", "B", CODE_FONT_SIZE)
    pdf.text(left, top + 30, slip.code)
    _qr(pdf, qr_matrix(slip.url), x + SLIP_WIDTH - PADDING - QR_SIZE, top)
    pdf.set_font("Helvetica", "", 9)
    words = text("slips.how", language, address=_short(slip.url))
    if slip.area:
        words += "\n" + text("slips.area", language, area=slip.area)
    for number, line in enumerate(wrapped(words, SLIP_WIDTH - 2 * PADDING, 6)):
        pdf.text(left, top + QR_SIZE + 4 + 4.5 * number, line)


class _Wrapper:
    """Lines of text wrapped to a width in the font set now, each text wrapped once per
    sheet: every slip of an issue has the same round name and the same instructions."""

    def __init__(self, pdf: FPDF) -> None:
        self._pdf = pdf
        self._lines: dict[tuple[Any, ...], list[str]] = {}

    def __call__(self, words: str, width: float, most: int) -> list[str]:
        pdf = self._pdf
        key = (pdf.font_family, pdf.font_style, pdf.font_size_pt, words, width, most)
        if key not in self._lines:
            self._lines[key] = _fit_lines(pdf, pdf_text(words), width, most)
        return self._lines[key]


def _fit_lines(pdf: FPDF, words: str, width: float, most: int) -> list[str]:
    """``words`` broken into lines ``width`` wide in the current font; at most ``most``
    lines, the last ending in "..." when some had to go."""
    lines = pdf.multi_cell(width, 5, words, dry_run=True, output="LINES")
    assert isinstance(lines, list)  # output="LINES" gives the lines alone
    if len(lines) <= most:
        return lines
    last = lines[most - 1]
    while last and pdf.get_string_width(last.rstrip() + "...") > width:
        last = last[:-1]
    return [*lines[: most - 1], last.rstrip() + "..."]


def _qr(pdf: FPDF, matrix: Sequence[Sequence[bool]], x: float, y: float) -> None:
    """The QR code with its quiet zone at (x, y), ``QR_SIZE`` wide: one filled rectangle
    per run of dark modules in a row."""
    module = QR_SIZE / (len(matrix) + 2 * QR_BORDER)
    origin_x, origin_y = x + QR_BORDER * module, y + QR_BORDER * module
    pdf.set_fill_color(0)
    for row_number, row in enumerate(matrix):
        start = None
        for column, dark in enumerate([*row, False]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                pdf.rect(
                    origin_x + start * module,
                    origin_y + row_number * module,
                    (column - start) * module,
                    module,
                    style="F",
                )
                start = None


def _short(url: str) -> str:
    """The ballot address as people type it: host and path, the round, no code."""
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if not p.startswith("code="))
    return f"{parts.netloc.removeprefix('www.')}{parts.path}" + (f"?{query}" if query else "")
