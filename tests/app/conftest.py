"""AppTest fixtures: every test gets its own DuckDB file (``BUDGET_DB``) with the demo round."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from budgeting import store
from budgeting.store.demo import ensure_demo_round

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT = 60


@pytest.fixture
def budget_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    path = str(tmp_path / "budget.duckdb")
    monkeypatch.setenv("BUDGET_DB", path)
    yield path


@pytest.fixture
def conn(budget_db: str):
    """The same database the app under test uses, with the demo round loaded."""
    connection = store.connect(budget_db)
    ensure_demo_round(connection)
    return connection


@pytest.fixture
def open_page(budget_db: str) -> Callable[..., AppTest]:
    """Run ``app.py``, switch to ``page`` (e.g. ``"pages/vote.py"``) with query parameters."""

    def open_(page: str, *, secrets: dict | None = None, **query: str) -> AppTest:
        app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        if secrets is not None:
            app.secrets = secrets
        app.query_params.update(query)
        app.run()
        app.switch_page(page)
        app.query_params.update(query)
        return app.run()

    return open_
