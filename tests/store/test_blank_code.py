"""A web ballot on a round that needs codes is refused when its code is blank once
normalised (separators and spaces only), exactly like a missing code."""

from __future__ import annotations

import pytest

from budgeting import store
from tests.store.conftest import BALANCED, raw_rows


@pytest.mark.parametrize("code", ["", "-", "   ", " - - ", "\t-\n"])
def test_a_blank_code_is_a_missing_code(conn, round_id, code):
    with pytest.raises(store.BallotRejected) as caught:
        store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores={"A": 1}, code=code)
    assert [(p.field, p.key) for p in caught.value.problems] == [("code", "store.code_required")]
    assert raw_rows(conn, "SELECT count(*) FROM ballots")[0][0] == 0


def test_a_blank_code_in_an_imported_web_ballot_is_refused(conn, round_id):
    text = (
        "code,channel,area,age_band,submitted_at,projects,parks,libraries\n-,web,,,,A,6000,4000\n"
    )
    with pytest.raises(store.CsvImportError) as caught:
        store.import_ballots_csv(conn, round_id, text)
    assert any(p.line == 2 and p.field == "code" for p in caught.value.problems)
    assert raw_rows(conn, "SELECT count(*) FROM ballots")[0][0] == 0


def test_paper_ballots_and_open_rounds_still_need_no_code(conn, round_id):
    paper = store.submit_ballot(
        conn, round_id, allocation=BALANCED, project_scores={"A": 1}, channel="paper", code="-"
    )
    assert paper.code_hash is None
