"""The audit log: every change appended, hash-chained, and tampering detected."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest

from budgeting import store
from tests.store.conftest import BALANCED, raw_rows


def cast_votes(conn, round_id):
    """Three coded web ballots; CODE-001 then votes again (a supersession)."""
    for number in range(1, 4):
        store.submit_ballot(
            conn, round_id, allocation=BALANCED, project_scores={"A": 1}, code=f"CODE-{number:03d}"
        )
    store.submit_ballot(
        conn, round_id, allocation=BALANCED, project_scores={"B": 1}, code="CODE-001"
    )


@pytest.fixture
def voted(conn, round_id):
    cast_votes(conn, round_id)
    return round_id


def test_every_kind_of_change_is_logged_in_order(conn, voted):
    store.update_round(conn, voted, status="closed")
    entries = store.audit_log(conn)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    kinds = [e.kind for e in entries]
    assert kinds[:4] == ["round_created", "services_replaced", "projects_replaced", "round_changed"]
    assert kinds.count("ballot") == 4 and kinds.count("ballot_superseded") == 1
    assert "codes_issued" in kinds and kinds[-1] == "round_changed"
    assert entries[1].details["source"] == "csv"
    assert all(e.prev_hash == p.hash for p, e in itertools.pairwise(entries))
    assert store.verify_audit_log(conn) == []
    assert store.audit_log(conn, "other-round") == []


def _tamper(conn, sql, params=None):
    raw_rows(conn, sql, params)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("UPDATE audit_log SET details = replace(details, 'csv', 'edit') WHERE seq = 2", "edited"),
        ("DELETE FROM audit_log WHERE seq = 3", "missing"),
        ("UPDATE ballot_project_scores SET project_id = 'C' WHERE project_id = 'B'", "differs"),
        ("UPDATE ballots SET superseded = false", "superseded flag"),
        ("UPDATE ballot_allocations SET amount_minor = amount_minor + 100", "differs"),
        ("DELETE FROM ballots WHERE id = (SELECT max(id) FROM ballots)", "logged but missing"),
        (
            "INSERT INTO ballots SELECT id + 100, round_id, 'FORGED00', channel, submitted_at,"
            " code_hash, area, age_band, false FROM ballots LIMIT 1",
            "never logged",
        ),
    ],
)
def test_tampering_is_detected(conn, voted, sql, expected):
    assert store.verify_audit_log(conn) == []
    _tamper(conn, sql)
    problems = store.verify_audit_log(conn)
    assert problems and any(expected in p for p in problems), problems


def test_rewriting_the_chain_from_an_entry_is_detected_by_its_successor(conn, voted):
    entries = store.audit_log(conn)
    _tamper(conn, "UPDATE audit_log SET hash = ? WHERE seq = ?", ["f" * 64, entries[4].seq])
    problems = store.verify_audit_log(conn)
    assert any(f"entry {entries[4].seq}:" in p for p in problems)
    assert any(f"entry {entries[5].seq}: does not link" in p for p in problems)


def test_amounts_in_pence_survive(conn, voted):
    assert store.projector_snapshot(conn, voted).mean_allocation["parks"] == Fraction(6000)
