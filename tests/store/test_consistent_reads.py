"""Reads of several queries see one moment: a ballot is never read without its rows while
ballots arrive (the projector's background decision read them while residents voted)."""

from __future__ import annotations

import threading

import pytest

from budgeting import store
from tests.store.conftest import BALANCED, open_round


@pytest.mark.slow  # writers racing readers for a while: in .ci/run
def test_ballots_read_while_others_arrive_always_come_with_their_rows(conn):
    round_id = open_round(conn, code_mode="open")
    stop = threading.Event()
    failures: list[BaseException] = []

    def voter() -> None:
        while not stop.is_set():
            store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores={"A": 1})

    writers = [threading.Thread(target=voter) for _ in range(2)]
    for writer in writers:
        writer.start()
    try:
        for _ in range(150):
            try:
                ballots = store.current_ballots(conn, round_id)
                snapshot = store.projector_snapshot(conn, round_id)
            except BaseException as error:  # a ballot read without its rows: KeyError
                failures.append(error)
                break
            assert all(b.allocation == BALANCED and b.project_scores for b in ballots)
            assert snapshot.ballot_count == sum(snapshot.project_totals.values())
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=60)
    assert failures == []
