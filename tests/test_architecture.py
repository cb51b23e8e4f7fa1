"""The layers of the house, checked on every test run: the import contracts in
pyproject.toml (import-linter), and pages that stay thin (no SQL, no rule logic)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [*sorted((ROOT / "pages").glob("*.py")), ROOT / "app.py"]
NOT_IN_PAGES = ("duckdb", "psycopg", "budgeting.engine")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_import_contracts_are_kept() -> None:
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 broken" in completed.stdout


def test_pages_hold_no_sql_and_no_rules() -> None:
    for page in PAGES:
        forbidden = {
            module
            for module in imported_modules(page)
            if any(module == bad or module.startswith(bad + ".") for bad in NOT_IN_PAGES)
        }
        assert not forbidden, f"{page.name} imports {sorted(forbidden)}"
        assert "execute(" not in page.read_text(encoding="utf-8"), f"{page.name} runs SQL"


def test_page_scripts_hold_no_bare_strings() -> None:
    """Streamlit's "magic" shows any bare expression in a page script on the page, so a
    string meant as a comment (an attribute docstring, say) would appear to every visitor.
    Only the module docstring may stand alone."""
    shown = [
        f"{path.name}:{node.lineno}"
        for path in PAGES
        for node in ast.parse(path.read_text(encoding="utf-8")).body[1:]
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    ]
    assert not shown
