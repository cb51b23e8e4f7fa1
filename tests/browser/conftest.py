"""Browser fixtures: a real ``streamlit run app.py`` on a free port with its own database,
driven by Playwright in Debian's Chromium.

Each test owns a round (the ``own_round`` fixture): before the server starts, the database
gets one copy of the demo round per collected browser test, named like the demo, so no
test sees another's ballots or round changes. (DuckDB allows one process per file, so the
rounds cannot be added once the server has the file open.) Under pytest-xdist each worker
that runs browser tests starts its own server on its own database.

Screenshots go to a temporary folder. To refresh the README's, run
``SCREENSHOTS_DIR=docs/screenshots .venv/bin/pytest -m browser``.

Chromium cannot be downloaded here, so Playwright launches ``/usr/bin/chromium``. When it
is missing these tests fail with a message saying so; they are never skipped silently.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from budgeting import store
from budgeting.demo import demo_codes, load_demo_round
from budgeting.serve import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS_ENV = "SCREENSHOTS_DIR"
ROUND_NAME = "Riverside Ward 2027"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 90
EXPECT_TIMEOUT_MS = 30_000
"""How long any ``expect`` waits unless told otherwise: a step waits for a server rerun,
which on a busy two-core machine running two browsers and their servers can take longer
than Playwright's default 5 s. A ceiling for a busy machine, not a speed limit."""
expect.set_options(timeout=EXPECT_TIMEOUT_MS)


def wait_until_healthy(port: int, server: subprocess.Popen, log: Path) -> None:
    try:
        wait_healthy(port, server, seconds=STARTUP_SECONDS)
    except ValueError as failure:
        pytest.fail(f"streamlit did not start: {failure}\n{log.read_text()}")


MARKUP = "# Big [click](https://example.org) ![x](https://example.org/x.png) *bold* :tada:"
"""Markdown a careless or hostile import could put in a name: a heading, a link, a remote
image, emphasis and an emoji shortcode. Shown anywhere, it must read exactly like this."""
MARKUP_ROUND = "riverside-markup"


def load_round_named_in_markup(conn: duckdb.DuckDBPyConnection, round_id: str) -> None:
    """An open round whose name, first project's name and description, and first service's
    name are ``MARKUP``, imported through the officers' CSV path; the demo codes vote."""
    store.create_round(
        conn,
        id=round_id,
        name=MARKUP,
        service_budget=Fraction(1_200_000),
        project_budget=Fraction(300_000),
        ballot_format="approval",
        max_approvals=5,
    )
    services = list(csv.DictReader(io.StringIO(demo_file("services.csv"))))
    projects = list(csv.DictReader(io.StringIO(demo_file("projects.csv"))))
    services[0]["name"] = MARKUP
    projects[0]["name"] = projects[0]["description"] = MARKUP
    store.import_services_csv(conn, round_id, as_csv(services))
    store.import_projects_csv(conn, round_id, as_csv(projects))
    store.add_voter_codes(conn, round_id, demo_codes())
    store.update_round(conn, round_id, status="open")


def demo_file(name: str) -> str:
    return (ROOT / "data" / "demo" / name).read_text(encoding="utf-8")


def as_csv(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def round_for(item: pytest.Item) -> str:
    """The id of the round test ``item`` owns: ``riverside-`` and the test's first word."""
    return "riverside-" + item.originalname.removeprefix("test_").split("_")[0]


@pytest.fixture
def own_round(request: pytest.FixtureRequest) -> str:
    """The round this test owns: a copy of the demo round no other test touches."""
    return round_for(request.node)


@pytest.fixture(scope="session")
def app_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The base URL of a fresh server on its own temporary database, which holds a round for
    every collected test that asks for ``own_round``."""
    workdir = tmp_path_factory.mktemp("server")
    database = workdir / "budget.duckdb"
    owners = [item for item in request.session.items if "own_round" in item.fixturenames]
    tests = {item.originalname for item in owners}
    round_ids = {round_for(item) for item in owners}
    if len(round_ids) != len(tests):
        pytest.fail(f"browser tests must start with different words to own rounds: {tests}")
    conn = store.connect(str(database))
    for round_id in sorted(round_ids):
        if round_id == MARKUP_ROUND:
            load_round_named_in_markup(conn, round_id)
        else:
            load_demo_round(conn, round_id=round_id, name=ROUND_NAME)
    conn.close()
    port = free_port()
    log = workdir / "streamlit.log"
    environment = {**os.environ, "BUDGET_DB": str(database), "BUDGET_DEMO": "1"}
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("w") as log_file:
        server = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=log_file, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(port, server, log)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. Install Debian's chromium "
            "(apt-get install chromium) or set CHROMIUM to its path."
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: a temporary folder, or ``SCREENSHOTS_DIR`` when set (relative to
    the repository root; ``docs/screenshots`` refreshes the README's)."""
    chosen = os.environ.get(SCREENSHOTS_ENV)
    if not chosen:
        return tmp_path_factory.mktemp("screenshots")
    folder = ROOT / chosen
    folder.mkdir(parents=True, exist_ok=True)
    return folder
