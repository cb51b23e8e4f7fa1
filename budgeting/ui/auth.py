"""Officer passwords: salted scrypt hashes kept in Streamlit secrets, never plain text; and
who may sign in, read from the secrets with demo mode only when it is asked for.

A stored hash reads ``scrypt$<n>$<r>$<p>$<salt, base64>$<key, base64>``. Officers are listed
in ``.streamlit/secrets.toml`` as ``[officers]`` name = hash; make a hash with
``python -m budgeting hash-password`` (``budgeting.passwords``).

Demo mode (the demo officer below may sign in, and every officer page says so) is on only
when asked for: ``BUDGET_DEMO=1`` in the environment, or ``demo = true`` in the secrets.
Anything wrong with the officers' configuration (no secrets file, a file that cannot be
read, an unknown or misspelt table, no officers, a value that is not a hash) is never a
reason to fall back to demo mode: nobody can sign in, and the server log and the officer
page say what is wrong. Streamlit raises a subclass of ``FileNotFoundError`` both for a
missing secrets file and for a broken one, so the two are told apart here.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit import config

from budgeting import i18n, store
from budgeting.passwords import hash_password, is_password_hash, verify_password

DEMO_OFFICER = "demo"
DEMO_PASSWORD = "demo-officer"
DEMO_ENV = "BUDGET_DEMO"
SECRETS_FILE = ".streamlit/secrets.toml"
HASH_COMMAND = ".venv/bin/python -m budgeting hash-password"
KNOWN_SECRETS = ("officers", "demo", "public_url")
"""Every top-level name the secrets may hold; anything else is reported (a misspelling)."""
_ON = frozenset({"1", "true", "yes", "on"})
_OFF = frozenset({"", "0", "false", "no", "off"})

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConfigProblem:
    """Something wrong with the officers' configuration, worded by the message catalogue."""

    key: str
    params: Mapping[str, str] = field(default_factory=dict)
    log_detail: str = field(default="", compare=False)
    """More for the server log than the page shows (a file's full path, say)."""

    def message(self, language: str = i18n.DEFAULT_LANGUAGE) -> str:
        return i18n.text(self.key, language, **self.params)


@dataclass(frozen=True)
class OfficerSettings:
    """Who may sign in (name -> hash; nobody while there are problems), whether this is demo
    mode, and what is wrong with the configuration."""

    officers: Mapping[str, str]
    demo: bool
    problems: tuple[ConfigProblem, ...] = ()


@cache
def demo_officers() -> dict[str, str]:
    """The demo mode's single officer, hashed like a real one so sign-in takes one path."""
    return {DEMO_OFFICER: hash_password(DEMO_PASSWORD)}


def _problem(key: str, log_detail: str = "", **params: str) -> ConfigProblem:
    return ConfigProblem(key, {"file": SECRETS_FILE, "command": HASH_COMMAND, **params}, log_detail)


def _secrets_files() -> list[str]:
    files: list[str] = config.get_option("secrets.files")
    return files


def read_secrets(source: Mapping[str, Any]) -> tuple[dict[str, Any] | None, ConfigProblem | None]:
    """The secrets as plain values; ``None`` when there is no secrets file at all; or the
    problem when a file is there but cannot be read (a TOML syntax error, say)."""
    try:
        return {str(name): source[name] for name in source}, None
    except OSError as error:  # Streamlit's "no secrets" error is a FileNotFoundError
        cause = error.__cause__
        if cause is None and not any(Path(path).exists() for path in _secrets_files()):
            return None, None
        if isinstance(cause, tomllib.TOMLDecodeError | TypeError):
            detail = str(cause)
        else:
            detail = getattr(error, "strerror", None) or type(error).__name__
        full = " ".join(str(error).split())
        return None, _problem("officer.config.unreadable", log_detail=full, detail=detail)


def _demo_setting(
    values: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[bool, list[ConfigProblem]]:
    problems = []
    chosen = environ.get(DEMO_ENV, "").strip().lower()
    demo = chosen in _ON
    if chosen not in _ON | _OFF:
        problems.append(_problem("officer.config.bad_demo_env", env=DEMO_ENV))
    if "demo" in values:
        if isinstance(values["demo"], bool):
            demo = demo or values["demo"]
        else:
            problems.append(_problem("officer.config.bad_demo"))
    return demo, problems


def officer_settings(
    secrets_source: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> OfficerSettings:
    """Who may sign in, from the secrets (``st.secrets`` unless given) and the environment.

    Never falls back to demo mode: with any problem nobody may sign in."""
    source: Mapping[str, Any] = st.secrets if secrets_source is None else secrets_source
    values, unreadable = read_secrets(source)
    demo, problems = _demo_setting(values or {}, os.environ if environ is None else environ)
    if unreadable is not None:
        problems.append(unreadable)
    elif values is None:
        if not demo:
            problems.append(_problem("officer.config.no_file", env=DEMO_ENV))
    else:
        unknown = sorted(set(values) - set(KNOWN_SECRETS))
        if unknown:
            names = ", ".join(f"[{name}]" for name in unknown)
            problems.append(_problem("officer.config.unknown", names=names))
        problems.extend(_officer_problems(values.get("officers"), demo))
    if problems:
        return OfficerSettings({}, demo, tuple(problems))
    configured = values.get("officers") if values else None
    officers = {str(name): str(value) for name, value in (configured or {}).items()}
    if demo:
        officers = {**demo_officers(), **officers}
    return OfficerSettings(officers, demo)


def _officer_problems(configured: object, demo: bool) -> list[ConfigProblem]:
    if configured is None:
        return [] if demo else [_problem("officer.config.no_table", env=DEMO_ENV)]
    if not isinstance(configured, Mapping):
        return [_problem("officer.config.not_a_table")]
    if not configured:
        return [] if demo else [_problem("officer.config.empty", env=DEMO_ENV)]
    return [
        _problem("officer.config.bad_hash", name=str(name))
        for name, value in configured.items()
        if not is_password_hash(value)
    ]


_logged: tuple[bool, tuple[ConfigProblem, ...]] | None = None


def log_settings(settings: OfficerSettings) -> None:
    """Tell the server log what is wrong (or that this is demo mode), once per change."""
    global _logged
    state = (settings.demo, settings.problems)
    if state == _logged:
        return
    _logged = state
    if settings.problems:
        logger.error(
            "Officer sign-in is off, nobody can sign in: %s",
            " ".join(
                f"{problem.message()} {problem.log_detail}".strip() for problem in settings.problems
            ),
        )
    elif settings.demo:
        logger.warning(
            "Demo mode: anyone may sign in as officer %r with the published password. "
            "Unset %s and demo in %s before a real round.",
            DEMO_OFFICER,
            DEMO_ENV,
            SECRETS_FILE,
        )


def check_sign_in(name: str, password: str, officers: Mapping[str, str]) -> bool:
    """Whether ``name`` is an officer and ``password`` is theirs.

    An unknown name is checked against a dummy hash, so a wrong name takes as long as a
    wrong password and the timing does not reveal which officer names exist.
    """
    stored = officers.get(name.strip())
    if stored is None:
        verify_password(password, demo_officers()[DEMO_OFFICER])
        return False
    return verify_password(password, stored)


@dataclass(frozen=True)
class SignInResult:
    """What came of a sign-in: signed in; refused unchecked because of a delay (``wait``
    and not ``checked``); or a wrong name or password, which may itself start a delay."""

    signed_in: bool
    checked: bool
    wait: timedelta = timedelta(0)


def sign_in(
    conn: store.Connection,
    name: str,
    password: str,
    officers: Mapping[str, str],
    *,
    client: str,
    now: datetime,
) -> SignInResult:
    """Check a sign-in, slowed down per name and per client: while either is waiting the
    password is not checked at all. A success forgets both's failures."""
    keys = [("officer", name.strip().casefold()), ("officer_client", client)]
    wait = store.attempt_wait(conn, keys, now=now)
    if wait:
        return SignInResult(signed_in=False, checked=False, wait=wait)
    if check_sign_in(name, password, officers):
        store.record_success(conn, keys)
        return SignInResult(signed_in=True, checked=True)
    wait = store.record_failure(conn, keys, now=now)
    return SignInResult(signed_in=False, checked=True, wait=wait)
