"""Printable voter-code slips: the CSV for a mail merge and the PDF sheet, read back for
real: every code printed, each QR code the ballot address with that code, pages counted."""

from __future__ import annotations

import csv
import io
import re

import segno

from budgeting.results import slips

BASE = "https://budget.example.org/officer-codes?round=riverside"
ROUND = "riverside-2027"
CODE_TEXT = re.compile(rb"\(([A-Z0-9]{4}-[A-Z0-9]{4})\) Tj")
RECT = re.compile(rb"([\d.]+) ([\d.]+) ([\d.]+) -([\d.]+) re f")


def codes(count: int) -> list[str]:
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return [
        "".join(alphabet[(n * 7 + i * 3) % len(alphabet)] for i in range(4))
        + "-"
        + "".join(alphabet[(n * 5 + i * 11) % len(alphabet)] for i in range(4))
        for n in range(count)
    ]


def printed_slips(pdf: bytes) -> list[tuple[str, list[list[bool]]]]:
    """(code, QR modules) for each slip, read from an uncompressed PDF: the code's text,
    then the filled squares of its QR code up to the next code."""
    parts = CODE_TEXT.split(pdf)
    found = []
    for code, after in zip(parts[1::2], parts[2::2], strict=True):
        rects = [tuple(float(v) for v in match) for match in RECT.findall(after)]
        module = min(h for _, _, _, h in rects)
        left = min(x for x, _, _, _ in rects)
        top = max(y for _, y, _, _ in rects)
        dark = set()
        for x, y, width, _ in rects:
            row, column = round((top - y) / module), round((x - left) / module)
            dark.update((row, column + i) for i in range(round(width / module)))
        size = max(max(r, c) for r, c in dark) + 1
        found.append((code.decode(), [[(r, c) in dark for c in range(size)] for r in range(size)]))
    return found


def expected_modules(url: str) -> list[list[bool]]:
    return [[bool(m) for m in row] for row in segno.make(url, error="m", micro=False).matrix]


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_every_code_is_printed_with_a_qr_code_that_opens_its_ballot():
    issued = codes(17)
    sheet = slips.make_slips(issued, base_url=BASE, round_id=ROUND, area="North ward")
    pdf = slips.slips_pdf(sheet, round_name="Riverside 2027", compress=False)
    assert pdf.startswith(b"%PDF-")
    printed = printed_slips(pdf)
    assert [code for code, _ in printed] == issued
    for code, modules in printed:
        url = f"https://budget.example.org/vote?round={ROUND}&code={code}"
        assert modules == expected_modules(url), code
    assert page_count(pdf) == 3  # 8 + 8 + 1
    assert b"(Riverside 2027) Tj" in pdf
    assert b"Area: North ward" in pdf


def test_slips_fill_whole_pages():
    for count, pages in ((1, 1), (slips.SLIPS_PER_PAGE, 1), (slips.SLIPS_PER_PAGE + 1, 2)):
        sheet = slips.make_slips(codes(count), base_url=BASE, round_id=ROUND)
        pdf = slips.slips_pdf(sheet, round_name="R", compress=False)
        assert page_count(pdf) == pages
        assert len(printed_slips(pdf)) == count


def test_the_compressed_sheet_is_a_smaller_pdf_without_the_codes_in_plain_sight():
    sheet = slips.make_slips(codes(9), base_url=BASE, round_id=ROUND)
    plain = slips.slips_pdf(sheet, round_name="R", compress=False)
    packed = slips.slips_pdf(sheet, round_name="R")
    assert packed.startswith(b"%PDF-") and len(packed) < len(plain) / 2
    assert page_count(packed) == 2


def test_names_outside_latin_1_are_printed_without_what_the_fonts_lack():
    assert slips.pdf_text("Cyllideb “Tŷ Ŵyl” – 2027…") == 'Cyllideb "Ty Wyl" - 2027...'
    assert slips.pdf_text("Café\tnord\n€") == "Café nord\n?"
    sheet = slips.make_slips(codes(1), base_url=BASE, round_id=ROUND, area="Tŷ Gwyn")
    pdf = slips.slips_pdf(sheet, round_name="Tŷ’r Cyngor " + "hir iawn " * 20, compress=False)
    assert b"Ty'r Cyngor" in pdf and b"Area: Ty Gwyn" in pdf
    assert pdf.count(b"hir iawn") < 20  # a long name is cut short
    assert b"...) Tj" in pdf


def test_the_csv_lists_code_area_and_ballot_address():
    issued = codes(3)
    sheet = slips.make_slips(issued, base_url="http://localhost:8501/", round_id="r 1", area="")
    rows = list(csv.reader(io.StringIO(slips.slips_csv(sheet))))
    assert rows[0] == ["code", "area", "ballot_address"]
    assert rows[1:] == [
        [code, "", f"http://localhost:8501/vote?round=r+1&code={code}"] for code in issued
    ]


def test_the_ballot_address_uses_only_the_servers_origin():
    assert slips.ballot_address(BASE, ROUND) == f"https://budget.example.org/vote?round={ROUND}"
    assert (
        slips.ballot_address("budget.example.org/", ROUND, "AB&C")
        == f"budget.example.org/vote?round={ROUND}&code=AB%26C"
    )
