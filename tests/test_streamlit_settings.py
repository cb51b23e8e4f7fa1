"""The Streamlit settings the product depends on (``.streamlit/config.toml``)."""

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


def test_a_sessions_runs_never_overlap():
    """With fast reruns a press made during a run starts a second run beside it, and a
    press could be acted on twice or its outcome shown by neither run
    (``budgeting/ui/drawings.py``, ``tests/app/test_officer_codes.py``)."""
    settings = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert settings["runner"]["fastReruns"] is False
