"""The start page links to the ballot, the projector, the receipt check and the round
controls."""

from __future__ import annotations

from budgeting.demo import DEMO_ROUND_ID


def test_home_links_to_every_page_for_the_open_round(open_page):
    app = open_page("pages/home.py")
    assert not app.exception
    assert app.title[0].value == "Budget Together"
    links = app.get("page_link")
    assert len(links) == 4
    assert any("receipt" in str(link.proto) for link in links)
    assert any(DEMO_ROUND_ID in str(link.proto) for link in links)
