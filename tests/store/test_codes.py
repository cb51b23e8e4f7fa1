"""Voter codes are stored only as salted hashes; the plain code never reaches the file."""

from __future__ import annotations

import hashlib
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
    assert store.voter_code_check(conn, round_id, codes[0]).status == "valid"
    assert (
        store.voter_code_check(conn, round_id, codes[0].lower().replace("-", " ")).status == "valid"
    )
    assert store.voter_code_check(conn, round_id, "ZZZ-ZZZ").status == "unknown"
    assert store.voter_code_check(conn, round_id, "").status == "unknown"
    other = open_round(conn, name="Other ward")
    assert store.voter_code_check(conn, other, codes[0]).status == "unknown"
    assert store.voter_code_check(conn, "no-such-round", codes[0]).status == "unknown"


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
    assert store.voter_code_check(conn, round_id, "KNOWN0001").status == "valid"
    other = open_round(conn, name="Other ward")
    with pytest.raises(store.StoreError):
        store.add_voter_codes(conn, other, ["KNOWN-0003"], hasher=hasher)
    assert raw_rows(conn, "SELECT count(*) FROM voter_codes WHERE round_id = ?", [other])[0][0] == 0


AREAS = [
    {"id": "north", "name": "North ward", "population": 1200},
    {"id": "south", "name": "South ward", "population": 800},
]


def test_codes_issued_for_an_area_are_stored_with_it_and_audited_with_the_officer(conn):
    round_id = open_round(conn)
    store.replace_areas(conn, round_id, AREAS)
    north = store.issue_voter_codes(conn, round_id, 3, area="north", actor="alice")
    plain = store.issue_voter_codes(conn, round_id, 2)
    assert raw_rows(
        conn, "SELECT area, count(*) FROM voter_codes GROUP BY area ORDER BY area NULLS LAST"
    ) == [("north", 3), (None, 2)]
    issued = [e.details for e in store.audit_log(conn, round_id) if e.kind == "codes_issued"]
    assert (issued[0]["area"], issued[0]["actor"], issued[0]["count"]) == ("north", "alice", 3)
    assert "area" not in issued[1] and "actor" not in issued[1]
    for code in [*north, *plain]:
        assert store.voter_code_check(conn, round_id, code).status == "valid"


@pytest.mark.parametrize(
    ("count", "area", "refusal"),
    [
        (0, None, "at least one"),
        (-3, None, "at least one"),
        (2.5, None, "whole number"),
        (True, None, "whole number"),
        (store.MAX_CODES_PER_ISSUE + 1, None, "at most 10,000"),
        (2, "east", "no area 'east'"),
    ],
)
def test_issuing_refuses_bad_counts_and_unknown_areas(conn, count, area, refusal):
    round_id = open_round(conn)
    store.replace_areas(conn, round_id, AREAS)
    with pytest.raises(store.StoreError, match=refusal):
        store.issue_voter_codes(conn, round_id, count, area=area)
    assert raw_rows(conn, "SELECT count(*) FROM voter_codes")[0][0] == 0


def test_no_codes_are_issued_or_revoked_once_voting_has_closed(conn):
    round_id = open_round(conn)
    code = store.issue_voter_codes(conn, round_id, 1)[0]
    store.update_round(conn, round_id, status="closed")
    with pytest.raises(store.StoreError, match="voting has closed"):
        store.issue_voter_codes(conn, round_id, 1)
    with pytest.raises(store.StoreError, match="voting has closed"):
        store.revoke_voter_code(conn, round_id, code)


def test_a_revoked_code_is_refused_like_an_unknown_one_and_its_earlier_ballot_counts(conn):
    round_id = open_round(conn)
    kept, lost, never_used = store.issue_voter_codes(conn, round_id, 3)
    earlier = store.submit_ballot(
        conn, round_id, allocation=BALANCED, project_scores={"A": 1}, code=lost
    )
    store.revoke_voter_code(conn, round_id, lost.lower().replace("-", " "), actor="alice")
    store.revoke_voter_code(conn, round_id, never_used)

    assert store.voter_code_check(conn, round_id, lost).status == "unknown"
    assert store.voter_code_check(conn, round_id, kept).status == "valid"
    with pytest.raises(store.BallotRejected) as revoked:
        store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores={}, code=lost)
    with pytest.raises(store.BallotRejected) as unknown:
        store.submit_ballot(
            conn, round_id, allocation=BALANCED, project_scores={}, code="ZZZZ-ZZZZ"
        )
    assert [(p.field, p.message("en")) for p in revoked.value.problems] == [
        (p.field, p.message("en")) for p in unknown.value.problems
    ]
    csv_text = f"code,channel,projects,parks,libraries\n{lost},paper,B,6000,4000\n"
    with pytest.raises(store.CsvImportError) as refused:
        store.import_ballots_csv(conn, round_id, csv_text)
    assert refused.value.line == 2 and refused.value.field == "code"
    # the ballot cast before the revocation stays counted
    assert [b.receipt for b in store.current_ballots(conn, round_id)] == [earlier.receipt]

    revocation = [e.details for e in store.audit_log(conn, round_id) if e.kind == "codes_revoked"]
    assert revocation[0]["actor"] == "alice" and revocation[0]["count"] == 1
    assert store.verify_audit_log(conn) == []


def test_revoking_an_unknown_or_already_revoked_code_is_refused_and_changes_nothing(conn):
    round_id = open_round(conn)
    code = store.issue_voter_codes(conn, round_id, 1)[0]
    with pytest.raises(store.StoreError, match="has no voter code ZZZZ-ZZZZ"):
        store.revoke_voter_code(conn, round_id, "zzzz zzzz")
    with pytest.raises(store.StoreError, match="type the voter code"):
        store.revoke_voter_code(conn, round_id, " - ")
    store.revoke_voter_code(conn, round_id, code)
    entries = len(store.audit_log(conn))
    with pytest.raises(store.StoreError, match="already revoked"):
        store.revoke_voter_code(conn, round_id, code)
    assert len(store.audit_log(conn)) == entries
    with pytest.raises(store.StoreError, match="no round"):
        store.revoke_voter_code(conn, "no-such-round", code)


def test_adding_a_revoked_code_again_keeps_it_revoked(conn):
    round_id = open_round(conn)
    store.add_voter_codes(conn, round_id, ["DEMO-0001"])
    store.revoke_voter_code(conn, round_id, "DEMO-0001")
    store.add_voter_codes(conn, round_id, ["DEMO-0001"])
    assert store.voter_code_check(conn, round_id, "DEMO-0001").status == "unknown"
    assert store.verify_audit_log(conn) == []


def test_codes_are_counted_by_area_issued_revoked_and_used(conn):
    round_id = open_round(conn)
    store.replace_areas(conn, round_id, AREAS)
    north = store.issue_voter_codes(conn, round_id, 4, area="north")
    plain = store.issue_voter_codes(conn, round_id, 2)
    for code in (north[0], north[1], north[1], plain[0]):  # north[1] votes twice: used once
        store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores={}, code=code)
    store.revoke_voter_code(conn, round_id, north[0])  # used, then revoked
    store.revoke_voter_code(conn, round_id, north[3])
    counts = store.voter_code_counts(conn, round_id)
    assert counts == [
        store.VoterCodeCounts("north", issued=4, revoked=2, used=2),
        store.VoterCodeCounts("south", issued=0, revoked=0, used=0),
        store.VoterCodeCounts(None, issued=2, revoked=0, used=1),
    ]
    store.replace_areas(conn, round_id, AREAS[1:])  # north dropped: its codes still listed
    assert [c.area for c in store.voter_code_counts(conn, round_id)] == ["south", "north", None]


def test_rows_without_area_or_revocation_digest_as_before_those_columns(conn):
    """A database logged before areas and revocations existed still verifies: such rows
    read exactly as the digest read them then."""
    round_id = open_round(conn)
    store.issue_voter_codes(conn, round_id, 3)
    rows = raw_rows(
        conn,
        "SELECT code_hash, issued_at FROM voter_codes WHERE round_id = ? ORDER BY 1",
        [round_id],
    )
    before = "".join(f"{code_hash} {issued_at.isoformat()}\n" for code_hash, issued_at in rows)
    cursor = conn.cursor()
    record = codes_module.code_records(cursor, round_id)[round_id]
    cursor.close()
    assert record == {"count": 3, "digest": hashlib.sha256(before.encode()).hexdigest()}


def test_a_code_check_brings_the_ballot_that_counts_for_the_code(conn):
    round_id = open_round(conn)
    voted, fresh, revoked = store.issue_voter_codes(conn, round_id, 3)
    for projects in ({"A": 1}, {"B": 1}):
        latest = store.submit_ballot(
            conn, round_id, allocation=BALANCED, project_scores=projects, code=voted
        )
    store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores={}, code=revoked)
    store.revoke_voter_code(conn, round_id, revoked)

    check = store.voter_code_check(conn, round_id, voted.lower())
    assert check.status == "valid" and check.ballot == latest
    assert check.ballot == store.latest_ballot(conn, round_id, voted)
    assert store.voter_code_check(conn, round_id, fresh) == store.VoterCodeCheck("valid", None)
    assert store.voter_code_check(conn, round_id, revoked) == store.VoterCodeCheck("unknown", None)
