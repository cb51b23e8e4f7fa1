"""Check my ballot (/receipt) through AppTest: a receipt says counted, replaced or unknown,
typed any way a resident might; nothing of the ballot's contents is shown; Welsh; and
guessing receipts is slowed down as guessing voter codes is."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

from budgeting import store
from budgeting.demo import DEMO_ROUND_ID
from budgeting.i18n import format_money
from budgeting.ui import ballot, ballot_form, state

PAGE = "pages/receipt.py"
COUNTED = "This ballot is counted."
REPLACED = "replaced by a later ballot from the same voter code"
UNKNOWN = "No ballot has this receipt code. Please check it and try again."
WAIT = "Too many receipt codes that we do not recognise. Try again in {}."


def a_valid_ballot(conn, project: str = "P01") -> dict:
    """Floors topped up to the budget by the balance helper, and one project."""
    services = store.list_services(conn, DEMO_ROUND_ID)
    budget = store.get_round(conn, DEMO_ROUND_ID).service_budget
    amounts = ballot.balance({}, ballot_form.limits_of(services), budget)
    allocation = {sid: Fraction(amount) for sid, amount in amounts.items()}
    return {"allocation": allocation, "project_scores": {project: 1}}


def check(app, receipt: str):
    app.text_input(key="receipt_code").input(receipt)
    return app.button(key="check_receipt").click().run()


def shown(app) -> str:
    """Every text on the page, as one string."""
    parts = [
        element.value
        for kind in ("title", "markdown", "caption", "success", "warning", "error", "info")
        for element in getattr(app, kind)
    ]
    return "\n".join(str(part) for part in parts)


def test_a_current_ballot_is_counted_with_its_round_channel_and_time(open_page, conn):
    vote = store.submit_ballot(conn, DEMO_ROUND_ID, code="DEMO-0011", **a_valid_ballot(conn))
    app = check(open_page(PAGE), vote.receipt)
    assert not app.exception
    assert [s.value for s in app.success] == [COUNTED] and not app.error
    name = store.get_round(conn, DEMO_ROUND_ID).name
    assert f"Round: {name}. Sent online; received on" in shown(app)


def test_a_paper_ballot_shows_its_channel_and_the_uk_time(open_page, conn):
    paper = store.submit_ballot(
        conn,
        DEMO_ROUND_ID,
        code="DEMO-0012",
        channel="paper",
        submitted_at=datetime(2027, 6, 1, 11, 30, tzinfo=UTC),
        **a_valid_ballot(conn),
    )
    app = check(open_page(PAGE), paper.receipt)
    assert "Sent on paper; received on 01/06/2027 at 12:30 (UK time)." in shown(app)


def test_a_replaced_ballot_says_so_and_the_later_one_is_counted(open_page, conn):
    first = store.submit_ballot(conn, DEMO_ROUND_ID, code="DEMO-0013", **a_valid_ballot(conn))
    later = store.submit_ballot(
        conn, DEMO_ROUND_ID, code="DEMO-0013", **a_valid_ballot(conn, "P02")
    )
    app = check(open_page(PAGE), first.receipt)
    assert [w.value for w in app.warning] == [
        "This ballot was replaced by a later ballot from the same voter code. "
        "The later ballot is the one that counts."
    ]
    assert not app.success and later.receipt not in shown(app)
    app = check(app, later.receipt)
    assert [s.value for s in app.success] == [COUNTED] and not app.warning


def test_an_unknown_receipt_gets_the_same_words_whatever_was_typed(open_page, conn):
    app = open_page(PAGE)
    for typed in ("zzzz-zzzz", "DEMO-0014", "<b>x</b>", "q"):  # four: the fifth waits
        app = check(app, typed)
        assert [e.value for e in app.error] == [UNKNOWN], typed
        assert typed not in shown(app) and "voter code" not in shown(app)
    assert not app.success and not app.warning


def test_nothing_typed_or_only_dashes_checks_nothing(open_page):
    app = open_page(PAGE)
    assert not app.error and not app.success
    app = check(app, " - ")
    assert not app.error and not app.success


def test_receipts_are_read_in_any_case_with_spaces_and_dashes(open_page, conn):
    vote = store.submit_ballot(conn, DEMO_ROUND_ID, code="DEMO-0015", **a_valid_ballot(conn))
    typed = f"  {vote.receipt[:4].lower()} - {vote.receipt[4:].lower()} "
    app = check(open_page(PAGE), typed)
    assert [s.value for s in app.success] == [COUNTED]


def test_nothing_of_the_ballots_contents_is_shown(open_page, conn):
    choices = a_valid_ballot(conn)
    vote = store.submit_ballot(conn, DEMO_ROUND_ID, code="DEMO-0016", **choices)
    text = shown(check(open_page(PAGE), vote.receipt))
    assert COUNTED in text
    services = store.list_services(conn, DEMO_ROUND_ID)
    projects = store.list_projects(conn, DEMO_ROUND_ID)
    for name in [s.name for s in services] + [p.name for p in projects]:
        assert name not in text
    for amount in choices["allocation"].values():
        assert format_money(amount) not in text
    assert "DEMO-0016" not in text


def test_welsh(open_page, conn):
    vote = store.submit_ballot(conn, DEMO_ROUND_ID, code="DEMO-0017", **a_valid_ballot(conn))
    app = check(open_page(PAGE, lang="cy"), vote.receipt)
    assert app.title[0].value == "Gwirio fy mhleidlais"
    assert [s.value for s in app.success] == ["Mae'r bleidlais hon yn cyfrif."]
    assert "Anfonwyd ar-lein" in shown(app)
    app = check(app, "ABCD-2345")
    assert [e.value for e in app.error] == [
        "Does dim pleidlais gyda'r cod derbynneb hwn. Gwiriwch ef a rhowch gynnig arall arni."
    ]


def test_guessing_receipts_is_slowed_down_and_a_real_one_works_after_the_wait(
    open_page, conn, clock
):
    vote = store.submit_ballot(conn, DEMO_ROUND_ID, code="DEMO-0018", **a_valid_ballot(conn))
    app = open_page(PAGE)
    for number in range(4):
        app = check(app, f"GUESS{number:03d}")
        assert [e.value for e in app.error] == [UNKNOWN]
    app = check(app, "GUESS004")  # the fifth unknown receipt starts a delay
    assert [e.value for e in app.error] == [UNKNOWN, WAIT.format("1 s")]
    app = check(app, vote.receipt)  # during the delay even a real receipt is not looked up
    assert [e.value for e in app.error] == [WAIT.format("1 s")] and not app.success
    clock.advance(1)
    app = check(app, vote.receipt)
    assert [s.value for s in app.success] == [COUNTED] and not app.error
    delays = [e for e in store.audit_log(conn, None) if e.kind == "attempts_delayed"]
    assert [e.details["scope"] for e in delays] == ["receipt_session"]


def test_an_unknown_receipt_shown_again_is_counted_once(open_page, clock):
    app = check(open_page(PAGE), "GUESS001")
    for _ in range(8):
        app = app.button(key="check_receipt").click().run()
        assert [e.value for e in app.error] == [UNKNOWN]


def test_guessing_from_many_sessions_at_one_address_is_slowed_down(open_page, clock, monkeypatch):
    monkeypatch.setattr(state, "client_address", lambda: "203.0.113.7")
    for session in range(5):
        app = open_page(PAGE)
        for number in range(4):
            app = check(app, f"GUESS{session}{number:02d}")
    assert WAIT.format("1 s") in [e.value for e in app.error]  # the twentieth from the address
    newcomer = check(open_page(PAGE), "ABCD2345")
    assert [e.value for e in newcomer.error] == [WAIT.format("1 s")]
