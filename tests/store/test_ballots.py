"""Submitting, revising and reading ballots; the projector's aggregates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from budgeting import store
from budgeting.store.codes import CODE_ALPHABET
from budgeting.store.integrity import verify_audit_log
from tests.store.conftest import BALANCED, PROJECTS_CSV, SERVICES_CSV, open_round, raw_rows


def test_submit_returns_committed_ballot_with_receipt(conn, round_id):
    ballot = store.submit_ballot(
        conn,
        round_id,
        allocation=BALANCED,
        project_scores={"A": 1, "C": 1},
        code="CODE-001",
        area="North",
        age_band="35-49",
    )
    assert len(ballot.receipt) == 8 and set(ballot.receipt) <= set(CODE_ALPHABET)
    assert not ballot.superseded and ballot.channel == "web"
    assert store.ballot_count(conn, round_id) == 1
    again = store.latest_ballot(conn, round_id, "code-001")
    assert again == ballot
    assert store.ballot_by_receipt(conn, ballot.receipt.lower()) == ballot
    spaced = f" {ballot.receipt[:4].lower()}- {ballot.receipt[4:]} "
    assert store.ballot_by_receipt(conn, spaced) == ballot
    assert store.ballot_by_receipt(conn, " - ") is None
    assert store.current_ballots(conn, round_id) == [ballot]


def test_revision_supersedes_in_one_transaction(conn, round_id):
    first = store.submit_ballot(
        conn, round_id, allocation=BALANCED, project_scores={"A": 1}, code="CODE-002"
    )
    moved = {"parks": Fraction(5000), "libraries": Fraction(5000)}
    second = store.submit_ballot(
        conn, round_id, allocation=moved, project_scores={"B": 1}, code="CODE 002"
    )
    assert store.ballot_count(conn, round_id) == 1
    assert store.latest_ballot(conn, round_id, "CODE-002").receipt == second.receipt
    assert store.ballot_by_receipt(conn, first.receipt).superseded
    kinds = [(e.kind, e.details.get("ballot_id")) for e in store.audit_log(conn, round_id)[-3:]]
    assert kinds == [("ballot", first.id), ("ballot_superseded", first.id), ("ballot", second.id)]
    snapshot = store.projector_snapshot(conn, round_id)
    assert snapshot.project_totals == {"A": 0, "B": 1, "C": 0}


def test_failure_while_writing_leaves_previous_ballot_counting(conn, round_id, monkeypatch):
    first = store.submit_ballot(
        conn, round_id, allocation=BALANCED, project_scores={"A": 1}, code="CODE-003"
    )
    log_length = len(store.audit_log(conn))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("budgeting.store.ballots.append_entries", broken)
    with pytest.raises(RuntimeError):
        store.submit_ballot(
            conn, round_id, allocation=BALANCED, project_scores={"B": 1}, code="CODE-003"
        )
    monkeypatch.undo()
    assert store.latest_ballot(conn, round_id, "CODE-003") == first
    assert raw_rows(conn, "SELECT count(*) FROM ballots")[0][0] == 1
    assert raw_rows(conn, "SELECT count(*) FROM ballot_allocations")[0][0] == 2
    assert len(store.audit_log(conn)) == log_length
    assert verify_audit_log(conn) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": None}, "code"),
        ({"code": "NOT-A-CODE"}, "code"),
        ({"channel": "fax"}, "channel"),
        ({"allocation": {"parks": Fraction(9000), "libraries": Fraction(4000)}}, None),
        ({"allocation": {"parks": Fraction("5999.995"), "libraries": Fraction("4000.005")}}, None),
        ({"project_scores": {"A": 1, "B": 1, "C": 1}}, None),
        ({"project_scores": {"Z": 1}}, None),
    ],
)
def test_invalid_ballots_are_rejected_and_not_stored(conn, round_id, changes, field):
    ballot = {"allocation": BALANCED, "project_scores": {"A": 1}, "code": "CODE-004", **changes}
    with pytest.raises(store.BallotRejected) as caught:
        store.submit_ballot(conn, round_id, **ballot)
    problems = caught.value.problems
    assert problems and all(p.message("en") for p in problems)
    assert all(p.message("cy") for p in problems)
    if field is not None:
        assert field in {p.field for p in problems}
    assert store.ballot_count(conn, round_id) == 0
    assert raw_rows(conn, "SELECT count(*) FROM ballots")[0][0] == 0


@pytest.mark.parametrize("status", ["draft", "closed", "published"])
def test_ballots_only_while_open(conn, round_id, status):
    if status == "draft":
        round_id = store.create_round(
            conn, name="Draft ward", service_budget=Fraction(10_000), project_budget=Fraction(8_000)
        )
        store.import_services_csv(conn, round_id, SERVICES_CSV)
        store.import_projects_csv(conn, round_id, PROJECTS_CSV)
    else:
        store.update_round(conn, round_id, status="closed")
        store.update_round(conn, round_id, status=status)
    store.add_voter_codes(conn, round_id, ["CODE-005"])
    with pytest.raises(store.BallotRejected) as caught:
        store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores={}, code="CODE-005")
    assert [p.field for p in caught.value.problems] == ["round"]
    with pytest.raises(store.BallotRejected):
        store.submit_ballot(conn, "missing", allocation=BALANCED, project_scores={})


def test_paper_ballots_without_code_and_open_rounds(conn, round_id):
    paper = store.submit_ballot(
        conn, round_id, allocation=BALANCED, project_scores={"B": 1}, channel="paper"
    )
    assert paper.code_hash is None and paper.channel == "paper"
    open_id = open_round(conn, name="Open ward", code_mode="open")
    for _ in range(2):
        store.submit_ballot(conn, open_id, allocation=BALANCED, project_scores={"A": 1})
    assert store.ballot_count(conn, open_id) == 2


def test_submitted_at_is_kept_as_utc(conn, round_id):
    moment = datetime(2027, 3, 6, 19, 30, tzinfo=UTC) + timedelta(hours=0)
    local = moment.astimezone(__import__("datetime").timezone(timedelta(hours=1)))
    ballot = store.submit_ballot(
        conn,
        round_id,
        allocation=BALANCED,
        project_scores={},
        channel="paper",
        submitted_at=local,
    )
    assert ballot.submitted_at == datetime(2027, 3, 6, 19, 30)
    assert store.ballot_by_receipt(conn, ballot.receipt).submitted_at == datetime(
        2027, 3, 6, 19, 30
    )


def test_projector_snapshot_aggregates_current_ballots_exactly(conn, round_id):
    empty = store.projector_snapshot(conn, round_id)
    assert empty.ballot_count == 0
    assert empty.mean_allocation == {"parks": 0, "libraries": 0}
    allocations = [
        {"parks": Fraction(6000), "libraries": Fraction(4000)},
        {"parks": Fraction("5000.01"), "libraries": Fraction("4999.99")},
        {"parks": Fraction(8000), "libraries": Fraction(2000)},
    ]
    votes = [{"A": 1, "B": 1}, {"B": 1}, {"C": 1}]
    for number, (allocation, scores) in enumerate(zip(allocations, votes, strict=True), 10):
        store.submit_ballot(
            conn, round_id, allocation=allocation, project_scores=scores, code=f"CODE-{number:03d}"
        )
    store.submit_ballot(
        conn, round_id, allocation=BALANCED, project_scores={"A": 1}, channel="paper"
    )
    store.submit_ballot(
        conn, round_id, allocation=BALANCED, project_scores={"A": 1}, code="CODE-012"
    )
    snapshot = store.projector_snapshot(conn, round_id)
    assert snapshot.ballot_count == 4 and snapshot.paper_count == 1
    assert snapshot.mean_allocation == {
        "parks": (Fraction(6000) + Fraction("5000.01") + 6000 + 6000) / 4,
        "libraries": (Fraction(4000) + Fraction("4999.99") + 4000 + 4000) / 4,
    }
    assert snapshot.project_totals == {"A": 3, "B": 2, "C": 0}
    assert sum(snapshot.mean_allocation.values()) == 10_000


def test_points_ballots_keep_their_scores(conn):
    round_id = open_round(
        conn,
        name="Points",
        code_mode="open",
        ballot_format="points",
        max_points=10,
        max_approvals=None,
    )
    store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores={"A": 7, "B": 3})
    store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores={"A": 2})
    assert store.projector_snapshot(conn, round_id).project_totals == {"A": 9, "B": 3, "C": 0}
    assert store.current_ballots(conn, round_id)[0].project_scores == {"A": 7, "B": 3}


def test_submit_ballots_is_all_or_nothing(conn, round_id):
    good = store.BallotInput(BALANCED, {"A": 1}, code="CODE-020")
    bad = store.BallotInput({"parks": Fraction(1)}, {"A": 1}, code="CODE-021")
    with pytest.raises(store.BallotRejected):
        store.submit_ballots(conn, round_id, [good, bad])
    assert store.ballot_count(conn, round_id) == 0
    revised = store.BallotInput(BALANCED, {"B": 1}, code="CODE-020")
    receipts = store.submit_ballots(conn, round_id, [good, revised])
    assert [store.ballot_by_receipt(conn, r).superseded for r in receipts] == [True, False]
    assert store.latest_ballot(conn, round_id, "CODE-020").project_scores == {"B": 1}
    assert verify_audit_log(conn) == []


def test_a_ballots_area_is_found_by_id_or_name_ignoring_case_and_spacing(conn, round_id):
    store.replace_areas(
        conn,
        round_id,
        [
            {"id": "N1", "name": "North  Ward", "population": 1000},
            {"id": "north", "name": "Old North", "population": 1000},
            {"id": "S1", "name": "South", "population": 1000},
        ],
    )

    def area_of(given):
        ballot = store.submit_ballot(
            conn,
            round_id,
            allocation=BALANCED,
            project_scores={"A": 1},
            channel="paper",
            area=given,
        )
        return ballot.area

    assert area_of("s1") == "S1"
    assert area_of("  SOUTH ") == "S1"
    assert area_of("north ward") == "N1"
    assert area_of("NORTH") == "north"
    assert area_of("old   north") == "north"
    assert area_of("  ") is None
    with pytest.raises(store.BallotRejected) as rejected:
        area_of("East")
    assert [p.key for p in rejected.value.problems] == ["store.area_unknown"]
    assert "North  Ward, Old North, South" in rejected.value.problems[0].params["known"]
