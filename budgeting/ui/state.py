"""Per-server and per-visitor state shared by the pages: the database connection, the
visitor's language, the round the page is about, and who is asking (the session and the
client address that failed attempts are counted under) and when."""

from __future__ import annotations

import json
import logging
import math
import os
import secrets
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import duckdb
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from budgeting import i18n, store
from budgeting.demo import ensure_demo_round
from budgeting.store.connection import database_path
from budgeting.ui import auth

LANGUAGE_KEY = "lang"
SESSION_KEY = "attempt_session"

logger = logging.getLogger(__name__)
_reported: dict[str, str] = {}
"""The last problem logged for each database file, so the log says it once, not per page."""


@st.cache_resource(show_spinner=False)
def _connection_for(path: str | None) -> store.Connection:
    conn = store.connect(path)
    ensure_demo_round(conn)
    return conn


def connection() -> store.Connection:
    """The server's one DuckDB connection (``BUDGET_DB`` or the default file), with the demo
    round created on first start. Each store call opens its own cursor on it.

    When the file cannot be opened (DuckDB lets one process at a time write a file, so a
    second server on the same file cannot), visitors get one plain sentence and the page
    stops; the server log gets one line naming the file and what to do. Nothing failed is
    cached: the next page view tries again."""
    _through_the_router()
    path = os.environ.get("BUDGET_DB")
    target = database_path(path)
    try:
        conn = _connection_for(path)
    except (duckdb.Error, OSError, store.StoreError) as error:
        _report_unavailable(target, error)
        st.error(i18n.text("common.database_unavailable", language()), icon=":material/error:")
        st.stop()
    _reported.pop(target, None)
    return conn


def app_settings() -> None:
    """What app.py sets before any page runs: the page settings, and the officers'
    configuration checked (a problem is logged once, ``budgeting.ui.auth``)."""
    st.set_page_config(page_title="Budget Together", page_icon="🗳️", layout="wide")
    auth.log_settings(auth.officer_settings())


def _through_the_router() -> None:
    """Route every later run through app.py, from the first visits after the server starts.

    Streamlit treats an app with a ``pages/`` folder as an old-style multipage app until
    ``st.navigation`` has run once (``PagesManager.uses_pages_directory``, set from the
    folder's existence on the first visit); until then it runs the page opened (a scanned
    ballot address, say) on its own, without app.py, and every visit after it too. app.py
    declares every page with ``st.navigation``, so the flag is cleared here. Runs that
    Streamlit's old-style runner had already started (visitors arriving together) apply
    app.py's settings themselves; fragment reruns, which never go through app.py, need
    none."""
    PagesManager.uses_pages_directory = False
    if _started_by_the_old_style_runner():
        app_settings()


_OLD_STYLE_RUNNER = ("streamlit.runtime.scriptrunner.script_runner", "_mpa_v1")
"""Streamlit's function that runs a page of a ``pages/`` folder app without its main script."""


def _started_by_the_old_style_runner() -> bool:
    """Whether this run is Streamlit's old-style multipage runner running the page on its
    own (``_OLD_STYLE_RUNNER`` is one of the callers), not app.py nor a fragment rerun."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if (frame.f_globals.get("__name__"), frame.f_code.co_name) == _OLD_STYLE_RUNNER:
            return True
        frame = frame.f_back
    return False


def _report_unavailable(target: str, error: Exception) -> None:
    detail = " ".join(str(error).split())
    if _reported.get(target) == detail:
        return
    _reported[target] = detail
    if "lock" in detail.lower():
        logger.error(
            "Cannot open the database %s: another process holds it (%s). Stop the other "
            "process (a second server on the same file?) or give this server its own "
            "BUDGET_DB; several servers on one database need the PostgreSQL store.",
            target,
            detail,
        )
    else:
        logger.error(
            "Cannot open the database %s (%s). Check the file and its folder, or point "
            "BUDGET_DB at another file.",
            target,
            detail,
        )


def now() -> datetime:
    """The current time as naive UTC, as the store keeps times. Tests replace it with a
    clock they move by hand."""
    return datetime.now(UTC).replace(tzinfo=None)


def session_id() -> str:
    """A random id for this visitor's session (kept in the session state)."""
    if SESSION_KEY not in st.session_state:
        st.session_state[SESSION_KEY] = secrets.token_hex(8)
    found: str = st.session_state[SESSION_KEY]
    return found


def client_address() -> str | None:
    """The visitor's IP address; None on ``localhost`` and wherever Streamlit has none."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else None


def client_id() -> str:
    """Who failed attempts from this visitor are counted under: the IP address, else (on
    ``localhost``, or behind a proxy on the same machine) this session."""
    return client_address() or f"session {session_id()}"


def wait_text(wait: timedelta) -> str:
    """A wait as the pages show it: ``1 s``, ``45 s``, ``2 min 8 s``, ``15 min``."""
    total = max(1, math.ceil(wait.total_seconds()))
    minutes, seconds = divmod(total, 60)
    if not minutes:
        return f"{seconds} s"
    return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"


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
    mark_language(chosen)
    return chosen


def mark_language(language_code: str) -> None:
    """Set ``<html lang>`` to the language the page is shown in, so screen readers speak
    it in the right voice and browsers do not offer to translate it (WCAG 3.1.1). Streamlit
    writes ``lang="en"`` whatever the page says; this one line of script corrects it."""
    st.html(
        f"<script>document.documentElement.lang = {json.dumps(language_code)};</script>",
        unsafe_allow_javascript=True,
    )


def translator(language_code: str) -> Callable[..., str]:
    """``t(key, **params)`` for one language."""

    def translate(key: str, **params: Any) -> str:
        return i18n.text(key, language_code, **params)

    return translate


def requested_round(conn: store.Connection) -> store.Round | None:
    """The round named by ``?round=``; without it, the first open round (else the first).
    Read as ``store.round_view`` in the visitor's language, the view the page reads next."""
    round_id = st.query_params.get("round")
    if round_id:
        view = store.round_view(conn, round_id, language())
        return view.round if view else None
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
