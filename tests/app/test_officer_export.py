"""Exports (/officer-export) through AppTest: the four files, named by round, built on
request, and the command that recomputes the winners."""

from __future__ import annotations

from budgeting.demo import DEMO_ROUND_ID
from budgeting.ui import auth
from tests.app.test_officer_page import DEMO_MODE, sign_in


def test_an_officer_gets_every_export_of_the_round(open_page):
    app = sign_in(
        open_page("pages/officer_export.py", secrets=DEMO_MODE, round=DEMO_ROUND_ID),
        auth.DEMO_OFFICER,
        auth.DEMO_PASSWORD,
    )
    assert not app.exception
    buttons = {b.key: b.proto for b in app.get("download_button")}
    assert set(buttons) == {
        "export_ballots_csv",
        "export_ballots_parquet",
        "export_ballots_pb",
        "export_results_csv",
    }
    assert buttons["export_ballots_pb"].label == "Project vote and winners (pabulib .pb)"
    assert any("not published yet" in i.value for i in app.info)
    assert any(f"{DEMO_ROUND_ID}-ballots.pb --rule recorded" in c.value for c in app.code)
