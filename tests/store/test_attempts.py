"""Failed sign-ins and voter codes: a growing delay after a few free failures, audited when
it starts, refused attempts never counted, and no sleeping (every time is passed in)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from budgeting import store
from budgeting.store.attempts import FORGET_AFTER, MAX_DELAY, delay_after, pseudonym

T0 = datetime(2027, 5, 1, 12, 0, 0)
ALICE = [("officer", "alice")]


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def test_the_delay_doubles_after_the_free_failures_up_to_a_cap():
    assert [delay_after("officer", n).total_seconds() for n in range(1, 12)] == [
        0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64,
    ]  # fmt: skip
    assert delay_after("officer", 15) == MAX_DELAY
    assert delay_after("officer", 10_000) == MAX_DELAY
    # A shared address (a meeting room's Wi-Fi) is allowed more mistakes than one session.
    assert delay_after("code_session", 5) == seconds(1)
    assert delay_after("code_client", 19) == timedelta(0)
    assert delay_after("code_client", 20) == seconds(1)


def test_attempts_are_refused_until_the_delay_is_over(conn):
    for _ in range(4):
        assert store.record_failure(conn, ALICE, now=T0) == timedelta(0)
        assert store.attempt_wait(conn, ALICE, now=T0) == timedelta(0)
    assert store.record_failure(conn, ALICE, now=T0) == seconds(1)
    assert store.attempt_wait(conn, ALICE, now=T0) == seconds(1)
    assert store.attempt_wait(conn, ALICE, now=T0 + seconds(0.5)) == seconds(0.5)
    assert store.attempt_wait(conn, ALICE, now=T0 + seconds(1)) == timedelta(0)
    assert store.record_failure(conn, ALICE, now=T0 + seconds(1)) == seconds(2)
    assert store.record_failure(conn, ALICE, now=T0 + seconds(3)) == seconds(4)
    assert store.attempt_wait(conn, ALICE, now=T0 + seconds(5)) == seconds(2)
    # Another name is not held up by alice's failures.
    assert store.attempt_wait(conn, [("officer", "bob")], now=T0 + seconds(5)) == timedelta(0)


def test_a_success_clears_the_failures_it_names(conn):
    client = ("officer_client", "203.0.113.7")
    for _ in range(5):
        store.record_failure(conn, [*ALICE, client], now=T0)
    store.record_success(conn, ALICE)
    assert store.attempt_wait(conn, ALICE, now=T0) == timedelta(0)
    assert store.record_failure(conn, ALICE, now=T0) == timedelta(0)  # counting from one again
    assert store.attempt_delays(conn, now=T0) == []
    for _ in range(5):
        store.record_failure(conn, [client], now=T0)
    assert [(d.scope, d.subject, d.failures) for d in store.attempt_delays(conn, now=T0)] == [
        ("officer_client", "203.0.113.7", 10)
    ]


def test_the_longest_wait_of_several_keys_counts(conn):
    session, client = ("code_session", "s1"), ("code_client", "203.0.113.7")
    for _ in range(19):
        store.record_failure(conn, [client], now=T0)
    assert store.record_failure(conn, [session, client], now=T0) == seconds(1)
    for _ in range(4):
        store.record_failure(conn, [session], now=T0 + seconds(10))
    assert store.record_failure(conn, [session, client], now=T0 + seconds(10)) == seconds(2)
    assert store.attempt_wait(conn, [("code_session", "s2"), client], now=T0 + seconds(10)) == (
        seconds(2)
    )


def test_each_delay_is_audited_when_it_starts_with_addresses_as_pseudonyms(conn):
    client = ("code_client", "203.0.113.7")
    for _ in range(6):
        store.record_failure(conn, [*ALICE], now=T0)
    for _ in range(20):
        store.record_failure(conn, [client], round_id="r1", now=T0)
    entries = [e for e in store.audit_log(conn) if e.kind == "attempts_delayed"]
    assert [(e.round_id, e.details["subject"], e.details["failures"]) for e in entries] == [
        (None, "alice", 5),
        (None, "alice", 6),
        ("r1", pseudonym("203.0.113.7"), 20),
    ]
    assert entries[1].details["delay_seconds"] == 2
    assert entries[1].details["blocked_until"] == (T0 + seconds(2)).isoformat()
    assert "203.0.113.7" not in str([e.details for e in store.audit_log(conn)])
    assert store.verify_audit_log(conn) == []


def test_failures_are_forgotten_after_a_quiet_hour(conn):
    for _ in range(7):
        store.record_failure(conn, ALICE, now=T0)
    later = T0 + FORGET_AFTER + seconds(1)
    assert store.attempt_wait(conn, ALICE, now=later) == timedelta(0)
    assert store.record_failure(conn, ALICE, now=later) == timedelta(0)


def test_the_delay_list_names_everyone_delayed_in_the_last_hour_latest_first(conn):
    for _ in range(7):
        store.record_failure(conn, ALICE, now=T0)
    for _ in range(5):
        store.record_failure(conn, [("code_session", "s1")], now=T0)
    store.record_failure(conn, [("officer", "bob")], now=T0)  # no delay yet: not listed
    delays = store.attempt_delays(conn, now=T0)
    assert [(d.scope, d.subject, d.failures, d.blocked_until) for d in delays] == [
        ("officer", "alice", 7, T0 + seconds(4)),
        ("code_session", "s1", 5, T0 + seconds(1)),
    ]
    assert len(store.attempt_delays(conn, now=T0 + FORGET_AFTER)) == 2  # over, still shown
    assert store.attempt_delays(conn, now=T0 + FORGET_AFTER + seconds(1)) == []


def test_an_unknown_scope_is_refused(conn):
    with pytest.raises(store.StoreError, match="scope"):
        store.record_failure(conn, [("password", "alice")], now=T0)
