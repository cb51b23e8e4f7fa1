"""Round controls (/officer): sign-in against scrypt hashes in the secrets (demo mode only
when asked for, never on a broken secrets file), guessing slowed down, and the controls the
projector depends on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit
from streamlit.runtime.secrets import Secrets
from streamlit.testing.v1.util import patch_config_options

from budgeting import store
from budgeting.demo import DEMO_ROUND_ID
from budgeting.ui import auth
from budgeting.ui import officer as officer_ui

ALICE_HASH = auth.hash_password("river-2027")
OFFICERS = {"officers": {"alice": ALICE_HASH}}
DEMO_MODE = {"demo": True}
TEXT_ELEMENTS = ("title", "header", "markdown", "caption", "error", "warning", "info", "success")


@pytest.fixture
def secrets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The secrets file the app under test reads (absent until the test writes it), read
    by a fresh ``st.secrets`` as ``streamlit run`` would."""
    path = tmp_path / ".streamlit" / "secrets.toml"
    path.parent.mkdir()
    monkeypatch.setattr(streamlit, "secrets", Secrets())
    monkeypatch.delenv("BUDGET_DEMO", raising=False)
    with patch_config_options({"secrets.files": [str(path)]}):
        yield path


def shown(app) -> str:
    """Every text on the page."""
    return "\n".join(str(e.value) for kind in TEXT_ELEMENTS for e in getattr(app, kind))


def sign_in_form_shown(app) -> bool:
    return any(t.key == "officer_name" for t in app.text_input)


def sign_in(app, name: str, password: str):
    app.text_input(key="officer_name").input(name)
    app.text_input(key="officer_password").input(password)
    return app.button[-1].click().run()  # the form's sign-in button


def signed_in(app) -> bool:
    return any(b.key == "close_round" for b in app.button)


def test_configured_officer_signs_in_only_with_the_right_password(open_page, conn):
    app = open_page("pages/officer.py", secrets=OFFICERS)
    assert not app.exception
    assert not any("Demo mode" in w.value for w in app.warning)

    sign_in(app, "alice", "wrong")
    assert not signed_in(app)
    assert any("do not match" in e.value for e in app.error)

    sign_in(app, "demo", auth.DEMO_PASSWORD)
    assert not signed_in(app)

    sign_in(app, "alice", "river-2027")
    assert signed_in(app)
    assert not app.exception


def test_demo_mode_says_so_and_takes_the_documented_password(open_page):
    app = open_page("pages/officer.py", secrets=DEMO_MODE)
    assert any("Demo mode" in w.value for w in app.warning)
    sign_in(app, auth.DEMO_OFFICER, "not-it")
    assert not signed_in(app)
    sign_in(app, auth.DEMO_OFFICER, auth.DEMO_PASSWORD)
    assert signed_in(app)
    assert any("Demo mode" in w.value for w in app.warning)  # on every officer page


BROKEN_SECRETS = {
    "missing file": (None, [".streamlit/secrets.toml", "python -m budgeting hash-password"]),
    "syntax error": (f'[officers]\nalice = "{ALICE_HASH}\n', ["cannot be read", "line 2"]),
    "misspelt table": (f'[officer]\nalice = "{ALICE_HASH}"\n', ["[officer]", "[officers]"]),
    "empty table": ("[officers]\n", ["lists no officers"]),
}


@pytest.mark.parametrize("case", list(BROKEN_SECRETS))
def test_a_broken_secrets_file_lets_nobody_sign_in_and_says_why(open_page, secrets_file, case):
    text, reasons = BROKEN_SECRETS[case]
    if text is not None:
        secrets_file.write_text(text, encoding="utf-8")
    app = open_page("pages/officer.py")
    assert not app.exception
    errors = "\n".join(e.value for e in app.error)
    for reason in reasons:
        assert reason in errors
    assert "nobody can sign in" in errors.lower()
    assert auth.DEMO_PASSWORD not in shown(app)
    assert not any("Demo mode" in w.value for w in app.warning)
    assert not sign_in_form_shown(app)
    assert str(secrets_file.parent) not in shown(app)


def test_a_good_secrets_file_signs_in_its_officers_only(open_page, secrets_file):
    secrets_file.write_text(f'[officers]\nalice = "{ALICE_HASH}"\n', encoding="utf-8")
    app = open_page("pages/officer.py")
    assert not app.error and auth.DEMO_PASSWORD not in shown(app)
    assert not signed_in(sign_in(app, auth.DEMO_OFFICER, auth.DEMO_PASSWORD))
    assert signed_in(sign_in(app, "alice", "river-2027"))


@pytest.mark.parametrize("how", ["environment", "secrets file"])
def test_demo_mode_when_asked_for(open_page, secrets_file, monkeypatch, how):
    if how == "environment":
        monkeypatch.setenv("BUDGET_DEMO", "1")
    else:
        secrets_file.write_text("demo = true\n", encoding="utf-8")
    app = open_page("pages/officer.py")
    assert not app.error
    assert any(auth.DEMO_PASSWORD in w.value for w in app.warning)
    assert signed_in(sign_in(app, auth.DEMO_OFFICER, auth.DEMO_PASSWORD))
    assert any("Demo mode" in w.value for w in app.warning)


def waits(app) -> list[str]:
    return [e.value for e in app.error if "Try again in" in e.value]


def test_guessing_a_password_is_slowed_down_and_the_right_one_still_works(open_page, conn, clock):
    app = open_page("pages/officer.py", secrets=OFFICERS)
    for _ in range(5):
        sign_in(app, "alice", "wrong")
        assert any("do not match" in e.value for e in app.error)
    # The fifth failure starts a delay: even the right password is refused until it ends.
    sign_in(app, "alice", "river-2027")
    assert not signed_in(app)
    assert waits(app) == ["Too many wrong attempts. Try again in 1 s."]
    # Another browser does not get round it: the delay is on the name.
    elsewhere = sign_in(open_page("pages/officer.py", secrets=OFFICERS), "alice", "river-2027")
    assert not signed_in(elsewhere) and waits(elsewhere)

    clock.advance(1)
    sign_in(app, "alice", "still wrong")
    assert waits(app) == ["Too many wrong attempts. Try again in 2 s."]
    clock.advance(1)
    sign_in(app, "alice", "river-2027")
    assert not signed_in(app) and waits(app) == ["Too many wrong attempts. Try again in 1 s."]
    clock.advance(1)
    sign_in(app, "alice", "river-2027")
    assert signed_in(app)
    delays = [e for e in store.audit_log(conn) if e.kind == "attempts_delayed"]
    assert [(e.details["subject"], e.details["delay_seconds"]) for e in delays] == [
        ("alice", 1),
        ("alice", 2),
    ]


def test_officers_see_who_is_held_up(open_page, clock):
    guesser = open_page("pages/officer.py", secrets=OFFICERS)
    for _ in range(7):  # the last two come during the delay: refused, and not counted
        sign_in(guesser, "Bob", "guess")
    officer = sign_in(open_page("pages/officer.py", secrets=OFFICERS), "alice", "river-2027")
    assert signed_in(officer)
    rows = officer.dataframe[0].value.to_dict("records")
    assert [list(row.values()) for row in rows] == [["Sign-ins as “bob”", 5, "2027-05-01 12:00:01"]]
    clock.advance(3600)  # shown for an hour, though bob's wait was over in a second
    officer.run()
    assert len(officer.dataframe) == 1
    clock.advance(1)
    officer.run()
    assert not officer.dataframe
    assert any("No holds" in m.value for m in officer.markdown)


def test_officer_hides_results_and_closes_the_round(open_page, conn):
    app = sign_in(open_page("pages/officer.py", secrets=DEMO_MODE), "demo", auth.DEMO_PASSWORD)
    app.toggle(key=f"hide_results_{DEMO_ROUND_ID}").set_value(True).run()
    assert store.get_round(conn, DEMO_ROUND_ID).hide_results_until_close

    app.button(key="close_round").click().run()
    assert store.get_round(conn, DEMO_ROUND_ID).status == "open"  # not before confirming
    assert any("cannot be undone" in w.value for w in app.warning)
    app.button(key="cancel_closed").click().run()
    assert store.get_round(conn, DEMO_ROUND_ID).status == "open"
    assert not any(b.key == "confirm_closed" for b in app.button)

    app.button(key="close_round").click().run()
    app.button(key="confirm_closed").click().run()
    assert store.get_round(conn, DEMO_ROUND_ID).status == "closed"
    assert app.button(key="open_round").disabled  # rounds move one way: no reopening
    changes = [e for e in store.audit_log(conn, DEMO_ROUND_ID) if e.kind == "round_changed"]
    assert len(changes) >= 2
    assert {entry.details["actor"] for entry in changes[-2:]} == {"demo"}

    app.button(key="publish_round").click().run()
    assert store.get_round(conn, DEMO_ROUND_ID).status == "closed"
    app.button(key="confirm_published").click().run()
    assert store.get_round(conn, DEMO_ROUND_ID).status == "published"
    assert app.button(key="publish_round").disabled


def test_a_round_that_cannot_open_says_why(open_page, conn):
    bare = store.create_round(conn, name="Northbank 2027")
    app = sign_in(
        open_page("pages/officer.py", secrets=DEMO_MODE, round=bare), "demo", "demo-officer"
    )
    app.button(key="open_round").click().run()
    assert not app.exception
    assert store.get_round(conn, bare).status == "draft"
    assert any("cannot open" in e.value for e in app.error)


def test_sign_out(open_page):
    app = sign_in(open_page("pages/officer.py", secrets=DEMO_MODE), "demo", auth.DEMO_PASSWORD)
    app.button(key="sign_out").click().run()
    assert not signed_in(app)


def test_round_in_the_address_is_the_one_controlled(open_page, conn):
    other = store.create_round(conn, name="Northbank 2027")
    app = open_page("pages/officer.py", secrets=DEMO_MODE, round=other)
    app = sign_in(app, "demo", auth.DEMO_PASSWORD)
    assert app.selectbox(key="round_id").value == other
    app.toggle(key=f"hide_results_{other}").set_value(True).run()
    assert store.get_round(conn, other).hide_results_until_close
    assert not store.get_round(conn, DEMO_ROUND_ID).hide_results_until_close
    app.selectbox(key="round_id").select(DEMO_ROUND_ID).run()
    assert app.query_params["round"] == DEMO_ROUND_ID


def test_rounds_sharing_a_name_are_told_apart(open_page, conn):
    twin = store.create_round(conn, name=store.get_round(conn, DEMO_ROUND_ID).name, id="twin")
    app = open_page("pages/officer.py", secrets=DEMO_MODE, round=twin)
    app = sign_in(app, "demo", auth.DEMO_PASSWORD)
    options = app.selectbox(key="round_id").options
    assert len(set(options)) == len(options) == 2
    assert any(twin in option for option in options)
    app.toggle(key=f"hide_results_{twin}").set_value(True).run()
    assert store.get_round(conn, twin).hide_results_until_close
    assert not store.get_round(conn, DEMO_ROUND_ID).hide_results_until_close


@pytest.mark.parametrize("script", [page[0] for page in officer_ui.OFFICER_PAGES])
def test_every_officer_page_shows_a_visitor_only_the_sign_in_form(open_page, script):
    """Opened by address without signing in: the sign-in form, and no officer content,
    widget or download."""
    app = open_page(script, secrets=OFFICERS)
    assert not app.exception
    assert sign_in_form_shown(app)
    widgets = [*app.button, *app.selectbox, *app.checkbox, *app.toggle, *app.number_input]
    assert [w.key for w in widgets if w.key and not w.key.startswith("FormSubmitter:sign_in")] == []
    assert [e for e in app.get("download_button")] == []
    assert [e for e in app.get("file_uploader")] == []
    assert not app.dataframe
    assert not app.sidebar.get("page_link")


@pytest.mark.parametrize("script", [page[0] for page in officer_ui.OFFICER_PAGES])
def test_every_officer_page_lists_the_officers_menu_and_says_demo_mode(open_page, script):
    app = sign_in(open_page(script, secrets=DEMO_MODE), auth.DEMO_OFFICER, auth.DEMO_PASSWORD)
    assert not app.exception
    assert any("Demo mode" in w.value for w in app.warning)
    menu = app.sidebar.get("page_link")
    assert len(menu) == len(officer_ui.OFFICER_PAGES)
