"""Voter codes on /vote: guessing is slowed down per session and per client address, a
mistyped code shown again is not counted again, and the right code after the wait works."""

from __future__ import annotations

from budgeting import store
from budgeting.demo import DEMO_ROUND_ID
from budgeting.ui import state

ROUND = {"round": DEMO_ROUND_ID}
CODE = "DEMO-0007"
WAIT = "Too many voter codes that we do not recognise. Try again in {}."


def enter(app, code: str):
    app.text_input(key="voter_code").input(code)
    return app.button(key="use_code").click().run()


def unknown(app) -> bool:
    return any("do not recognise this voter code" in e.value for e in app.error)


def waits(app) -> list[str]:
    return [e.value for e in app.error if "Try again in" in e.value]


def test_guessing_codes_is_slowed_down_and_the_right_code_works_after_the_wait(
    open_page, conn, clock
):
    app = open_page("pages/vote.py", **ROUND)
    for number in range(4):
        enter(app, f"GUESS-{number:04d}")
        assert unknown(app) and not waits(app)
    enter(app, "GUESS-0004")  # the fifth wrong code starts a delay
    assert unknown(app) and waits(app) == [WAIT.format("1 s")]
    enter(app, CODE)  # during the delay even the right code is not checked
    assert not app.exception
    assert waits(app) == [WAIT.format("1 s")] and not app.slider
    clock.advance(1)
    enter(app, "GUESS-0005")
    assert waits(app) == [WAIT.format("2 s")]
    clock.advance(2)
    enter(app, CODE)
    assert not waits(app) and app.slider
    delays = [e for e in store.audit_log(conn, DEMO_ROUND_ID) if e.kind == "attempts_delayed"]
    assert [e.details["scope"] for e in delays] == ["code_session", "code_session"]


def test_a_wrong_code_shown_again_is_counted_once(open_page, clock):
    app = enter(open_page("pages/vote.py", **ROUND), "GUESS-0001")
    for _ in range(8):
        app.button(key="use_code").click().run()
        assert unknown(app) and not waits(app)
    assert app.slider == [] and not enter(app, CODE).exception
    assert not waits(app) and app.slider


def test_guessing_from_many_sessions_at_one_address_is_slowed_down(open_page, clock, monkeypatch):
    monkeypatch.setattr(state, "client_address", lambda: "203.0.113.7")
    for session in range(5):
        app = open_page("pages/vote.py", **ROUND)
        for number in range(4):  # each session stays under its own limit
            enter(app, f"GUESS-{session}{number:03d}")
            assert unknown(app)
    assert waits(app) == [WAIT.format("1 s")]  # the twentieth from the address
    newcomer = enter(open_page("pages/vote.py", **ROUND), CODE)
    assert waits(newcomer) == [WAIT.format("1 s")] and not newcomer.slider
    monkeypatch.setattr(state, "client_address", lambda: "198.51.100.1")
    elsewhere = enter(open_page("pages/vote.py", **ROUND), CODE)
    assert not waits(elsewhere) and elsewhere.slider
