"""A resident checks their ballot on a phone: vote, then type the receipt (lower case, with
a space) on /receipt and see it counted, with none of the ballot's choices on the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.test_journeys import (
    LOAD_TIMEOUT_MS,
    MIN_TOUCH_PX,
    PHONE,
    SMALL_TOUCH_TARGETS,
    TOUCH_TARGETS,
    next_step,
    no_horizontal_scroll,
    open_ballot,
    send_ballot,
)

pytestmark = pytest.mark.browser

PROJECT = "Riverside Park play area"


def test_receipt_checked_on_a_phone_says_counted(
    browser: Browser, app_url: str, own_round: str, screenshots
):
    context = browser.new_context(**PHONE, device_scale_factor=2)
    page = context.new_page()
    open_ballot(page, app_url, own_round, "DEMO-0014")
    next_step(page, "Projects")
    page.locator(".stCheckbox label", has_text=PROJECT).click()
    expect(page.get_by_role("checkbox", name=re.compile(PROJECT))).to_be_checked()
    receipt = send_ballot(page).replace("-", "")

    page.goto(f"{app_url}/receipt")
    box = page.get_by_role("textbox", name="Receipt code")
    box.wait_for(timeout=LOAD_TIMEOUT_MS)
    box.fill(f"{receipt[:4].lower()} {receipt[4:].lower()}")
    page.get_by_role("button", name="Check", exact=True).click()
    answer = page.locator(".st-key-receipt_answer")
    expect(answer.get_by_text("This ballot is counted.")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    expect(answer.get_by_text(re.compile(r"Sent online; received on"))).to_be_visible()
    expect(page.get_by_text(PROJECT)).to_have_count(0)
    no_horizontal_scroll(page)
    assert not page.evaluate(SMALL_TOUCH_TARGETS, [TOUCH_TARGETS, MIN_TOUCH_PX])
    page.screenshot(path=screenshots / "receipt-phone.png")

    box.fill("ABCD 2345")
    page.get_by_role("button", name="Check", exact=True).click()
    expect(
        answer.get_by_text("No ballot has this receipt code. Please check it and try again.")
    ).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    context.close()
