"""Tampering with any table that decides a result, or with the log itself, is detected and
named: direct SQL edits of rounds, services, projects, voter codes, ballots and their rows;
the newest ballot removed together with its log entries (against a published head); the
whole chain recomputed with another key (re-sealed)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from budgeting import store
from budgeting.demo import ensure_demo_round
from budgeting.store.audit import entry_hash, key_fingerprint
from budgeting.store.integrity import ballot_content, ballot_digest, ballot_parts
from budgeting.store.money import to_minor
from tests.store.conftest import BALANCED, open_round, raw_rows
from tests.store.test_audit import cast_votes

KEY = "riverside-test-audit-key-0001"
OTHER_KEY = "someone-elses-audit-key-0002"


@pytest.fixture(autouse=True)
def audit_key(monkeypatch):
    """Every write in these tests is sealed with ``KEY``, as a configured server's are."""
    monkeypatch.delenv("BUDGET_AUDIT_KEY_FILE", raising=False)
    monkeypatch.setenv("BUDGET_AUDIT_KEY", KEY)


@pytest.fixture
def voted(conn, round_id):
    """Three coded web ballots (one revised) and a paper ballot; the newest is the paper one."""
    cast_votes(conn, round_id)
    store.submit_ballot(
        conn, round_id, allocation=BALANCED, project_scores={"C": 1}, channel="paper"
    )
    return round_id


def _sql(conn, sql, params=None):
    raw_rows(conn, sql, params)


def test_a_clean_database_verifies_and_is_anchored(conn, voted):
    report = store.audit_report(conn, key=KEY)
    assert report.problems == []
    assert report.anchored
    assert report.entries == len(store.audit_log(conn))
    assert report.head == store.audit_head(conn)
    assert str(report.head) == f"{report.entries}:{store.audit_log(conn)[-1].hash}"
    assert store.verify_audit_log(conn, key=KEY, head=str(report.head)) == []
    # the key comes from the environment when not given
    assert store.verify_audit_log(conn) == []


def test_without_a_key_the_report_says_the_chain_is_not_anchored(conn, voted, monkeypatch):
    monkeypatch.delenv("BUDGET_AUDIT_KEY")
    report = store.audit_report(conn)
    assert report.problems == [] and not report.anchored
    assert any("not anchored" in note for note in report.notes)


ROUND = "test-ward"


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        (
            "UPDATE rounds SET project_budget_minor = project_budget_minor + 100",
            f"round {ROUND}: project_budget differs from what was logged",
        ),
        ("UPDATE rounds SET max_approvals = 3", f"round {ROUND}: max_approvals differs"),
        ("UPDATE rounds SET code_salt = 'ab' || code_salt", f"round {ROUND}: code_salt differs"),
        (
            "UPDATE services SET ceiling_minor = 900000 WHERE id = 'parks'",
            f"service parks of round {ROUND}: ceiling differs from what was logged",
        ),
        (
            """UPDATE projects SET translations = '{"cy": {"name": "X"}}' WHERE id = 'B'""",
            f"project B of round {ROUND}: translations differs from what was logged",
        ),
        (
            "UPDATE projects SET cost_minor = 100 WHERE id = 'B'",
            f"project B of round {ROUND}: cost differs from what was logged",
        ),
        ("DELETE FROM projects WHERE id = 'C'", f"project C of round {ROUND}: logged but missing"),
        (
            "INSERT INTO projects SELECT round_id, 'D', name, description, cost_minor, area,"
            " category, 9, translations FROM projects WHERE id = 'A'",
            f"project D of round {ROUND}: stored but never logged",
        ),
        (
            "INSERT INTO voter_codes (round_id, code_hash, issued_at)"
            " SELECT round_id, 'ab' || code_hash, issued_at FROM voter_codes LIMIT 1",
            f"voter codes of round {ROUND}: 41 stored, 40 logged",
        ),
        (
            "UPDATE voter_codes SET code_hash = 'ab' || code_hash"
            " WHERE code_hash = (SELECT min(code_hash) FROM voter_codes)",
            f"voter codes of round {ROUND}: the stored codes differ from what was logged",
        ),
        (
            "UPDATE voter_codes SET revoked_at = issued_at"
            " WHERE code_hash = (SELECT min(code_hash) FROM voter_codes)",
            f"voter codes of round {ROUND}: the stored codes differ from what was logged",
        ),
        (
            "UPDATE voter_codes SET area = 'north'"
            " WHERE code_hash = (SELECT min(code_hash) FROM voter_codes)",
            f"voter codes of round {ROUND}: the stored codes differ from what was logged",
        ),
        (
            "UPDATE ballots SET area = 'Elsewhere' WHERE id = (SELECT min(id) FROM ballots)",
            "its row in ballots differs from what was logged",
        ),
        (
            "UPDATE ballot_allocations SET amount_minor = amount_minor + 100"
            " WHERE ballot_id = (SELECT min(id) FROM ballots) AND service_id = 'parks'",
            "its allocation (ballot_allocations) differs from what was logged",
        ),
        (
            "UPDATE ballot_project_scores SET score = 2"
            " WHERE ballot_id = (SELECT max(id) FROM ballots)",
            "its project scores (ballot_project_scores) differs from what was logged",
        ),
        (
            "INSERT INTO ballot_project_scores SELECT ballot_id, project_id, score"
            " FROM ballot_project_scores WHERE ballot_id = (SELECT max(id) FROM ballots)",
            "ballot_project_scores names project C 2 times",
        ),
        (
            "INSERT INTO ballot_allocations VALUES (999, 'parks', 100)",
            "ballot_allocations: 1 row belongs to no ballot",
        ),
    ],
)
def test_a_direct_edit_of_a_deciding_table_is_named(conn, voted, sql, named):
    assert voted == ROUND
    assert store.verify_audit_log(conn, key=KEY) == []
    _sql(conn, sql)
    problems = store.verify_audit_log(conn, key=KEY)
    assert any(named in problem for problem in problems), problems


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE voter_codes SET revoked_at = NULL WHERE revoked_at IS NOT NULL AND area IS NULL",
        "UPDATE voter_codes SET revoked_at = revoked_at + INTERVAL '1 second'"
        " WHERE revoked_at IS NOT NULL AND area IS NULL",
        "UPDATE voter_codes SET revoked_at = NULL WHERE area = 'north'",
        "UPDATE voter_codes SET area = NULL WHERE area = 'north' AND revoked_at IS NULL",
        "UPDATE voter_codes SET area = 'north' || chr(10) WHERE area = 'north'",
    ],
)
def test_a_revocation_or_area_changed_behind_the_apps_back_is_named(conn, voted, sql):
    """Codes issued for an area and revoked through the store verify; clearing or moving a
    revocation, or changing a code's area, directly in the table does not."""
    store.replace_areas(conn, ROUND, [{"id": "north", "name": "North", "population": 900}])
    issued = store.issue_voter_codes(conn, ROUND, 3, area="north", actor="alice")
    store.revoke_voter_code(conn, ROUND, issued[0], actor="alice")
    store.revoke_voter_code(conn, ROUND, "CODE-004")
    assert store.verify_audit_log(conn, key=KEY) == []
    _sql(conn, sql)
    problems = store.verify_audit_log(conn, key=KEY)
    named = f"voter codes of round {ROUND}: the stored codes differ from what was logged"
    assert any(named in problem for problem in problems), problems


def test_a_round_setting_changed_behind_the_apps_back_shows_in_the_next_change(conn, voted):
    _sql(conn, "UPDATE rounds SET hide_results_until_close = true")
    store.update_round(conn, voted, hide_results_until_close=False)  # looks like a normal change
    problems = store.verify_audit_log(conn, key=KEY)
    assert any(f"round {voted}'s hide_results_until_close before" in p for p in problems), problems


def _entries(conn):
    return raw_rows(
        conn,
        "SELECT seq, round_id, logged_at, kind, details, prev_hash, hash, key_id FROM audit_log"
        " ORDER BY seq",
    )


def _reseal(conn, key: str | None, *, edit=None, keyed_until: int | None = None) -> None:
    """Recompute every entry's hash as a forger would, with ``key`` (None: plain SHA-256;
    only up to entry ``keyed_until`` when given), after ``edit(kind, details)`` has changed
    what the entries say."""
    prev = "0" * 64
    for seq, round_id, at, kind, details, _, _, _ in _entries(conn):
        if edit is not None:
            details = json.dumps(
                edit(kind, json.loads(details)), sort_keys=True, separators=(",", ":")
            )
        secret = key.encode() if key and (keyed_until is None or seq <= keyed_until) else None
        digest = entry_hash(prev, seq, round_id, at, kind, details, secret)
        _sql(
            conn,
            "UPDATE audit_log SET details = ?, prev_hash = ?, hash = ?, key_id = ? WHERE seq = ?",
            [details, prev, digest, key_fingerprint(secret) if secret else None, seq],
        )
        prev = digest


def _edit_first_ballot_and_its_entry(conn):
    """Move £100 of the first current ballot from libraries to parks and make its entry
    agree."""
    first = raw_rows(conn, "SELECT min(id) FROM ballots WHERE NOT superseded")[0][0]
    _sql(
        conn,
        "UPDATE ballot_allocations SET amount_minor = amount_minor"
        " + CASE service_id WHEN 'parks' THEN 10000 ELSE -10000 END WHERE ballot_id = ?",
        [first],
    )
    ballot = next(b for b in store.current_ballots(conn, ROUND) if b.id == first)
    content = ballot_content(
        ballot.round_id,
        ballot.receipt,
        ballot.channel,
        ballot.submitted_at,
        ballot.code_hash,
        ballot.area,
        ballot.age_band,
        {sid: to_minor(v) for sid, v in ballot.allocation.items()},
        ballot.project_scores,
    )

    def edit(kind, details):
        if kind == "ballot" and details["ballot_id"] == first:
            details = {**details, "digest": ballot_digest(content), "parts": ballot_parts(content)}
        return details

    return edit


def test_a_ballot_edit_with_the_chain_resealed_under_another_key_is_detected(conn, voted):
    head = store.audit_head(conn)
    _reseal(conn, OTHER_KEY, edit=_edit_first_ballot_and_its_entry(conn))
    problems = store.verify_audit_log(conn, key=KEY)
    assert problems and problems[0].startswith("entry 1: sealed with a different audit key")
    assert any("more entries sealed with a different audit key" in p for p in problems)
    assert store.verify_audit_log(conn, key=OTHER_KEY) == []  # the forger's own key agrees
    assert any("not the published one" in p for p in store.verify_audit_log(conn, head=head))


def test_a_chain_resealed_without_a_key_is_not_accepted_by_the_keyholder(conn, voted):
    _reseal(conn, None, edit=_edit_first_ballot_and_its_entry(conn))
    problems = store.verify_audit_log(conn, key=KEY)
    assert any("no entry is sealed with the audit key" in p for p in problems), problems


def test_a_keyed_tail_resealed_without_the_key_is_detected(conn, voted, monkeypatch):
    # the first entries keyed, the rest re-sealed as plain SHA-256 after an edit
    keyed_until = 3
    _reseal(conn, KEY, edit=_edit_first_ballot_and_its_entry(conn), keyed_until=keyed_until)
    problems = store.verify_audit_log(conn, key=KEY)
    assert any(f"entry {keyed_until + 1}: not sealed with a key" in p for p in problems)
    monkeypatch.delenv("BUDGET_AUDIT_KEY")  # a reader without the key sees the switch too
    problems = store.verify_audit_log(conn)
    assert any(f"entry {keyed_until + 1}: not sealed with a key" in p for p in problems)


def test_removing_the_newest_ballot_with_its_entries_is_caught_by_the_published_head(conn, voted):
    published = str(store.audit_head(conn))
    newest = raw_rows(conn, "SELECT max(id) FROM ballots")[0][0]
    last_seq = raw_rows(conn, "SELECT max(seq) FROM audit_log")[0][0]
    assert json.loads(_entries(conn)[-1][4])["ballot_id"] == newest
    for table, column in (
        ("ballot_allocations", "ballot_id"),
        ("ballot_project_scores", "ballot_id"),
        ("ballots", "id"),
    ):
        _sql(conn, f"DELETE FROM {table} WHERE {column} = ?", [newest])
    _sql(conn, "DELETE FROM audit_log WHERE seq = ?", [last_seq])
    # Without the published head the shortened log is self-consistent...
    assert store.verify_audit_log(conn, key=KEY) == []
    # ...with it, the removal shows.
    problems = store.verify_audit_log(conn, key=KEY, head=published)
    assert len(problems) == 1, problems
    assert f"the log has no entry {last_seq} (it ends at entry {last_seq - 1})" in problems[0]


def test_a_head_must_be_seq_colon_hash(conn, voted):
    with pytest.raises(store.StoreError, match="SEQ:HASH"):
        store.verify_audit_log(conn, head="12-abc")


def test_a_keyed_log_read_without_the_key_is_checked_as_far_as_possible(conn, voted, monkeypatch):
    monkeypatch.delenv("BUDGET_AUDIT_KEY")
    report = store.audit_report(conn)
    assert report.problems == [] and not report.anchored
    assert any("were not checked" in note for note in report.notes)
    _sql(conn, "UPDATE audit_log SET prev_hash = ? WHERE seq = 5", ["f" * 64])
    assert any("entry 5: does not link" in p for p in store.verify_audit_log(conn))


def test_the_key_can_come_from_a_file(conn, tmp_path, monkeypatch):
    key_file = tmp_path / "audit.key"
    key_file.write_text(OTHER_KEY + "\n", encoding="utf-8")
    monkeypatch.delenv("BUDGET_AUDIT_KEY")
    monkeypatch.setenv("BUDGET_AUDIT_KEY_FILE", str(key_file))
    store.create_round(conn, name="Keyed by file")
    assert store.audit_report(conn, key=OTHER_KEY).anchored
    monkeypatch.setenv("BUDGET_AUDIT_KEY_FILE", str(tmp_path / "missing.key"))
    with pytest.raises(store.StoreError, match="audit key file"):
        store.create_round(conn, name="Refused: the key is missing")
    monkeypatch.setenv("BUDGET_AUDIT_KEY_FILE", "")
    monkeypatch.setenv("BUDGET_AUDIT_KEY", "short")
    with pytest.raises(store.StoreError, match="at least 16"):
        store.create_round(conn, name="Refused: the key is too short")


def test_entries_from_before_the_log_kept_row_contents_are_accepted_as_legacy(conn, monkeypatch):
    """A log written before migration 002: plain SHA-256, no row contents for services,
    projects or codes; verification accepts it and says what it could not check."""
    monkeypatch.delenv("BUDGET_AUDIT_KEY")
    round_id = open_round(conn)
    store.add_voter_codes(conn, round_id, ["CODE-001"])
    store.submit_ballot(
        conn, round_id, allocation=BALANCED, project_scores={"A": 1}, code="CODE-001"
    )

    def legacy(kind, details):
        details.pop("rows", None)
        details.pop("codes", None)
        details.pop("parts", None)
        if kind == "round_created":
            del details["code_salt"], details["created_at"]
        return details

    _reseal(conn, None, edit=legacy)
    report = store.audit_report(conn)
    assert report.problems == []
    assert any("services of round" in note and "not checked" in note for note in report.notes)
    _sql(conn, "UPDATE ballot_allocations SET amount_minor = amount_minor + 1")
    assert any("its content differs" in p for p in store.verify_audit_log(conn))


def test_aware_times_are_logged_as_the_utc_the_database_holds(conn):
    opens = datetime(2027, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    round_id = store.create_round(conn, name="Timed", opens_at=opens)
    store.update_round(conn, round_id, closes_at=opens + timedelta(days=14))
    assert store.verify_audit_log(conn) == []


def test_the_demo_round_verifies_anchored(conn):
    ensure_demo_round(conn)
    report = store.audit_report(conn, key=KEY)
    assert (report.problems, report.notes, report.anchored) == ([], [], True)
    assert report.head == store.audit_head(conn)
