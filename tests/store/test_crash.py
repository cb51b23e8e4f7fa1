"""A writer killed with SIGKILL mid-stream leaves a database that reopens with every
acknowledged ballot present and nothing half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from budgeting import store
from tests.store.conftest import open_round, raw_rows

REPO = Path(__file__).resolve().parents[2]


def test_sigkill_mid_stream_keeps_every_acknowledged_ballot(database: str):
    path = database
    conn = store.connect(path)
    round_id = open_round(conn)
    codes = store.issue_voter_codes(conn, round_id, 15)
    conn.close()

    writer = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("crash_writer.py")), path, round_id, *codes],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    acknowledged: list[tuple[str, str]] = []
    deadline = time.monotonic() + 60
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        line = writer.stdout.readline()
        if not line:
            break
        acknowledged.append(tuple(line.split()))
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    acknowledged.extend(tuple(line.split()) for line in writer.stdout.read().splitlines())
    assert len(acknowledged) >= 40, "the writer did not get going"

    conn = store.connect(path)
    stored = {row[0] for row in raw_rows(conn, "SELECT receipt FROM ballots")}
    assert {receipt for receipt, _ in acknowledged} <= stored
    assert len(stored) - len(acknowledged) <= 1
    latest = {}
    for receipt, code in acknowledged:
        latest[code] = receipt
    for code, receipt in latest.items():
        current = store.latest_ballot(conn, round_id, code)
        assert current is not None
        assert current.receipt == receipt or current.receipt not in {r for r, _ in acknowledged}
    assert store.ballot_count(conn, round_id) == len({code for _, code in acknowledged})
    orphans = raw_rows(
        conn,
        "SELECT count(*) FROM ballot_allocations a LEFT JOIN ballots b ON b.id = a.ballot_id"
        " WHERE b.id IS NULL",
    )
    assert orphans[0][0] == 0
    assert all(len(b.allocation) == 2 for b in store.current_ballots(conn, round_id))
    assert store.verify_audit_log(conn) == []
    conn.close()
