"""Voter codes (/officer-codes) through AppTest: codes issued for an area are shown once,
downloaded as CSV and as a PDF of slips, and then vote (through the slip's link, which
fills the code in); a revoked code is refused; bad input is refused in words."""

from __future__ import annotations

import csv
import io

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from budgeting import store
from budgeting.demo import DEMO_ROUND_ID
from budgeting.results import slips
from budgeting.ui import auth, drawings
from tests.app.conftest import arrives_now, drawn, pressed
from tests.app.test_officer_page import DEMO_MODE, shown, sign_in
from tests.results.test_slips import expected_modules, page_count, printed_slips

ROUND = {"round": DEMO_ROUND_ID}
AREAS = [
    {"id": "north", "name": "North ward", "population": 1200},
    {"id": "south", "name": "South ward", "population": 800},
]
PUBLIC = "https://budget.example.org"


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """What the page offers for download, by file name, as the browser would receive it."""
    files: dict[str, bytes] = {}
    real = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        if filename is not None and isinstance(path_or_data, bytes):
            files[filename] = path_or_data
        return real(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return files


def codes_page(open_page, **secrets):
    app = open_page(
        "pages/officer_codes.py", secrets={**DEMO_MODE, "public_url": PUBLIC, **secrets}, **ROUND
    )
    return sign_in(app, auth.DEMO_OFFICER, auth.DEMO_PASSWORD)


def issue(app, count: str, area: str | None = None):
    if area is not None:
        drawn(app.selectbox, "codes_area").select(area)
    drawn(app.text_input, "codes_count").input(count)
    return drawn(app.button, "issue_codes_button").click().run()


def shown_codes(app) -> list[str]:
    blocks = [c.value for c in app.code]
    assert len(blocks) == 1, blocks
    return blocks[0].split("\n")


def counts_table(app) -> list[dict]:
    (table,) = app.dataframe
    return table.value.to_dict("records")


def issued_count(conn) -> int:
    return sum(counts.issued for counts in store.voter_code_counts(conn, DEMO_ROUND_ID))


def test_issue_pressed_twice_before_the_codes_are_shown_issues_them_once(open_page, conn):
    """A double click: the second press reaches the server with the form as it was. It must
    not issue a second batch, which would replace the first on the page, leaving codes that
    count as issued but that nobody can ever see or print."""
    before = issued_count(conn)
    app = codes_page(open_page)
    drawn(app.text_input, "codes_count").input("3")
    drawn(app.button, "issue_codes_button").click()
    press = pressed(app)
    app.run()
    first = shown_codes(app)
    app._run(press)  # the same press, again
    assert not app.exception
    assert issued_count(conn) == before + 3
    assert shown_codes(app) == first
    app = issue(app, "2")  # the form drawn anew issues the next batch
    assert issued_count(conn) == before + 5 and len(shown_codes(app)) == 2


def test_issue_pressed_again_while_the_codes_are_being_issued_issues_them_once(
    open_page, conn, monkeypatch
):
    """10,000 codes take a minute or more: a second press arrives while the first run is
    still issuing. Streamlit then stops that run at its next use of the session state; the
    codes it issued must still be shown, and the second press must issue nothing."""
    before = issued_count(conn)
    app = codes_page(open_page)
    drawn(app.text_input, "codes_count").input("3")
    drawn(app.button, "issue_codes_button").click()
    press = pressed(app)
    issue_now = store.issue_voter_codes

    def pressed_again_while_issuing(*args, **kwargs):
        codes = issue_now(*args, **kwargs)
        if issued_count(conn) == before + 3:  # the first batch: the second press arrives
            arrives_now(press)
        return codes

    monkeypatch.setattr(store, "issue_voter_codes", pressed_again_while_issuing)
    app.run()
    assert not app.exception
    assert issued_count(conn) == before + 3
    assert len(shown_codes(app)) == 3


def test_codes_issued_for_an_area_are_shown_once_and_downloaded(open_page, conn, downloads):
    store.replace_areas(conn, DEMO_ROUND_ID, AREAS)
    app = issue(codes_page(open_page), "3", area="north")
    assert not app.exception
    assert drawn(app.selectbox, "codes_area").value == "north"  # the next batch starts there
    codes = shown_codes(app)
    assert len(codes) == 3
    assert any("3 new codes issued for North ward" in s.value for s in app.success)
    assert any("These codes are shown once" in w.value for w in app.warning)
    for code in codes:
        assert store.voter_code_check(conn, DEMO_ROUND_ID, code).status == "valid"
    assert {
        "Area": "North ward",
        "Issued": 3,
        "Revoked": 0,
        "Have voted": 0,
    } in counts_table(app)
    issued = [e.details for e in store.audit_log(conn, DEMO_ROUND_ID) if e.kind == "codes_issued"]
    assert (issued[-1]["area"], issued[-1]["actor"]) == ("north", auth.DEMO_OFFICER)

    # the downloads: a CSV of code, area, address and a PDF of slips with the same codes
    names = {b.key: b.proto for b in app.get("download_button")}
    assert set(names) == {"codes_csv", "codes_pdf"}
    rows = list(
        csv.DictReader(io.StringIO(downloads[f"{DEMO_ROUND_ID}-voter-codes-north.csv"].decode()))
    )
    assert rows == [
        {
            "code": code,
            "area": "North ward",
            "ballot_address": f"{PUBLIC}/vote?round={DEMO_ROUND_ID}&code={code}",
        }
        for code in codes
    ]
    pdf = downloads[f"{DEMO_ROUND_ID}-voter-codes-north-slips.pdf"]
    assert pdf.startswith(b"%PDF-") and page_count(pdf) == 1
    sheet = slips.make_slips(codes, base_url=PUBLIC, round_id=DEMO_ROUND_ID, area="North ward")
    readable = slips.slips_pdf(
        sheet, round_name=store.get_round(conn, DEMO_ROUND_ID).name, compress=False
    )
    for (code, modules), slip in zip(printed_slips(readable), sheet, strict=True):
        assert code == slip.code and modules == expected_modules(slip.url)

    # shown once: gone when the officer says they are saved, and never stored in plain
    app.button(key="forget_codes").click().run()
    assert not app.code and not app.get("download_button")
    assert not any("These codes are shown once" in w.value for w in app.warning)


def no_area_row(conn) -> store.VoterCodeCounts:
    return next(c for c in store.voter_code_counts(conn, DEMO_ROUND_ID) if c.area is None)


def test_the_slip_link_fills_the_code_in_and_the_code_votes(open_page, conn):
    before = no_area_row(conn)
    app = issue(codes_page(open_page), "2")
    code = shown_codes(app)[0]
    vote = open_page("pages/vote.py", code=code, **ROUND)
    assert not vote.exception
    assert vote.text_input(key="voter_code").value == code
    assert not vote.slider  # not checked until the resident presses the button
    assert "code" not in vote.query_params  # taken out of the address
    vote.button(key="use_code").click().run()
    assert vote.slider
    vote.button(key="step_next").click().run()  # services as they start: on to projects
    vote.checkbox(key="project_P01").check().run()
    vote.button(key="step_next").click().run()
    vote.button(key="submit_ballot").click().run()
    assert not vote.exception
    stored = store.latest_ballot(conn, DEMO_ROUND_ID, code)
    assert stored is not None and stored.project_scores == {"P01": 1}
    app.button(key="forget_codes").click().run()
    assert {
        "Area": "No area",
        "Issued": before.issued + 2,
        "Revoked": 0,
        "Have voted": before.used + 1,
    } in counts_table(app)


def test_a_revoked_code_is_refused_and_its_earlier_ballot_kept(open_page, conn):
    before = no_area_row(conn)
    no_area_unused = before.issued - before.used
    code = store.issue_voter_codes(conn, DEMO_ROUND_ID, 1)[0]
    allocation = store.current_ballots(conn, DEMO_ROUND_ID)[0].allocation
    earlier = store.submit_ballot(
        conn, DEMO_ROUND_ID, allocation=allocation, project_scores={"P01": 1}, code=code
    )
    app = codes_page(open_page)
    app.text_input(key="revoke_code_input").input(code.lower().replace("-", " "))
    app.button(key="revoke_code_button").click().run()
    assert not app.exception
    assert any(
        f"Code {code} is revoked" in s.value and "stays counted" in s.value for s in app.success
    )
    assert store.voter_code_check(conn, DEMO_ROUND_ID, code) == store.VoterCodeCheck(
        "unknown", None
    )
    assert earlier.receipt in {b.receipt for b in store.current_ballots(conn, DEMO_ROUND_ID)}
    after = no_area_row(conn)
    assert (after.revoked, after.issued - after.used) == (1, no_area_unused)
    assert {
        "Area": "No area",
        "Issued": after.issued,
        "Revoked": 1,
        "Have voted": after.used,
    } in counts_table(app)

    vote = open_page("pages/vote.py", **ROUND)
    vote.text_input(key="voter_code").input(code)
    vote.button(key="use_code").click().run()
    assert any("do not recognise this voter code" in e.value for e in vote.error)
    assert not vote.slider

    # revoking it again, or a code the round never issued, is refused in words
    app.text_input(key="revoke_code_input").input(code)
    app.button(key="revoke_code_button").click().run()
    assert any("already revoked" in e.value for e in app.error)
    app.text_input(key="revoke_code_input").input("ZZZZ-ZZZZ")
    app.button(key="revoke_code_button").click().run()
    assert any("has no voter code ZZZZ-ZZZZ" in e.value for e in app.error)


@pytest.mark.parametrize("typed", ["", "abc", "2.5", "0", "-4", "10001", "1,0000"])
def test_a_bad_number_of_codes_is_refused_and_nothing_issued(open_page, conn, typed):
    before = store.voter_code_counts(conn, DEMO_ROUND_ID)
    app = issue(codes_page(open_page), typed)
    assert not app.exception
    assert any("whole number from 1 to 10,000" in e.value for e in app.error)
    assert not app.code
    assert store.voter_code_counts(conn, DEMO_ROUND_ID) == before


def test_a_round_open_to_everyone_has_no_codes_to_issue(open_page, conn):
    open_round = store.create_round(
        conn, name="Open to all", service_budget=1000, project_budget=1000, code_mode="open"
    )
    app = sign_in(
        open_page("pages/officer_codes.py", secrets=DEMO_MODE, round=open_round),
        auth.DEMO_OFFICER,
        auth.DEMO_PASSWORD,
    )
    assert not app.exception
    assert "open to everyone without voter codes" in shown(app)
    assert not [
        t
        for t in app.text_input
        if t.key and drawings.name_of(t.key) in ("codes_count", "revoke_code_input")
    ]


def test_visitors_get_only_the_sign_in_form(open_page):
    app = open_page("pages/officer_codes.py", secrets=DEMO_MODE, **ROUND)
    assert [t.key for t in app.text_input] == ["officer_name", "officer_password"]
    assert not app.get("download_button") and not app.code
