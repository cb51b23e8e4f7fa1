"""Ballots: submitting, revising (superseding), reading, and the projector's aggregates.

A ballot is validated first (by the engine's rules, against the round's settings), then
written in one transaction together with its audit entry and, when the voter code already
has a ballot, the supersession of that ballot. ``submit_ballot`` returns only after the
transaction has committed, so a receipt shown to a resident is always for a stored ballot.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import duckdb

from budgeting.store.audit import append_entries, canonical_json
from budgeting.store.codes import CODE_ALPHABET, hash_code, normalise_code, round_salt
from budgeting.store.connection import insert_rows, read_cursor, utc_now, write_transaction
from budgeting.store.models import (
    CHANNELS,
    BallotRejected,
    Problem,
    ProjectorSnapshot,
    Round,
    StoredBallot,
    StoreProblem,
)
from budgeting.store.money import from_minor, to_minor
from budgeting.store.rounds import get_round, list_projects, list_services
from budgeting.store.validation import parse_ballot

RECEIPT_LENGTH = 8
_BALLOT_COLUMNS = (
    "id",
    "round_id",
    "receipt",
    "channel",
    "submitted_at",
    "code_hash",
    "area",
    "age_band",
    "superseded",
)


@dataclass(frozen=True)
class BallotInput:
    """A ballot as a resident or officer hands it in (money in pounds)."""

    allocation: Mapping[str, Any]
    project_scores: Mapping[str, int]
    channel: str = "web"
    code: str | None = None
    area: str | None = None
    age_band: str | None = None
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class _Prepared:
    """A validated ballot ready to write: pence, scores and the code's hash."""

    allocation: dict[str, int]
    scores: dict[str, int]
    channel: str
    code_hash: str | None
    area: str | None
    age_band: str | None
    submitted_at: datetime | None


def ballot_digest(
    round_id: str,
    receipt: str,
    channel: str,
    submitted_at: datetime,
    code_hash: str | None,
    area: str | None,
    age_band: str | None,
    allocation: Mapping[str, int],
    scores: Mapping[str, int],
) -> str:
    """SHA-256 over a ballot's full content (pence and scores), as recorded in the audit log."""
    content = canonical_json(
        {
            "round_id": round_id,
            "receipt": receipt,
            "channel": channel,
            "submitted_at": submitted_at.isoformat(),
            "code_hash": code_hash,
            "area": area,
            "age_band": age_band,
            "allocation": dict(allocation),
            "scores": dict(scores),
        }
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _rejected(field: str, key: str, **params: Any) -> BallotRejected:
    return BallotRejected([StoreProblem(field, key, params)])


def _prepare(
    round_: Round,
    services: list[Any],
    projects: list[Any],
    salt: str,
    ballot: BallotInput,
) -> _Prepared:
    """Validate one ballot and convert it for storage; ``BallotRejected`` when invalid."""
    problems: list[Problem] = []
    if ballot.channel not in CHANNELS:
        problems.append(StoreProblem("channel", "store.channel_unknown"))
    if round_.code_mode == "codes" and ballot.channel == "web" and not ballot.code:
        problems.append(StoreProblem("code", "store.code_required"))
    amounts, scores, ballot_problems = parse_ballot(
        round_, services, projects, ballot.allocation, ballot.project_scores
    )
    problems.extend(ballot_problems)
    if problems:
        raise BallotRejected(problems)
    code_hash = (
        hash_code(ballot.code, salt) if ballot.code and normalise_code(ballot.code) else None
    )
    return _Prepared(
        allocation={service_id: to_minor(amount) for service_id, amount in amounts.items()},
        scores=scores,
        channel=ballot.channel,
        code_hash=code_hash,
        area=ballot.area or None,
        age_band=ballot.age_band or None,
        submitted_at=_naive_utc(ballot.submitted_at),
    )


def _naive_utc(moment: datetime | None) -> datetime | None:
    """A time as the naive UTC the database holds (aware times are converted)."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _new_receipts(cursor: duckdb.DuckDBPyConnection, count: int) -> list[str]:
    """``count`` receipt codes not yet used by any ballot, in random order.

    Receipts are random (8 characters from a 31-letter alphabet, about 40 bits), so their
    order says nothing about when ballots were cast.
    """
    receipts: dict[str, None] = {}
    while len(receipts) < count:
        fresh = [
            "".join(secrets.choice(CODE_ALPHABET) for _ in range(RECEIPT_LENGTH))
            for _ in range(count - len(receipts))
        ]
        taken = {
            row[0]
            for row in cursor.execute(
                "SELECT receipt FROM ballots WHERE receipt IN (SELECT unnest(?))", [fresh]
            ).fetchall()
        }
        receipts.update(dict.fromkeys(receipt for receipt in fresh if receipt not in taken))
    return list(receipts)


def _write(
    cursor: duckdb.DuckDBPyConnection, round_id: str, prepared: list[_Prepared]
) -> list[StoredBallot]:
    """Write validated ballots inside the caller's transaction, superseding earlier ones."""
    status = cursor.execute("SELECT status FROM rounds WHERE id = ?", [round_id]).fetchall()
    if not status or status[0][0] != "open":
        raise _rejected("round", "store.round_not_open")
    code_hashes = sorted({p.code_hash for p in prepared if p.code_hash is not None})
    previous: dict[str, int] = {}
    if code_hashes:
        known = cursor.execute(
            "SELECT code_hash FROM voter_codes WHERE round_id = ?"
            " AND code_hash IN (SELECT unnest(?))",
            [round_id, code_hashes],
        ).fetchall()
        if len(known) != len(code_hashes):
            raise _rejected("code", "store.code_unknown")
        previous = dict(
            cursor.execute(
                "SELECT code_hash, id FROM ballots WHERE round_id = ? AND NOT superseded"
                " AND code_hash IN (SELECT unnest(?))",
                [round_id, code_hashes],
            ).fetchall()
        )
    ids = [
        row[0]
        for row in cursor.execute(
            "SELECT nextval('ballot_ids') FROM range(?)", [len(prepared)]
        ).fetchall()
    ]
    receipts = _new_receipts(cursor, len(prepared))
    now = utc_now()
    stored: list[StoredBallot] = []
    audit: list[tuple[str, dict[str, Any], datetime]] = []
    superseded_ids: list[int] = []
    for ballot_id, receipt, ballot in zip(ids, receipts, prepared, strict=True):
        at = ballot.submitted_at or now
        earlier = previous.get(ballot.code_hash) if ballot.code_hash else None
        if earlier is not None:
            superseded_ids.append(earlier)
            audit.append(("ballot_superseded", {"ballot_id": earlier, "by": ballot_id}, at))
        if ballot.code_hash:
            previous[ballot.code_hash] = ballot_id
        digest = ballot_digest(
            round_id,
            receipt,
            ballot.channel,
            at,
            ballot.code_hash,
            ballot.area,
            ballot.age_band,
            ballot.allocation,
            ballot.scores,
        )
        audit.append(
            (
                "ballot",
                {
                    "ballot_id": ballot_id,
                    "receipt": receipt,
                    "channel": ballot.channel,
                    "digest": digest,
                },
                at,
            )
        )
        stored.append(
            StoredBallot(
                id=ballot_id,
                round_id=round_id,
                receipt=receipt,
                channel=ballot.channel,  # type: ignore[arg-type]
                submitted_at=at,
                code_hash=ballot.code_hash,
                area=ballot.area,
                age_band=ballot.age_band,
                allocation={sid: from_minor(v) for sid, v in ballot.allocation.items()},
                project_scores=dict(ballot.scores),
            )
        )
    within_batch = {s.id for s in stored}
    superseded_stored = [i for i in superseded_ids if i not in within_batch]
    if superseded_stored:
        cursor.execute(
            "UPDATE ballots SET superseded = true WHERE id IN (SELECT unnest(?))",
            [superseded_stored],
        )
    superseded_new = set(superseded_ids) & within_batch
    insert_rows(
        cursor,
        "ballots",
        _BALLOT_COLUMNS,
        [
            (
                s.id,
                round_id,
                s.receipt,
                s.channel,
                s.submitted_at,
                s.code_hash,
                s.area,
                s.age_band,
                s.id in superseded_new,
            )
            for s in stored
        ],
    )
    insert_rows(
        cursor,
        "ballot_allocations",
        ("ballot_id", "service_id", "amount_minor"),
        [
            (b.id, sid, amount)
            for b, p in zip(stored, prepared, strict=True)
            for sid, amount in p.allocation.items()
        ],
    )
    insert_rows(
        cursor,
        "ballot_project_scores",
        ("ballot_id", "project_id", "score"),
        [
            (b.id, pid, score)
            for b, p in zip(stored, prepared, strict=True)
            for pid, score in p.scores.items()
        ],
    )
    append_entries(cursor, round_id, audit)
    return [replace(s, superseded=s.id in superseded_new) for s in stored]


def _round_context(
    conn: duckdb.DuckDBPyConnection, round_id: str
) -> tuple[Round, list[Any], list[Any], str]:
    round_ = get_round(conn, round_id)
    if round_ is None:
        raise _rejected("round", "store.round_unknown")
    with read_cursor(conn) as cursor:
        salt = round_salt(cursor, round_id)
    return round_, list_services(conn, round_id), list_projects(conn, round_id), salt


def submit_ballot(
    conn: duckdb.DuckDBPyConnection,
    round_id: str,
    *,
    allocation: Mapping[str, Any],
    project_scores: Mapping[str, int],
    channel: str = "web",
    code: str | None = None,
    area: str | None = None,
    age_band: str | None = None,
    submitted_at: datetime | None = None,
) -> StoredBallot:
    """Validate and store one ballot; returns it (with its receipt) once committed.

    A ballot with a voter code that already has a ballot supersedes that ballot in the same
    transaction. Raises ``BallotRejected`` (nothing stored) when the ballot is invalid, the
    round is not open, or the code is unknown. ``submitted_at`` (UTC) is for paper ballots
    entered later and for loading recorded ballots; it defaults to now.
    """
    ballot = BallotInput(allocation, project_scores, channel, code, area, age_band, submitted_at)
    round_, services, projects, salt = _round_context(conn, round_id)
    prepared = _prepare(round_, services, projects, salt, ballot)
    with write_transaction(conn) as cursor:
        return _write(cursor, round_id, [prepared])[0]


def check_ballots(
    conn: duckdb.DuckDBPyConnection, round_id: str, ballots: Iterable[BallotInput]
) -> list[tuple[int, list[Problem]]]:
    """(position, problems) for every ballot that would be rejected; empty when all are fine.

    Checks content and codes' presence; whether each code is known is checked on writing.
    """
    round_, services, projects, salt = _round_context(conn, round_id)
    failures = []
    for index, ballot in enumerate(ballots):
        try:
            _prepare(round_, services, projects, salt, ballot)
        except BallotRejected as rejected:
            failures.append((index, rejected.problems))
    return failures


def submit_ballots(
    conn: duckdb.DuckDBPyConnection, round_id: str, ballots: Iterable[BallotInput]
) -> list[StoredBallot]:
    """Validate and store many ballots in one transaction (all or none), in order.

    The same rules as ``submit_ballot``: a later ballot with the same code supersedes an
    earlier one. Raises ``BallotRejected`` for the first invalid ballot, storing nothing.
    """
    round_, services, projects, salt = _round_context(conn, round_id)
    prepared = [_prepare(round_, services, projects, salt, ballot) for ballot in ballots]
    if not prepared:
        return []
    with write_transaction(conn) as cursor:
        return _write(cursor, round_id, prepared)


def _load(
    cursor: duckdb.DuckDBPyConnection, condition: str, params: list[Any]
) -> list[StoredBallot]:
    """Ballots matching ``condition`` (a fixed SQL fragment over ``b``), with their parts."""
    rows = cursor.execute(
        f"SELECT {', '.join('b.' + c for c in _BALLOT_COLUMNS)} FROM ballots b"
        f" WHERE {condition} ORDER BY b.id",
        params,
    ).fetchall()
    allocations: dict[int, dict[str, Fraction]] = {row[0]: {} for row in rows}
    scores: dict[int, dict[str, int]] = {row[0]: {} for row in rows}
    for ballot_id, service_id, amount in cursor.execute(
        "SELECT a.ballot_id, a.service_id, a.amount_minor FROM ballot_allocations a"
        f" JOIN ballots b ON b.id = a.ballot_id WHERE {condition}",
        params,
    ).fetchall():
        allocations[ballot_id][service_id] = from_minor(amount)
    for ballot_id, project_id, score in cursor.execute(
        "SELECT s.ballot_id, s.project_id, s.score FROM ballot_project_scores s"
        f" JOIN ballots b ON b.id = s.ballot_id WHERE {condition}",
        params,
    ).fetchall():
        scores[ballot_id][project_id] = score
    return [
        StoredBallot(
            id=bid,
            round_id=rid,
            receipt=receipt,
            channel=channel,
            submitted_at=at,
            code_hash=code_hash,
            area=area,
            age_band=age_band,
            allocation=allocations[bid],
            project_scores=scores[bid],
            superseded=superseded,
        )
        for bid, rid, receipt, channel, at, code_hash, area, age_band, superseded in rows
    ]


def latest_ballot(conn: duckdb.DuckDBPyConnection, round_id: str, code: str) -> StoredBallot | None:
    """The ballot that currently counts for this voter code, if any."""
    if not normalise_code(code):
        return None
    with read_cursor(conn) as cursor:
        rows = cursor.execute("SELECT code_salt FROM rounds WHERE id = ?", [round_id]).fetchall()
        if not rows:
            return None
        code_hash = hash_code(code, rows[0][0])
        found = _load(
            cursor,
            "b.round_id = ? AND b.code_hash = ? AND NOT b.superseded",
            [round_id, code_hash],
        )
    return found[-1] if found else None


def ballot_by_receipt(conn: duckdb.DuckDBPyConnection, receipt: str) -> StoredBallot | None:
    """The ballot with this receipt code (superseded or not), so residents can check it."""
    with read_cursor(conn) as cursor:
        found = _load(cursor, "b.receipt = ?", [receipt.strip().upper()])
    return found[0] if found else None


def ballot_count(conn: duckdb.DuckDBPyConnection, round_id: str) -> int:
    """How many ballots currently count (superseded ones excluded)."""
    with read_cursor(conn) as cursor:
        return cursor.execute(
            "SELECT count(*) FROM ballots WHERE round_id = ? AND NOT superseded", [round_id]
        ).fetchall()[0][0]


def current_ballots(conn: duckdb.DuckDBPyConnection, round_id: str) -> list[StoredBallot]:
    """Every ballot that currently counts, oldest first."""
    with read_cursor(conn) as cursor:
        return _load(cursor, "b.round_id = ? AND NOT b.superseded", [round_id])


def projector_snapshot(conn: duckdb.DuckDBPyConnection, round_id: str) -> ProjectorSnapshot:
    """Live figures over current ballots: count, mean allocation per service, project totals.

    Every service and project of the round appears (zero when nobody chose it). The mean
    divides each service's total by the number of current ballots.
    """
    with read_cursor(conn) as cursor:
        count, paper = cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE channel = 'paper') FROM ballots"
            " WHERE round_id = ? AND NOT superseded",
            [round_id],
        ).fetchall()[0]
        totals = cursor.execute(
            "SELECT s.id, coalesce(t.total, 0) FROM services s LEFT JOIN ("
            "  SELECT a.service_id, sum(a.amount_minor) AS total FROM ballot_allocations a"
            "  JOIN ballots b ON b.id = a.ballot_id"
            "  WHERE b.round_id = ? AND NOT b.superseded GROUP BY a.service_id"
            ") t ON t.service_id = s.id WHERE s.round_id = ? ORDER BY s.position",
            [round_id, round_id],
        ).fetchall()
        scores = cursor.execute(
            "SELECT p.id, coalesce(t.total, 0) FROM projects p LEFT JOIN ("
            "  SELECT v.project_id, sum(v.score) AS total FROM ballot_project_scores v"
            "  JOIN ballots b ON b.id = v.ballot_id"
            "  WHERE b.round_id = ? AND NOT b.superseded GROUP BY v.project_id"
            ") t ON t.project_id = p.id WHERE p.round_id = ? ORDER BY p.position",
            [round_id, round_id],
        ).fetchall()
    return ProjectorSnapshot(
        ballot_count=count,
        mean_allocation={
            sid: Fraction(int(total), 100 * count) if count else Fraction(0)
            for sid, total in totals
        },
        project_totals={pid: int(total) for pid, total in scores},
        paper_count=paper,
    )


def ballot_digests(conn: duckdb.DuckDBPyConnection) -> dict[int, tuple[str, bool]]:
    """Every stored ballot's content digest and superseded flag, for verifying the log."""
    with read_cursor(conn) as cursor:
        ballots = _load(cursor, "true", [])
    return {
        b.id: (
            ballot_digest(
                b.round_id,
                b.receipt,
                b.channel,
                b.submitted_at,
                b.code_hash,
                b.area,
                b.age_band,
                {sid: to_minor(v) for sid, v in b.allocation.items()},
                b.project_scores,
            ),
            b.superseded,
        )
        for b in ballots
    }
