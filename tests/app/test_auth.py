"""Officer passwords: salted scrypt hashes compared in constant time; who may sign in, read
from the secrets file, with demo mode only when it is asked for."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from streamlit.runtime.secrets import Secrets
from streamlit.testing.v1.util import patch_config_options

from budgeting.ui import auth

ALICE_HASH = auth.hash_password("s3cret")
GOOD = f'[officers]\nalice = "{ALICE_HASH}"\n'


def test_hash_verifies_only_the_right_password_and_is_salted():
    stored = auth.hash_password("correct horse")
    assert stored.startswith("scrypt$")
    assert auth.verify_password("correct horse", stored)
    assert not auth.verify_password("correct horse!", stored)
    assert auth.hash_password("correct horse") != stored  # a fresh salt every time


def test_malformed_hashes_never_match():
    for stored in ("", "plain-text", "scrypt$1$2$3$bad$bad", "bcrypt$x$y$z$a$b"):
        assert not auth.verify_password("anything", stored)


def read(
    tmp_path: Path, text: str | None, environ: dict[str, str] | None = None
) -> auth.OfficerSettings:
    """The officer settings from a secrets file holding ``text`` (no file for None), read the
    way the app reads it (Streamlit's ``st.secrets``)."""
    path = tmp_path / ".streamlit" / "secrets.toml"
    if text is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    with patch_config_options({"secrets.files": [str(path)]}):
        return auth.officer_settings(Secrets(), environ or {})


def messages(settings: auth.OfficerSettings) -> str:
    return "\n".join(problem.message("en") for problem in settings.problems)


def nobody_signs_in(settings: auth.OfficerSettings) -> bool:
    return not settings.officers and not auth.check_sign_in(
        auth.DEMO_OFFICER, auth.DEMO_PASSWORD, settings.officers
    )


def test_configured_officers_sign_in_and_the_demo_officer_does_not(tmp_path):
    settings = read(tmp_path, GOOD)
    assert not settings.problems and not settings.demo
    assert auth.check_sign_in("alice", "s3cret", settings.officers)
    assert not auth.check_sign_in("alice", auth.DEMO_PASSWORD, settings.officers)
    assert not auth.check_sign_in(auth.DEMO_OFFICER, auth.DEMO_PASSWORD, settings.officers)


def test_a_missing_secrets_file_lets_nobody_sign_in_and_says_how_to_fix_it(tmp_path):
    settings = read(tmp_path, None)
    assert not settings.demo
    assert nobody_signs_in(settings)
    assert ".streamlit/secrets.toml" in messages(settings)
    assert "python -m budgeting hash-password" in messages(settings)
    assert "BUDGET_DEMO=1" in messages(settings)


def test_a_syntax_error_is_not_a_missing_file(tmp_path):
    settings = read(tmp_path, f'[officers]\nalice = "{ALICE_HASH}\n')
    assert not settings.demo
    assert nobody_signs_in(settings)
    assert "cannot be read" in messages(settings)
    assert "line 2" in messages(settings)
    assert str(tmp_path) not in messages(settings)  # the page never shows server paths
    # Not even an explicit demo opens a broken configuration.
    assert nobody_signs_in(read(tmp_path, "[officers\n", {"BUDGET_DEMO": "1"}))


def test_a_misspelt_table_is_named(tmp_path):
    settings = read(tmp_path, f'[officer]\nalice = "{ALICE_HASH}"\n')
    assert nobody_signs_in(settings)
    assert "[officer]" in messages(settings)
    assert "[officers]" in messages(settings)


def test_an_empty_officers_table_lets_nobody_sign_in(tmp_path):
    settings = read(tmp_path, "[officers]\n")
    assert not settings.demo
    assert nobody_signs_in(settings)
    assert "lists no officers" in messages(settings)


def test_a_password_in_place_of_a_hash_is_refused_by_name(tmp_path):
    settings = read(tmp_path, GOOD + 'bob = "hunter2"\n')
    assert nobody_signs_in(settings)
    assert "bob" in messages(settings) and "hunter2" not in messages(settings)


def test_demo_mode_only_when_asked_for(tmp_path):
    for settings in (
        read(tmp_path / "env", None, {"BUDGET_DEMO": "1"}),
        read(tmp_path / "secrets", "demo = true\n"),
    ):
        assert settings.demo and not settings.problems
        assert auth.check_sign_in(auth.DEMO_OFFICER, auth.DEMO_PASSWORD, settings.officers)
        assert not auth.check_sign_in(auth.DEMO_OFFICER, "guess", settings.officers)
        assert not auth.check_sign_in("nobody", auth.DEMO_PASSWORD, settings.officers)
    assert not read(tmp_path / "off", GOOD, {"BUDGET_DEMO": "0"}).demo
    both = read(tmp_path / "both", GOOD, {"BUDGET_DEMO": "1"})
    assert auth.check_sign_in("alice", "s3cret", both.officers)
    assert auth.check_sign_in(auth.DEMO_OFFICER, auth.DEMO_PASSWORD, both.officers)


def test_an_unclear_demo_setting_is_a_problem(tmp_path):
    assert "BUDGET_DEMO" in messages(read(tmp_path / "env", GOOD, {"BUDGET_DEMO": "maybe"}))
    assert "demo" in messages(read(tmp_path / "secrets", GOOD + 'demo = "yes"\n'))


@pytest.mark.parametrize(
    "secrets",
    [{}, {"officer": {"alice": ALICE_HASH}}, {"officers": {}}, {"officers": "alice"}],
)
def test_settings_given_as_a_mapping_never_fall_back_to_demo(secrets):
    settings = auth.officer_settings(secrets, {})
    assert settings.problems
    assert nobody_signs_in(settings)


def test_problems_reach_the_server_log_once(tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(auth, "_logged", None)
    caplog.set_level(logging.INFO, logger=auth.__name__)
    settings = read(tmp_path, f'[officer]\nalice = "{ALICE_HASH}"\n')
    auth.log_settings(settings)
    auth.log_settings(settings)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "[officer]" in errors[0] and "nobody can sign in" in errors[0].lower()
    auth.log_settings(read(tmp_path / "demo", None, {"BUDGET_DEMO": "1"}))
    assert any("demo" in r.getMessage().lower() for r in caplog.records if r.levelno == 30)
