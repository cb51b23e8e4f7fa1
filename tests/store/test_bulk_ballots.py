"""Many ballots at once: the conversions and random receipts a large batch goes through, and
a batch read back exactly, with its audit entries intact, on both stores."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import pytest

from budgeting import store
from budgeting.store import ballots as store_ballots
from budgeting.store import codes
from budgeting.store.connection import available_migrations
from budgeting.store.money import AMOUNT_LIMIT, AmountTooLarge, MinorAmounts, from_minor, to_minor
from tests.store.conftest import BALANCED, open_round, raw_rows

AMOUNTS = [
    0,
    7,
    -3,
    Fraction(1, 2),
    Fraction(-7, 4),
    Fraction(1, 3),
    Fraction(1, 200),
    Fraction(123456789, 100),
    Decimal("12.34"),
    Decimal("0.005"),
    "19.99",
    "1/8",
    AMOUNT_LIMIT - Fraction(1, 100),
    AMOUNT_LIMIT,
    -AMOUNT_LIMIT,
    Fraction(AMOUNT_LIMIT * 3 - 1, 3),
    True,
]


def _pence_by_definition(amount: object) -> int | type[Exception]:
    """Pounds -> pence computed as the definition says: exactly 100 times the amount."""
    value = Fraction(amount)  # type: ignore[arg-type]
    if abs(value) >= AMOUNT_LIMIT:
        return AmountTooLarge
    minor = value * 100
    return minor.numerator if minor.denominator == 1 else ValueError


@pytest.mark.parametrize("amount", AMOUNTS, ids=repr)
def test_to_minor_is_exactly_a_hundred_times_or_refuses(amount):
    expected = _pence_by_definition(amount)
    if isinstance(expected, int):
        assert to_minor(amount) == expected
        assert from_minor(to_minor(amount)) == Fraction(amount)
    else:
        with pytest.raises(expected):
            to_minor(amount)


def test_minor_amounts_converts_each_amount_once_and_exactly():
    pounds = MinorAmounts()
    minors = [random.Random(3).randint(-(10**6), 10**6) for _ in range(500)] * 3
    assert [pounds[m] for m in minors] == [from_minor(m) for m in minors]
    assert len(pounds) == len(set(minors))


def test_random_codes_take_every_letter_equally_and_discard_the_rest(monkeypatch):
    # 248 = 31 x 8 bytes map evenly onto the 31 letters; 248..255 would favour 8 of them.
    monkeypatch.setattr(codes.secrets, "token_bytes", lambda n: bytes(range(255, -1, -1))[:n])
    drawn = codes.random_codes(31, 8)
    assert len(drawn) == 31 and {len(code) for code in drawn} == {8}
    assert Counter("".join(drawn)) == dict.fromkeys(codes.CODE_ALPHABET, 8)


def test_random_codes_are_of_the_alphabet_and_differ():
    drawn = codes.random_codes(2000, 8)
    assert len(set(drawn)) == 2000
    assert set("".join(drawn)) <= set(codes.CODE_ALPHABET)
    assert len(codes.new_code()) == 9


def test_a_large_batch_is_stored_read_back_and_audited_exactly(conn):
    round_id = open_round(conn, code_mode="open", max_approvals=3)
    rng = random.Random(5)
    ballots = []
    for number in range(300):
        parks = Fraction(rng.randint(4000, 7999)) + Fraction(rng.randint(0, 99), 100)
        ballots.append(
            store.BallotInput(
                allocation={"parks": parks, "libraries": 10_000 - parks},
                project_scores=dict.fromkeys(rng.sample("ABC", rng.randint(0, 2)), 1),
                channel="paper" if number % 7 == 0 else "web",
            )
        )
    receipts = store.submit_ballots(conn, round_id, ballots)
    assert len(set(receipts)) == 300
    assert all(len(r) == 8 and set(r) <= set(codes.CODE_ALPHABET) for r in receipts)
    read = store.current_ballots(conn, round_id)
    assert [ballot.receipt for ballot in read] == receipts
    for given, written in zip(ballots, read, strict=True):
        assert written.allocation == given.allocation
        assert written.project_scores == given.project_scores
        assert written.channel == given.channel
    assert store.verify_audit_log(conn) == []


def _summed(conn: store.Connection, round_id: str) -> store.ProjectorSnapshot:
    """The projector's figures summed from the round's current ballots one by one."""
    ballots = store.current_ballots(conn, round_id)
    count = len(ballots)
    services = [s.id for s in store.list_services(conn, round_id)]
    projects = [p.id for p in store.list_projects(conn, round_id)]
    return store.ProjectorSnapshot(
        ballot_count=count,
        mean_allocation={
            sid: sum((b.allocation[sid] for b in ballots), Fraction(0)) / count if count else 0
            for sid in services
        },
        project_totals={
            pid: sum(b.project_scores.get(pid, 0) for b in ballots) for pid in projects
        },
        paper_count=sum(b.channel == "paper" for b in ballots),
    )


def _drawing_first(monkeypatch, taken: list[str], times: int) -> list[int]:
    """Receipts are drawn with ``taken`` first, the first ``times`` draws; returns the
    number of receipts asked for at each draw."""
    drawn: list[int] = []

    def draw(count: int, length: int) -> list[str]:
        drawn.append(count)
        fresh = codes.random_codes(count, length)
        return (taken + fresh)[:count] if len(drawn) <= times else fresh

    monkeypatch.setattr("budgeting.store.ballots.random_codes", draw)
    return drawn


@pytest.mark.parametrize("size", [3, 70])  # rows inserted as VALUES, and as Arrow or COPY
def test_a_batch_that_draws_a_stored_receipt_is_written_again_with_new_ones(
    conn, monkeypatch, size
):
    # A batch's receipts are not looked up before writing: the table's unique constraint
    # refuses one already stored, and the whole batch is written again with new receipts.
    round_id = open_round(conn, code_mode="open")
    first = store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores={"A": 1})
    drawn = _drawing_first(monkeypatch, [first.receipt], times=1)
    batch = [store.BallotInput(BALANCED, {"B": 1}) for _ in range(size)]
    receipts = store.submit_ballots(conn, round_id, batch)
    assert drawn == [size, size]
    assert first.receipt not in receipts and len(set(receipts)) == size
    assert [b.receipt for b in store.current_ballots(conn, round_id)] == [first.receipt, *receipts]
    assert store.projector_snapshot(conn, round_id).ballot_count == size + 1
    assert store.verify_audit_log(conn) == []


def test_a_batch_that_keeps_drawing_stored_receipts_is_refused_and_nothing_written(
    conn, monkeypatch
):
    round_id = open_round(conn, code_mode="open")
    first = store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores={"A": 1})
    drawn = _drawing_first(monkeypatch, [first.receipt], times=store_ballots.RECEIPT_ATTEMPTS)
    with pytest.raises(store.StoreError, match="no unused receipts"):
        store.submit_ballots(conn, round_id, [store.BallotInput(BALANCED, {"B": 1})])
    assert len(drawn) == store_ballots.RECEIPT_ATTEMPTS
    assert [b.receipt for b in store.current_ballots(conn, round_id)] == [first.receipt]
    assert store.projector_snapshot(conn, round_id).ballot_count == 1
    assert store.verify_audit_log(conn) == []


def test_projector_totals_follow_every_batch_revision_and_round(conn):
    rounds = [open_round(conn, name=name, ballot_format="points", max_points=4) for name in "XY"]
    for round_id in rounds:
        store.add_voter_codes(conn, round_id, [f"CODE-{n}" for n in range(12)])
        assert _summed(conn, round_id) == store.projector_snapshot(conn, round_id)
    rng = random.Random(8)
    for batch in range(6):
        round_id = rounds[batch % 2]
        ballots = []
        for _ in range(rng.randint(1, 9)):
            parks = Fraction(rng.randint(4000, 7999)) + Fraction(rng.randint(0, 99), 100)
            paper = rng.random() < 0.3
            ballots.append(
                store.BallotInput(
                    allocation={"parks": parks, "libraries": 10_000 - parks},
                    project_scores={p: rng.randint(0, 2) for p in rng.sample("ABC", 2)},
                    channel="paper" if paper else "web",
                    code=None if paper else f"CODE-{rng.randrange(12)}",  # revisions too
                )
            )
        store.submit_ballots(conn, round_id, ballots)
        for each in rounds:
            assert store.projector_snapshot(conn, each) == _summed(conn, each)
    assert raw_rows(conn, "SELECT count(*) FROM ballots WHERE superseded")[0][0] > 0


def test_the_migration_fills_the_totals_from_the_ballots_already_cast(conn):
    round_id = open_round(conn, code_mode="open")
    store.submit_ballots(
        conn,
        round_id,
        [
            store.BallotInput(allocation=BALANCED, project_scores={"A": 1}),
            store.BallotInput(allocation=BALANCED, project_scores={"B": 1}, channel="paper"),
        ],
    )
    before = store.projector_snapshot(conn, round_id)
    migration = next(sql for _, name, sql in available_migrations() if "ballot_totals" in name)
    raw_rows(conn, "DROP TABLE ballot_totals")
    raw_rows(conn, migration)
    assert store.projector_snapshot(conn, round_id) == before == _summed(conn, round_id)


def test_a_ballot_read_back_lists_its_services_in_the_rounds_order(conn):
    # The round lists parks before libraries; pages and exports show a ballot's amounts in
    # the order it reads them, whatever order they were sent in.
    round_id = open_round(conn)
    sent = {"libraries": Fraction(4000), "parks": Fraction(6000)}
    stored = store.submit_ballot(
        conn, round_id, allocation=sent, project_scores={"A": 1}, channel="paper"
    )
    receipt = stored.receipt
    (current,) = store.current_ballots(conn, round_id)
    by_receipt = store.ballot_by_receipt(conn, receipt)
    assert by_receipt is not None
    for ballot in (current, by_receipt):
        assert list(ballot.allocation) == ["parks", "libraries"]
        assert ballot.allocation == BALANCED


def test_the_votes_the_rules_read_are_the_current_ballots_in_order(conn, monkeypatch):
    """``current_votes`` reads each current ballot's amounts and scores, oldest first, as
    ``current_ballots`` does: revised ballots left out, points kept, a ballot with no
    project as no scores, and equal scores read once into one shared dict. On PostgreSQL
    both are streamed (``connection.streamed_rows``), here two rows at a time."""
    from budgeting.store import postgres

    streamed: list[str] = []
    stream = postgres.PostgresCursor.stream

    def recorded(cursor, sql, parameters):
        streamed.append(sql.split(" FROM ")[1].split()[0])
        return stream(cursor, sql, parameters)

    monkeypatch.setattr(postgres, "STREAMED_ROWS", 2)
    monkeypatch.setattr(postgres.PostgresCursor, "stream", recorded)
    round_id = open_round(
        conn, code_mode="codes", ballot_format="points", max_points=6, max_approvals=None
    )
    codes_issued = store.issue_voter_codes(conn, round_id, 3)
    given = [
        (codes_issued[0], 6_000, {"C": 1, "A": 2}),
        (codes_issued[1], 5_000, {}),
        (codes_issued[0], 7_000, {"B": 6}),  # revises the first
        (codes_issued[2], 4_000, {"A": 2, "C": 1}),
        (None, 5_500, {"A": 2, "C": 1}),
    ]
    for code, parks, scores in given:
        store.submit_ballot(
            conn,
            round_id,
            allocation={"parks": Fraction(parks), "libraries": Fraction(10_000 - parks)},
            project_scores=scores,
            code=code,
            channel="web" if code else "paper",
        )
    ballots = store.current_ballots(conn, round_id)
    votes = store.current_votes(conn, round_id)
    assert votes.ballots == len(ballots) == 4
    assert votes.allocations == [b.allocation for b in ballots]
    assert votes.scores == [b.project_scores for b in ballots]
    assert votes.scores is not None
    assert [list(s) for s in votes.scores] == [[], ["B"], ["A", "C"], ["A", "C"]]
    assert votes.scores[2] is votes.scores[3]
    only_scores = store.current_votes(conn, round_id, allocations=False)
    assert (only_scores.allocations, only_scores.scores) == (None, votes.scores)
    only_amounts = store.current_votes(conn, round_id, scores=False)
    assert (only_amounts.allocations, only_amounts.scores) == (votes.allocations, None)
    if isinstance(conn, postgres.PostgresConnection):
        scores, amounts = "ballots", "ballot_allocations"  # each query's first table
        # the whole ballots' amounts, then each current_votes call's parts
        assert streamed == [amounts, scores, amounts, scores, amounts]


def test_the_collector_is_paused_for_a_bulk_batch_and_never_for_one_ballot(conn, monkeypatch):
    from contextlib import contextmanager

    round_id = open_round(conn, code_mode="open")
    pauses: list[int] = []  # the ballots stored so far, at each pause

    @contextmanager
    def recording_pause():
        pauses.append(store.ballot_count(conn, round_id))
        yield

    monkeypatch.setattr(store_ballots, "collector_paused", recording_pause)
    one = store.BallotInput(allocation=BALANCED, project_scores={"A": 1})
    store.submit_ballots(conn, round_id, [one])
    assert pauses == []
    store.submit_ballots(conn, round_id, [one] * store_ballots.BULK_BALLOTS)
    assert pauses == [1, 1]  # checking, then writing, the batch
    assert store.ballot_count(conn, round_id) == 1 + store_ballots.BULK_BALLOTS


def test_a_database_file_checkpoints_its_log_only_past_the_bulk_threshold(tmp_path):
    """DuckDB's default checkpoints every 16 MiB of log, which cost a million-ballot load a
    sixth of its time (``WAL_CHECKPOINT``); the store's files keep more log first, and what
    the log holds is in the file once it is closed."""
    path = tmp_path / "bulk.duckdb"
    log = tmp_path / "bulk.duckdb.wal"
    conn = store.connect(str(path))
    conn.execute("CREATE TABLE filler (t VARCHAR)")
    for _ in range(4):  # about 7.5 MiB of log each: DuckDB's default checkpoints on the 4th
        conn.execute(
            "INSERT INTO filler SELECT repeat(CAST(i AS VARCHAR), 200) FROM range(10000) r(i)"
        )
    assert log.stat().st_size > 28 * 2**20
    conn.close()
    assert not log.exists()
    reopened = store.connect(str(path))
    assert reopened.execute("SELECT count(*) FROM filler").fetchall() == [(40_000,)]
    reopened.close()


@pytest.mark.timeout(60, method="thread")  # a regression hangs, holding the connection's lock
def test_a_read_stopped_by_an_error_leaves_the_connection_usable(conn, monkeypatch):
    """An error while a streamed read's rows are handled (PostgreSQL reads a round's scores
    as they come) ends the read: the snapshot is rolled back and the connection can be
    used again, instead of waiting for the rest of the rows for ever."""
    from budgeting.store import postgres, queries

    monkeypatch.setattr(postgres, "STREAMED_ROWS", 2)
    round_id = open_round(conn, ballot_format="points", max_points=6, max_approvals=None)
    for points in range(1, 7):
        store.submit_ballot(
            conn, round_id, allocation=BALANCED, project_scores={"A": points}, channel="paper"
        )
    read = queries._ScoresByText.__missing__
    seen: list[str] = []

    def failing_on_the_fourth(scores, text):
        seen.append(text)
        if len(seen) == 4:  # past the first two chunks of rows
            raise RuntimeError("stopped while reading")
        return read(scores, text)

    with monkeypatch.context() as patched:
        patched.setattr(queries._ScoresByText, "__missing__", failing_on_the_fourth)
        with pytest.raises(RuntimeError, match="stopped while reading"):
            store.current_votes(conn, round_id, allocations=False)
    votes = store.current_votes(conn, round_id)
    assert votes.ballots == 6
    assert [dict(scores) for scores in votes.scores or []] == [{"A": n} for n in range(1, 7)]
