"""``python -m budgeting verify-audit``: exit 0 and the head on an intact log, exit 1 with
every problem (the first broken entry named) otherwise, reading the database read-only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from budgeting import store
from tests.store.conftest import BALANCED, open_round, raw_rows

ROOT = Path(__file__).resolve().parents[2]
KEY = "command-line-test-audit-key"


def _verify(path: Path, *args: str, key: str | None = KEY) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUDGET_AUDIT_KEY")}
    if key is not None:
        env["BUDGET_AUDIT_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "budgeting", "verify-audit", "--db", str(path), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow  # several command-line runs over a demo database: in .ci/run
def test_verify_audit_exit_codes(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("BUDGET_AUDIT_KEY", KEY)
    path = tmp_path / "budget.duckdb"
    conn = store.connect(str(path))
    round_id = open_round(conn)
    store.add_voter_codes(conn, round_id, ["CODE-001", "CODE-002"])
    for code in ("CODE-001", "CODE-002"):
        store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores={"A": 1}, code=code)
    head = str(store.audit_head(conn))
    entries = len(store.audit_log(conn))
    conn.close()

    intact = _verify(path, "--head", head)
    assert (intact.returncode, intact.stderr) == (0, "")
    assert intact.stdout.splitlines()[0] == f"audit log intact: {entries} entries, head {head}"

    unkeyed = _verify(path, key=None)
    assert unkeyed.returncode == 0
    assert "not anchored" in unkeyed.stdout

    wrong_key = _verify(path, key="not-the-key-of-this-server")
    assert wrong_key.returncode == 1
    assert wrong_key.stdout.splitlines()[1].startswith("entry 1: sealed with a different")

    conn = store.connect(str(path))
    raw_rows(conn, "UPDATE projects SET cost_minor = 100 WHERE id = 'B'")
    conn.close()
    tampered = _verify(path, "--head", head)
    assert tampered.returncode == 1
    assert f"project B of round {round_id}: cost differs" in tampered.stdout
    assert tampered.stderr == "error: audit log broken: the problems are listed above\n"

    bad_head = _verify(path, "--head", "nonsense")
    assert bad_head.returncode == 1 and "SEQ:HASH" in bad_head.stderr
    missing = _verify(tmp_path / "nowhere.duckdb")
    assert missing.returncode == 1 and "no database file" in missing.stderr
