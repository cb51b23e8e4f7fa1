"""Several app processes writing to one PostgreSQL database at once: one current ballot per
voter code however the writers race, and an audit log whose entries each follow the last."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from budgeting import store
from tests.postgres_server import fresh_database
from tests.store.conftest import open_round, raw_rows

REPO = Path(__file__).resolve().parents[2]
PROCESSES = 3
ROUNDS = 6


@pytest.mark.postgres
def test_processes_racing_on_the_same_codes_leave_one_ballot_each(postgres_server: str):
    with fresh_database(postgres_server) as url:
        conn = store.connect(url)
        round_id = open_round(conn)
        codes = store.issue_voter_codes(conn, round_id, 8)
        writers = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(Path(__file__).with_name("crash_writer.py")),
                    url,
                    round_id,
                    *codes,
                    "--stop-after",
                    str(ROUNDS * len(codes)),
                ],
                stdout=subprocess.PIPE,
                text=True,
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )
            for _ in range(PROCESSES)
        ]
        receipts = []
        for writer in writers:
            out, _ = writer.communicate(timeout=300)
            assert writer.returncode == 0
            receipts += [line.split()[0] for line in out.splitlines()]
        assert len(receipts) == len(set(receipts)) == PROCESSES * ROUNDS * len(codes)
        current = raw_rows(
            conn,
            "SELECT code_hash, count(*) FROM ballots WHERE NOT superseded GROUP BY code_hash",
        )
        assert len(current) == len(codes) and {count for _, count in current} == {1}
        assert store.ballot_count(conn, round_id) == len(codes)
        seqs = [seq for (seq,) in raw_rows(conn, "SELECT seq FROM audit_log ORDER BY seq")]
        assert seqs == list(range(1, len(seqs) + 1))
        assert store.verify_audit_log(conn) == []
        conn.close()
