"""Voter codes are stored only as salted hashes; the plain code never reaches the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from budgeting import store
from budgeting.store import codes as codes_module
from budgeting.store.codes import CODE_ALPHABET
from tests.store.conftest import BALANCED, open_round, raw_rows


def test_issued_codes_are_unambiguous_unique_and_valid(conn):
    round_id = open_round(conn)
    codes = store.issue_voter_codes(conn, round_id, 50)
    assert len(set(codes)) == 50
    for code in codes:
        assert len(code) == 9 and code[4] == "-"
        assert set(code.replace("-", "")) <= set(CODE_ALPHABET)
        assert not set(code) & set("0O1IL")
    assert store.voter_code_status(conn, round_id, codes[0]) == "valid"
    assert store.voter_code_status(conn, round_id, codes[0].lower().replace("-", " ")) == "valid"
    assert store.voter_code_status(conn, round_id, "ZZZ-ZZZ") == "unknown"
    assert store.voter_code_status(conn, round_id, "") == "unknown"
    other = open_round(conn, name="Other ward")
    assert store.voter_code_status(conn, other, codes[0]) == "unknown"
    assert store.voter_code_status(conn, "no-such-round", codes[0]) == "unknown"


def test_adding_known_codes_twice_keeps_one(conn):
    round_id = open_round(conn)
    store.add_voter_codes(conn, round_id, ["DEMO-0001", "DEMO-0002"])
    store.add_voter_codes(conn, round_id, ["demo 0001"])
    assert raw_rows(conn, "SELECT count(*) FROM voter_codes")[0][0] == 2
    assert [e.kind for e in store.audit_log(conn, round_id)].count("codes_issued") == 2


def test_plain_codes_appear_nowhere_in_the_database_file(tmp_path: Path):
    path = tmp_path / "codes.duckdb"
    conn = store.connect(str(path))
    round_id = open_round(conn)
    issued = store.issue_voter_codes(conn, round_id, 20)
    store.add_voter_codes(conn, round_id, ["KNOWNCODE-7"])
    for code in [*issued[:5], "KNOWNCODE-7"]:
        store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores={}, code=code)
    stored_hashes = {row[0] for row in raw_rows(conn, "SELECT code_hash FROM voter_codes")}
    assert len(stored_hashes) == 21 and all(len(h) == 64 for h in stored_hashes)
    conn.execute("CHECKPOINT")
    conn.close()
    content = path.read_bytes()
    wal = path.with_suffix(".duckdb.wal")
    if wal.exists():
        content += wal.read_bytes()
    for code in [*issued, "KNOWNCODE-7"]:
        for form in {code, code.replace("-", ""), code.lower()}:
            assert form.encode() not in content, form


def test_a_shared_hasher_hashes_each_code_once_and_only_for_its_round(conn, monkeypatch):
    round_id = open_round(conn)
    calls: list[str] = []
    real_hash = codes_module.hash_code
    monkeypatch.setattr(
        codes_module, "hash_code", lambda code, salt: calls.append(code) or real_hash(code, salt)
    )
    hasher = store.code_hasher(conn, round_id)
    store.add_voter_codes(conn, round_id, ["KNOWN-0001", "known 0002"], hasher=hasher)
    assert hasher("KNOWN-0002") is not None and len(calls) == 2
    assert store.voter_code_status(conn, round_id, "KNOWN0001") == "valid"
    other = open_round(conn, name="Other ward")
    with pytest.raises(store.StoreError):
        store.add_voter_codes(conn, other, ["KNOWN-0003"], hasher=hasher)
    assert raw_rows(conn, "SELECT count(*) FROM voter_codes WHERE round_id = ?", [other])[0][0] == 0
