"""Many threads submitting through cursors of one connection: exact counts, unique receipts."""

from __future__ import annotations

import threading

from budgeting import store
from tests.store.conftest import BALANCED, open_round

THREADS = 8
PER_THREAD = 12


def test_concurrent_submissions_and_revisions(conn):
    round_id = open_round(conn)
    codes = store.issue_voter_codes(conn, round_id, THREADS * PER_THREAD)
    receipts: list[str] = []
    errors: list[BaseException] = []
    snapshots: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS + 2)  # voters, the projector and this thread

    def voter(thread: int) -> None:
        start.wait()
        mine = codes[thread * PER_THREAD : (thread + 1) * PER_THREAD]
        try:
            for index, code in enumerate(mine):
                scores = {"A": 1} if index % 2 else {"B": 1}
                ballot = store.submit_ballot(
                    conn, round_id, allocation=BALANCED, project_scores=scores, code=code
                )
                with lock:
                    receipts.append(ballot.receipt)
                if index % 3 == 0:
                    revised = store.submit_ballot(
                        conn, round_id, allocation=BALANCED, project_scores={"C": 1}, code=code
                    )
                    with lock:
                        receipts.append(revised.receipt)
        except BaseException as error:  # reported below, with the thread that failed
            errors.append(error)

    def projector() -> None:
        start.wait()
        for _ in range(20):
            snapshots.append(store.projector_snapshot(conn, round_id).ballot_count)

    threads = [threading.Thread(target=voter, args=(t,)) for t in range(THREADS)]
    threads.append(threading.Thread(target=projector))
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    total = THREADS * PER_THREAD
    revisions = THREADS * len(range(0, PER_THREAD, 3))
    assert len(receipts) == total + revisions == len(set(receipts))
    assert store.ballot_count(conn, round_id) == total
    snapshot = store.projector_snapshot(conn, round_id)
    per_thread_c = len(range(0, PER_THREAD, 3))
    per_thread_a = len([i for i in range(PER_THREAD) if i % 2 and i % 3])
    assert snapshot.project_totals == {
        "A": THREADS * per_thread_a,
        "B": total - THREADS * (per_thread_a + per_thread_c),
        "C": THREADS * per_thread_c,
    }
    assert snapshots == sorted(snapshots) and all(0 <= n <= total for n in snapshots)
    assert store.verify_audit_log(conn) == []
