"""The demo round: created once on an empty database, from the CSV files in data/demo."""

from __future__ import annotations

import re

from budgeting import store
from budgeting.demo import (
    DEMO_DIR,
    DEMO_ROUND_ID,
    demo_codes,
    ensure_demo_round,
    load_demo_round,
    synthetic_ballots_csv,
)


def test_demo_round_is_complete_and_created_once(conn):
    assert ensure_demo_round(conn) == DEMO_ROUND_ID
    log_length = len(store.audit_log(conn))
    assert ensure_demo_round(conn) == DEMO_ROUND_ID
    assert len(store.audit_log(conn)) == log_length
    round_ = store.get_round(conn, DEMO_ROUND_ID)
    assert round_.status == "open" and not round_.hide_results_until_close
    assert round_.ballot_format == "approval" and round_.code_mode == "codes"
    services = store.list_services(conn, DEMO_ROUND_ID)
    projects = store.list_projects(conn, DEMO_ROUND_ID)
    assert 8 <= len(services) <= 10 and 15 <= len(projects) <= 25
    assert all(s.description and s.unit_cost_text.startswith("£") for s in services)
    assert (
        sum(s.floor for s in services) <= round_.service_budget <= sum(s.ceiling for s in services)
    )
    assert 4 <= len({p.area for p in projects}) <= 6
    ballots = store.current_ballots(conn, DEMO_ROUND_ID)
    assert 200 <= len(ballots) <= 500
    assert {b.channel for b in ballots} == {"web", "paper"}
    assert len({b.area for b in ballots}) == len({p.area for p in projects})
    assert len({b.age_band for b in ballots}) >= 4
    assert any(e.kind == "ballot_superseded" for e in store.audit_log(conn, DEMO_ROUND_ID))
    assert store.verify_audit_log(conn) == []


def test_demo_codes_are_published_valid_and_unused(conn):
    ensure_demo_round(conn)
    codes = demo_codes()
    assert codes == [f"DEMO-{n:04d}" for n in range(1, 21)]
    readme = (DEMO_DIR / "README.md").read_text(encoding="utf-8")
    assert set(re.findall(r"DEMO-\d{4}", readme)) == set(codes)
    for code in codes:
        assert store.voter_code_check(conn, DEMO_ROUND_ID, code).status == "valid"
        assert store.latest_ballot(conn, DEMO_ROUND_ID, code) is None


def test_ensure_leaves_a_database_with_other_rounds_alone(conn):
    store.create_round(conn, name="A real round")
    assert ensure_demo_round(conn) is None
    assert [r.name for r in store.list_rounds(conn)] == ["A real round"]


def test_hidden_results_copy_for_tests(conn):
    hidden = load_demo_round(conn, round_id="demo-hidden", hide_results_until_close=True)
    assert store.get_round(conn, hidden).hide_results_until_close
    assert store.ballot_count(conn, hidden) > 0


def test_ballots_file_is_what_the_seeded_generator_makes():
    assert synthetic_ballots_csv() == (DEMO_DIR / "ballots.csv").read_text(encoding="utf-8")
