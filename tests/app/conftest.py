"""AppTest fixtures: every test gets its own DuckDB file (``BUDGET_DB``) with the demo round.

The demo round is built once per test session (once per worker under xdist) and its file
copied for each test, so a test owns its database without loading the demo again.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.testing.v1 import AppTest

from budgeting import store
from budgeting.demo import ensure_demo_round
from budgeting.ui import drawings, state

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT = 60


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file holding only the demo round, built once; tests use copies of it."""
    path = tmp_path_factory.mktemp("demo") / "budget.duckdb"
    connection = store.connect(str(path))
    ensure_demo_round(connection)
    connection.close()
    return path


@pytest.fixture
def budget_db(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """This test's own copy of the demo database, which the app under test opens."""
    path = str(shutil.copy(demo_db, tmp_path / "budget.duckdb"))
    monkeypatch.setenv("BUDGET_DB", path)
    yield path


@pytest.fixture
def conn(budget_db: str):
    """The same database the app under test uses, with the demo round loaded."""
    return store.connect(budget_db)


def draft_round(conn) -> str:
    """A round that has not opened: no services or projects yet."""
    return store.create_round(
        conn,
        id="draft-test",
        name="Draft test round",
        service_budget=1000,
        project_budget=1000,
        code_mode="codes",
    )


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


class Clock:
    """The time the app under test reads (``state.now``): it moves only when a test says so."""

    def __init__(self) -> None:
        self.at = datetime(2027, 5, 1, 12, 0, 0)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A clock the test moves by hand, so delays are tested without sleeping."""
    fake = Clock()
    monkeypatch.setattr(state, "now", fake)
    return fake


def drawn(widgets, name: str):
    """The widget ``name`` (``paper_projects``, ``amount_parks``) among ``widgets`` as the
    page draws it now, whichever drawing that is (``budgeting.ui.drawings``)."""
    (found,) = [w for w in widgets if w.key and drawings.name_of(w.key) == name]
    return found


def pressed(app: AppTest) -> WidgetStates:
    """What the browser sends for the press just made on ``app`` (``.click()``, not yet
    run): to send the same press again, as a double click does. AppTest's own tree."""
    return app._tree.get_widget_states()


def arrives_now(press: WidgetStates) -> None:
    """From inside a run: ``press`` reaches the server now, while this run goes on (a
    double click on a slow run), as the browser's rerun request does."""
    ctx = get_script_run_ctx()
    assert ctx is not None and ctx.script_requests is not None
    again = RerunData(
        query_string=ctx.query_string, page_script_hash=ctx.page_script_hash, widget_states=press
    )
    ctx.script_requests.request_rerun(again)
