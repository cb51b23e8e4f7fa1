"""The engine is pure standard library: importing it loads no app or data-frame package."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import budgeting.engine

FORBIDDEN = ("streamlit", "duckdb", "pandas", "plotly", "numpy", "pyarrow")
ROOT = Path(__file__).resolve().parents[2]


def test_engine_modules_import_nothing_heavy() -> None:
    modules = sorted(
        f"budgeting.engine.{info.name}" for info in pkgutil.iter_modules(budgeting.engine.__path__)
    )
    assert "budgeting.engine.registry" in modules
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "import budgeting.__main__\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(completed.stdout) == []
