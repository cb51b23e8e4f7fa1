"""The start page links to the ballot, the projector, the receipt check and the round
controls."""

from __future__ import annotations

from budgeting import store
from budgeting.demo import DEMO_ROUND_ID
from tests.app.conftest import draft_round


def test_home_links_to_every_page_for_the_open_round(open_page):
    app = open_page("pages/home.py")
    assert not app.exception
    assert app.title[0].value == "Budget Together"
    links = app.get("page_link")
    assert len(links) == 4
    assert any("receipt" in str(link.proto) for link in links)
    assert any(DEMO_ROUND_ID in str(link.proto) for link in links)


def _page_text(app) -> str:
    parts = [str(link.proto) for link in app.get("page_link")]
    for kind in ("markdown", "info", "success", "warning"):
        parts.extend(str(element.value) for element in getattr(app, kind))
    return "\n".join(parts)


def _vote_links(app) -> list:
    return [link for link in app.get("page_link") if 'page: "vote"' in str(link.proto)]


def test_home_says_what_residents_can_do_as_the_round_moves_on(open_page, conn):
    app = open_page("pages/home.py")
    assert "Voting is open" in _page_text(app)
    assert _vote_links(app)

    store.update_round(conn, DEMO_ROUND_ID, status="closed")
    app = open_page("pages/home.py", round=DEMO_ROUND_ID)
    assert not app.exception
    text = _page_text(app)
    assert "Vote in this round" not in text
    assert not _vote_links(app)
    assert "Voting has closed" in text
    assert "See the results" in text

    store.update_round(conn, DEMO_ROUND_ID, status="published")
    app = open_page("pages/home.py", round=DEMO_ROUND_ID)
    text = _page_text(app)
    assert not _vote_links(app)
    assert "results are published" in text
    assert "See the published results" in text


def test_home_says_a_draft_round_is_not_open_yet(open_page, conn):
    app = open_page("pages/home.py", round=draft_round(conn))
    assert not app.exception
    text = _page_text(app)
    assert "has not opened yet" in text
    assert not _vote_links(app)


def test_home_reads_round_states_in_welsh(open_page, conn):
    store.update_round(conn, DEMO_ROUND_ID, status="closed")
    app = open_page("pages/home.py", round=DEMO_ROUND_ID, lang="cy")
    assert "wedi cau" in _page_text(app)
