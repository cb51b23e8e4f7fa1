"""Accessibility: axe-core's WCAG 2 A and AA rules (2.0, 2.1 and 2.2) find no violation on
the public pages and the officers' pages, in English and in Welsh, and each page says its
language in ``<html lang>``.

axe-core comes from the ``axe-playwright-python`` package (pinned in requirements.txt),
which ships axe-core's ``axe.min.js``: nothing is downloaded when the tests run, and no
node or npm is needed. The script is injected into the page and run there.

Pages are listed in ``PAGES``; a new page is one more entry. The ballot has one entry per
step, whose ``prepare`` enters a demo voter code and goes on to that step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_journeys import LOAD_TIMEOUT_MS, PHONE, PROJECTOR

pytestmark = pytest.mark.browser

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
LANGUAGES = ("en", "cy")
STALE = "[data-stale=true]"
WATCH_RERUNS = """() => new MutationObserver(() => { window.rerunSeen = true; })
    .observe(document.body, {attributes: true, subtree: true, attributeFilter: ['data-stale']})"""
SCANS = 3
"""Scans of a page at most: a scan during which a rerun faded the page is repeated."""
OFFICER = {"viewport": {"width": 1280, "height": 900}}

EXCLUDED: dict[tuple[str, str], str] = {}
"""Violations in Streamlit's own markup that the app cannot change: (rule id, the node's
exact axe target selector) -> why. Nothing else is ever left out."""


@dataclass(frozen=True)
class Checked:
    """A page to check: its address (``{round}`` is the test's round), what shows it has
    finished drawing, the browser it is seen in, and what is done on it first (an officer
    signing in, say) before ``ready`` is waited for."""

    name: str
    address: str
    ready: str
    context: dict[str, Any] = field(default_factory=lambda: dict(PHONE))
    prepare: Callable[[Page], None] | None = None


def sign_in(page: Page) -> None:
    page.locator(".st-key-officer_name input").fill("demo")
    page.locator(".st-key-officer_password input").fill("demo-officer")
    page.locator(".stMain [data-testid=stFormSubmitButton] button").click()
    expect(page.locator(".st-key-sign_out")).to_be_visible(timeout=LOAD_TIMEOUT_MS)


BALLOT_STEPS = (".st-key-service_parks", ".st-key-choice_P01", ".st-key-review_section")
"""An element only each ballot step shows, from the services step on."""


def ballot_step(steps_on: int) -> Callable[[Page], None]:
    """Enter a demo voter code, then press Next ``steps_on`` times (by key, in any
    language), each time waiting for the step before to go."""

    def prepare(page: Page) -> None:
        page.locator(".st-key-voter_code input").fill("DEMO-0003")
        page.locator(".st-key-use_code button").click()
        expect(page.locator(".st-key-service_parks")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        for step in range(steps_on):
            page.locator(".st-key-step_next button").click()
            shown = page.locator(BALLOT_STEPS[step + 1])
            expect(shown).to_be_visible(timeout=LOAD_TIMEOUT_MS)  # the next step is drawn

    return prepare


PAGES = [
    Checked("ballot-code", "/vote?round={round}", ".st-key-voter_code"),
    Checked(
        "ballot-services", "/vote?round={round}", ".st-key-service_parks", prepare=ballot_step(0)
    ),
    Checked("ballot-projects", "/vote?round={round}", ".st-key-choice_P01", prepare=ballot_step(1)),
    Checked(
        "ballot-review", "/vote?round={round}", ".st-key-review_section", prepare=ballot_step(2)
    ),
    Checked("home", "/?round={round}", ".stMain h3"),
    Checked("receipt", "/receipt", ".st-key-check_receipt"),
    Checked("projector", "/results?round={round}", ".st-key-live_standings", dict(PROJECTOR)),
    Checked(
        "officer-sign-in", "/officer?round={round}", ".stMain [data-testid=stForm]", dict(OFFICER)
    ),
    Checked(
        "officer-controls",
        "/officer?round={round}",
        ".st-key-open_round",
        dict(OFFICER),
        prepare=sign_in,
    ),
]


def with_language(address: str, language: str) -> str:
    if language == "en":
        return address
    return address + ("&" if "?" in address else "?") + f"lang={language}"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now, less the excluded nodes."""
    page.evaluate(AXE_SCRIPT)
    results = page.evaluate("(options) => axe.run(document, options)", AXE_OPTIONS)
    violations = []
    for violation in results["violations"]:
        nodes = [
            node
            for node in violation["nodes"]
            if (violation["id"], " ".join(map(str, node["target"]))) not in EXCLUDED
        ]
        if nodes:
            violations.append({**violation, "nodes": nodes})
    return violations


def report(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"  {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            lines.append(f"    {node['failureSummary']}".replace("\n", " "))
    return "\n".join(lines)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("checked", PAGES, ids=[checked.name for checked in PAGES])
def test_accessibility_axe_finds_no_violation(
    browser: Browser, app_url: str, own_round: str, checked: Checked, language: str
):
    context = browser.new_context(**checked.context)
    page = context.new_page()
    address = checked.address.format(round=own_round)
    page.goto(f"{app_url}{with_language(address, language)}")
    if checked.prepare is not None:
        checked.prepare(page)
    expect(page.locator(checked.ready).first).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    page.wait_for_function(
        "(language) => document.documentElement.lang === language",
        arg=language,
        timeout=LOAD_TIMEOUT_MS,
    )
    expect(page.locator("[data-testid=stStatusWidget]")).to_have_count(0, timeout=LOAD_TIMEOUT_MS)
    assert page.evaluate("document.documentElement.lang") == language
    page.evaluate(WATCH_RERUNS)
    for _ in range(SCANS):
        page.evaluate(
            "(stale) => { window.rerunSeen = document.querySelector(stale) !== null }", STALE
        )
        violations = axe_violations(page)
        if not violations or not page.evaluate("window.rerunSeen"):
            break
        # A rerun (the projector's, every 3 s) marked elements stale during the scan, and
        # Streamlit fades stale elements: scan the page again once it has settled.
        expect(page.locator(STALE)).to_have_count(0, timeout=LOAD_TIMEOUT_MS)
    assert not violations, f"{checked.name} ({language}):\n{report(violations)}"
    context.close()


def test_axe_reports_a_violation_it_is_shown(browser: Browser, app_url: str):
    """The check is not empty: an image without a text alternative put on a page is found."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{app_url}/receipt")
    expect(page.locator(".st-key-check_receipt")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    page.evaluate(
        """() => {
        const image = document.createElement('img');
        image.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
        document.querySelector('.stMain').append(image);
        }"""
    )
    assert [violation["id"] for violation in axe_violations(page)] == ["image-alt"]
    context.close()
