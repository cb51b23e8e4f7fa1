"""A database file another process holds (DuckDB allows one read-write process per file):
visitors get one plain sentence, the operator one clear log line, and nobody a traceback."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from budgeting import i18n
from tests.app.test_officer_page import TEXT_ELEMENTS

HOLD = (
    "import duckdb, sys; held = duckdb.connect(sys.argv[1]); print('holding', flush=True);"
    " sys.stdin.read()"
)


@pytest.fixture
def held_elsewhere(budget_db: str):
    """Another process (a second server, say) holding this test's database file open."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, budget_db],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        yield holder
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


@pytest.mark.parametrize("page", ["pages/home.py", "pages/vote.py", "pages/officer.py"])
@pytest.mark.parametrize("language", ["en", "cy"])
def test_visitors_get_one_sentence_and_the_operator_a_log_line(
    open_page, budget_db, held_elsewhere, caplog, page, language
):
    caplog.set_level(logging.ERROR)
    app = open_page(page, lang=language)
    assert not app.exception
    page_text = [str(e.value) for kind in TEXT_ELEMENTS for e in getattr(app, kind)]
    assert page_text == [i18n.text("common.database_unavailable", language)]
    assert "Traceback" not in page_text[0] and budget_db not in page_text[0]
    lines = [r.getMessage() for r in caplog.records if budget_db in r.getMessage()]
    assert lines, "the operator is told which file"
    assert "\n" not in lines[0]
    assert "another process" in lines[0] and "BUDGET_DB" in lines[0]


def test_the_page_works_once_the_other_process_lets_go(open_page, budget_db, held_elsewhere):
    app = open_page("pages/home.py")
    assert [e.value for e in app.error] == [i18n.text("common.database_unavailable")]
    held_elsewhere.stdin.close()
    held_elsewhere.wait(timeout=30)
    app.run()
    assert not app.exception and not app.error
