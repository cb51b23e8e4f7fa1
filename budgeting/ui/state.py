"""Per-server and per-visitor state shared by the pages: the database connection, the
visitor's language and the round the page is about."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import duckdb
import streamlit as st

from budgeting import i18n, store
from budgeting.demo import ensure_demo_round

LANGUAGE_KEY = "lang"


@st.cache_resource(show_spinner=False)
def _connection_for(path: str | None) -> duckdb.DuckDBPyConnection:
    conn = store.connect(path)
    ensure_demo_round(conn)
    return conn


def connection() -> duckdb.DuckDBPyConnection:
    """The server's one DuckDB connection (``BUDGET_DB`` or the default file), with the demo
    round created on first start. Each store call opens its own cursor on it."""
    return _connection_for(os.environ.get("BUDGET_DB"))


def language() -> str:
    """The visitor's language: their choice on the page (kept in ``?lang=``), else English."""
    chosen = st.session_state.get(LANGUAGE_KEY) or st.query_params.get(LANGUAGE_KEY)
    return chosen if chosen in i18n.languages() else i18n.DEFAULT_LANGUAGE


def language_switch() -> str:
    """The language control every resident page shows, and the language it selects.

    The choice is kept in ``?lang=`` (a language code; none for English), so a shared or
    bookmarked link opens in the same language.
    """
    names = i18n.languages()
    # Set on every run: a value left by the control on another page is not carried over.
    current = st.session_state[LANGUAGE_KEY] = language()
    chosen = st.segmented_control(
        i18n.text("common.language", current),
        options=list(names),
        format_func=names.__getitem__,
        required=True,
        key=LANGUAGE_KEY,
    )
    chosen = chosen if chosen in names else current
    if chosen == i18n.DEFAULT_LANGUAGE:
        st.query_params.pop(LANGUAGE_KEY, None)
    else:
        st.query_params[LANGUAGE_KEY] = chosen
    return chosen


def translator(language_code: str) -> Callable[..., str]:
    """``t(key, **params)`` for one language."""

    def translate(key: str, **params: Any) -> str:
        return i18n.text(key, language_code, **params)

    return translate


def requested_round(conn: duckdb.DuckDBPyConnection) -> store.Round | None:
    """The round named by ``?round=``; without it, the first open round (else the first)."""
    round_id = st.query_params.get("round")
    if round_id:
        return store.get_round(conn, round_id)
    rounds = store.list_rounds(conn)
    open_rounds = [r for r in rounds if r.status == "open"]
    return next(iter(open_rounds or rounds), None)


def secret(name: str, default: Any = None) -> Any:
    """A value from ``.streamlit/secrets.toml``; ``default`` when absent or there is no file."""
    try:
        return st.secrets.get(name, default)
    except FileNotFoundError:
        return default


def public_url() -> str:
    """The address residents reach this server at: ``public_url`` from the secrets, else the
    address this page was opened at."""
    return secret("public_url") or st.context.url or "http://localhost:8501"
