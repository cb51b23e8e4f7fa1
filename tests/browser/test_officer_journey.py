"""An officer runs a whole round in Chromium at 1920×1080: sign in, create a round and set
it up, import its services and projects from CSV files, open it, issue voter codes, enter
one paper ballot with the keyboard only, close and publish (each confirmed), download the
pabulib ``.pb`` export and recompute the winners from it with the command line; the public
projector lists the same winners and offers the same file.

The test makes its own round through the pages (a name no other test uses), so it needs no
copy of the demo round."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import ROOT, demo_file
from tests.browser.test_journeys import LOAD_TIMEOUT_MS, PROJECTOR, settled

pytestmark = pytest.mark.browser

ROUND_NAME = "Officer journey round 2027"
ROUND_ID = "officer-journey-round-2027"
# One paper ballot: amounts that add up to the £1,200,000 service budget, each within its
# service's floor and ceiling, and four projects costing £327,000 in all: more than the
# £300,000 project budget, so equal shares funds the cheaper three and not P17.
PAPER_AMOUNTS = {
    "parks": "200,000",
    "libraries": "120000",
    "youth": "£110,000",
    "street-cleaning": "160,000",
    "social-care": "260,000",
    "safety": "90,000",
    "sport": "80,000",
    "pavements": "120,000",
    "food-support": "60,000",
}
PAPER_PROJECTS = "P07, p17, P01, P02"
EXPECTED_WINNERS = {"P01", "P02", "P07"}
# The projector turns a page of explanations every 12 s (4 pages for 22 projects): reading
# every funded line can take a full turn of the pages on a busy machine.
PROJECTOR_PAGES_TIMEOUT_S = 90


def go_to(page: Page, menu_label: str) -> None:
    """Follow the officers' menu (a full page load would start a new, signed-out session)."""
    page.locator("[data-testid=stSidebar]").get_by_role("link", name=menu_label).click()
    expect(page.get_by_role("heading", name=menu_label, level=1)).to_be_visible(
        timeout=LOAD_TIMEOUT_MS
    )


def setting_field(page: Page, name: str) -> Locator:
    """A field of the round settings form, drawn anew (``name~N``) for each round shown."""
    return page.locator(f"[class*='st-key-{name}'] input")


def focus_is_in(page: Page, key: str) -> None:
    """The keyboard focus is on the widget with Streamlit key ``key``."""
    expect(page.locator(f".st-key-{key} :focus")).to_have_count(1, timeout=LOAD_TIMEOUT_MS)


def write_demo_csv(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text(demo_file(name), encoding="utf-8")
    return path


def import_file(page: Page, table: str, path: Path, saved: str) -> None:
    page.get_by_role("tab", name=table.capitalize()).click()
    page.locator(f".st-key-upload_{table}_{ROUND_ID} input[type=file]").set_input_files(path)
    expect(page.get_by_role("button", name=f"Import {path.name}")).to_be_visible(
        timeout=LOAD_TIMEOUT_MS
    )
    settled(page)
    page.get_by_role("button", name=f"Import {path.name}").click()
    expect(page.get_by_text(saved)).to_be_visible(timeout=LOAD_TIMEOUT_MS)


def confirm(page: Page, button: str, yes: str, status: str) -> None:
    page.get_by_role("button", name=button).click()
    expect(page.get_by_text(re.compile("cannot be undone"))).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    page.get_by_role("button", name=yes).click()
    expect(page.get_by_text(f"Status: {status}")).to_be_visible(timeout=LOAD_TIMEOUT_MS)


def funded_on_projector(projector: Page) -> set[str]:
    """The names the projector lists as funded, read page by page as its explanation turns."""
    heading = projector.locator(".st-key-winners h2")
    expect(heading).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    funded = int(re.search(r"(\d+) projects?\b", heading.inner_text()).group(1))
    names: set[str] = set()
    deadline = time.monotonic() + PROJECTOR_PAGES_TIMEOUT_S
    while len(names) < funded and time.monotonic() < deadline:
        explanation = projector.locator(".st-key-winners .projector-list").first
        for line in explanation.locator("li").all_inner_texts():
            headline = line.splitlines()[0]
            found = re.fullmatch(r"✓ Funded: (.+) \(£[\d,]+\)", headline)
            if found:
                names.add(found.group(1))
        projector.wait_for_timeout(1_000)
    assert len(names) == funded, f"the projector says {funded} funded but lists {names}"
    return names


def test_officer_runs_a_round_from_setup_to_recomputed_export(
    browser: Browser, app_url: str, tmp_path: Path, screenshots
):
    context = browser.new_context(**PROJECTOR, accept_downloads=True)
    page = context.new_page()

    # Sign in.
    page.goto(f"{app_url}/officer")
    page.get_by_role("textbox", name="Officer name").wait_for(timeout=LOAD_TIMEOUT_MS)
    page.get_by_role("textbox", name="Officer name").fill("demo")
    page.get_by_role("textbox", name="Password").fill("demo-officer")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as demo.")).to_be_visible(timeout=LOAD_TIMEOUT_MS)

    # Round setup: a new round, its settings, then services and projects from CSV files.
    go_to(page, "Round setup")
    page.get_by_text("Create a new round").click()
    page.locator(".st-key-new_round_name input").fill(ROUND_NAME)
    page.locator(".st-key-new_round_service_budget input").fill("1,200,000")
    page.locator(".st-key-new_round_project_budget input").fill("£300,000")
    page.get_by_role("button", name="Create the round").click()
    expect(page.get_by_text(f"Round “{ROUND_NAME}” created as a draft")).to_be_visible(
        timeout=LOAD_TIMEOUT_MS
    )
    expect(page).to_have_url(re.compile(f"round={ROUND_ID}"))
    assert parse_qs(urlparse(page.url).query)["round"] == [ROUND_ID]
    expect(page.get_by_text("Status: not yet open")).to_be_visible()

    # The settings form shows the new round's own settings, not the round shown before.
    settled(page)
    expect(setting_field(page, "setting_name")).to_have_value(ROUND_NAME)
    expect(setting_field(page, "setting_service_budget")).to_have_value("1200000")
    expect(setting_field(page, "setting_project_budget")).to_have_value("300000")
    setting_field(page, "setting_limit").fill("5")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved (1 changed).")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    expect(setting_field(page, "setting_limit")).to_have_value("5")

    import_file(page, "services", write_demo_csv(tmp_path, "services.csv"), "Services: 9 saved.")
    import_file(page, "projects", write_demo_csv(tmp_path, "projects.csv"), "Projects: 22 saved.")
    page.screenshot(path=screenshots / "officer-setup.png")

    # Round controls: open the round.
    go_to(page, "Round controls")
    expect(page.get_by_text("Status: not yet open")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    page.get_by_role("button", name="Open voting").click()
    expect(page.get_by_text("Status: open for voting")).to_be_visible(timeout=LOAD_TIMEOUT_MS)

    # Voter codes: issue three, read one from the page.
    go_to(page, "Voter codes")
    page.locator(".st-key-codes_count input").fill("3")
    page.get_by_role("button", name="Issue codes").click()
    issued = page.locator(".st-key-issued_codes")
    expect(issued.get_by_text("3 new codes issued for No area.")).to_be_visible(
        timeout=LOAD_TIMEOUT_MS
    )
    page.screenshot(path=screenshots / "officer-codes.png")
    codes = issued.locator("code").inner_text().split()
    assert len(codes) == 3 and len(set(codes)) == 3, codes
    code = codes[0]

    # Paper ballots: one ballot typed with the keyboard only.
    go_to(page, "Paper ballots")
    expect(page.get_by_text("Paper ballots counted")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    services = [row["id"] for row in csv.DictReader(demo_file("services.csv").splitlines())]
    assert list(PAPER_AMOUNTS) == services
    # The page has finished drawing, so no late redraw takes the focus away mid-typing.
    expect(page.locator("[data-testid=stStatusWidget]")).to_have_count(0, timeout=LOAD_TIMEOUT_MS)
    page.locator(f".st-key-paper_amount_{services[0]} input").focus()
    for service in services:
        focus_is_in(page, f"paper_amount_{service}")
        page.keyboard.type(PAPER_AMOUNTS[service])
        page.keyboard.press("Tab")
    focus_is_in(page, "paper_projects")
    page.keyboard.type(PAPER_PROJECTS)
    page.keyboard.press("Tab")
    focus_is_in(page, "paper_code")
    page.keyboard.type(code.lower())
    page.keyboard.press("Tab")
    focus_is_in(page, "paper_area")  # this round has no areas: left as not given
    page.keyboard.press("Tab")
    focus_is_in(page, "paper_age")
    page.keyboard.type("35 to")
    page.keyboard.press("Enter")
    expect(page.get_by_role("combobox", name="Age band")).to_have_value("35 to 49")
    page.keyboard.press("Tab")
    focus_is_in(page, "paper_submit")
    page.keyboard.press("Enter")
    stored = page.get_by_text(re.compile(r"Paper ballot stored\. Its receipt code is \S+\."))
    expect(stored).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    receipt = re.search(r"receipt code is (\S+)\.", stored.inner_text()).group(1)
    assert re.fullmatch(r"[A-Z0-9-]{6,}", receipt), receipt
    # Cleared: the form is drawn anew for the next ballot, its keys marked ``~1``.
    expect(page.locator(".st-key-paper_amount_parks-1 input")).to_have_value("")
    expect(page.locator("[data-testid=stMetricValue]")).to_have_text("1")
    page.screenshot(path=screenshots / "officer-paper-ballot.png")

    # Review: the one ballot under every rule (a group this small is never shown).
    go_to(page, "Review")
    expect(page.locator(".st-key-turnout_chart")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    page.screenshot(path=screenshots / "officer-review.png", full_page=True)

    # Round controls: close, then publish, each confirmed.
    go_to(page, "Round controls")
    expect(page.get_by_text("Status: open for voting")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    confirm(page, "Close voting", "Yes, close voting", "closed")
    confirm(page, "Publish results", "Yes, publish the results", "results published")

    # Exports: the .pb file, and the winners recomputed from it by the command line.
    go_to(page, "Exports")
    with page.expect_download() as officer_download:
        page.get_by_role("button", name="Project vote and winners (pabulib .pb)").click()
    assert officer_download.value.suggested_filename == f"{ROUND_ID}-ballots.pb"
    pb_file = tmp_path / officer_download.value.suggested_filename
    officer_download.value.save_as(pb_file)
    command = [sys.executable, "-m", "budgeting", "select", str(pb_file)]
    finished = subprocess.run(
        [*command, "--rule", "recorded", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    recomputed = json.loads(finished.stdout)
    assert recomputed["matches_recorded"] is True
    assert set(recomputed["selected"]) == EXPECTED_WINNERS

    # The public projector lists the same winners and offers the same .pb file.
    projector = context.new_page()
    projector.goto(f"{app_url}/results?round={ROUND_ID}")
    names = {
        row["id"]: row["name"] for row in csv.DictReader(demo_file("projects.csv").splitlines())
    }
    assert funded_on_projector(projector) == {names[pid] for pid in recomputed["selected"]}
    offered = projector.locator(".st-key-published_data")
    expect(offered.get_by_role("button", name="Download the votes (.pb)")).to_be_visible()
    expect(offered.get_by_text(f"{ROUND_ID}-ballots.pb --rule recorded --json")).to_be_visible()
    with projector.expect_download() as public_download:
        offered.get_by_role("button", name="Download the votes (.pb)").click()
    public_file = tmp_path / "public.pb"
    public_download.value.save_as(public_file)
    assert public_file.read_bytes() == pb_file.read_bytes()
    context.close()
