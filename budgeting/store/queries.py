"""Reading ballots back: a resident's current ballot, a receipt check, and the figures the
projector and the results show. Nothing here writes.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from budgeting.engine.bulk import collector_paused
from budgeting.store.codes import hash_code, known_code_hashes, normalise_code, round_salt
from budgeting.store.connection import (
    Connection,
    Cursor,
    read_cursor,
    read_snapshot,
    streamed_rows,
)
from budgeting.store.models import (
    ProjectorSnapshot,
    RoundVotes,
    StoredBallot,
    StoreError,
    VoterCodeCheck,
)
from budgeting.store.money import MinorAmounts
from budgeting.store.round_cache import kept_a_moment

BALLOT_COLUMNS = (
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


def load_ballots(
    cursor: Cursor, condition: str, params: list[Any], *, whole_round: bool = False
) -> list[StoredBallot]:
    """Ballots matching ``condition`` (a fixed SQL fragment over ``b``), with their parts.

    ``whole_round``: the condition matches a round's worth of ballots, so their amounts are
    read one row per ballot (``_allocations_by_ballot``); a few ballots (a receipt, a
    code's ballot) read them one row per amount, a single indexed lookup.
    """
    rows = cursor.execute(
        f"SELECT {', '.join('b.' + c for c in BALLOT_COLUMNS)} FROM ballots b"
        f" WHERE {condition} ORDER BY b.id",
        params,
    ).fetchall()
    if not rows:  # a first vote's code, a mistyped receipt: no parts to read
        return []
    if whole_round:
        allocations = _allocations_by_ballot(cursor, condition, params)
    else:
        allocations = _allocations_by_amount(cursor, condition, params)
    scores: dict[int, dict[str, int]] = {row[0]: {} for row in rows}
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
            allocation=allocations.get(bid, {}),
            project_scores=scores[bid],
            superseded=superseded,
        )
        for bid, rid, receipt, channel, at, code_hash, area, age_band, superseded in rows
    ]


def _allocations_by_amount(
    cursor: Cursor, condition: str, params: list[Any]
) -> dict[int, dict[str, Fraction]]:
    """The allocations of the ballots matching ``condition``: ballot id -> service -> pounds,
    one row per amount, in the order they were written (the round's)."""
    allocations: dict[int, dict[str, Fraction]] = {}
    pounds = MinorAmounts()
    for ballot_id, service_id, amount in cursor.execute(
        "SELECT a.ballot_id, a.service_id, a.amount_minor FROM ballot_allocations a"
        f" JOIN ballots b ON b.id = a.ballot_id WHERE {condition}",
        params,
    ).fetchall():
        allocations.setdefault(ballot_id, {})[service_id] = pounds[amount]
    return allocations


def _allocations_by_ballot(
    cursor: Cursor, condition: str, params: list[Any]
) -> dict[int, dict[str, Fraction]]:
    """``_allocations_by_amount`` read one row per ballot, one column per service (a ballot
    holds each service once), services in their round's order: a round's million ballots
    are twelve million amounts, and building them row by row in Python took most of
    reading the round back. Two more queries than one row per amount, so only for a round's
    worth of ballots."""
    services = list(
        dict.fromkeys(
            row[0]
            for row in cursor.execute(
                "SELECT DISTINCT a.service_id, s.position FROM ballot_allocations a"
                " JOIN ballots b ON b.id = a.ballot_id"
                " LEFT JOIN services s ON s.round_id = b.round_id AND s.id = a.service_id"
                f" WHERE {condition} ORDER BY s.position, a.service_id",
                params,
            ).fetchall()
        )
    )
    if not services:
        return {}
    columns = ", ".join(["max(CASE WHEN a.service_id = ? THEN a.amount_minor END)"] * len(services))
    pounds = MinorAmounts()
    with streamed_rows(
        cursor,
        f"SELECT a.ballot_id, {columns} FROM ballot_allocations a"
        f" JOIN ballots b ON b.id = a.ballot_id WHERE {condition} GROUP BY a.ballot_id",
        [*services, *params],
    ) as rows:
        return {
            ballot_id: {
                service: pounds[amount]
                for service, amount in zip(services, amounts, strict=True)
                if amount is not None
            }
            for ballot_id, *amounts in rows
        }


def latest_ballot(conn: Connection, round_id: str, code: str) -> StoredBallot | None:
    """The ballot that currently counts for this voter code, if any."""
    with read_snapshot(conn) as cursor:
        code_hash = _code_hash(cursor, round_id, code)
        return None if code_hash is None else _counted_ballot(cursor, round_id, code_hash)


def voter_code_check(conn: Connection, round_id: str, code: str) -> VoterCodeCheck:
    """Whether ``code`` may vote in the round, and the ballot that counts for it now, read
    together: the code is hashed once (scrypt is slow on purpose)."""
    unknown = VoterCodeCheck("unknown", None)
    with read_snapshot(conn) as cursor:
        code_hash = _code_hash(cursor, round_id, code)
        if code_hash is None:
            return unknown
        if not known_code_hashes(cursor, round_id, [code_hash]):
            return unknown
        return VoterCodeCheck("valid", _counted_ballot(cursor, round_id, code_hash))


def _code_hash(cursor: Cursor, round_id: str, code: str) -> str | None:
    """The code's hash with the round's salt; None for no code or no such round."""
    if not normalise_code(code):
        return None
    try:
        return hash_code(code, round_salt(cursor, round_id))
    except StoreError:
        return None


def _counted_ballot(cursor: Cursor, round_id: str, code_hash: str) -> StoredBallot | None:
    """The ballot that counts for the code with this hash, if any."""
    found = load_ballots(
        cursor,
        "b.round_id = ? AND b.code_hash = ? AND NOT b.superseded",
        [round_id, code_hash],
    )
    return found[-1] if found else None


def ballot_by_receipt(conn: Connection, receipt: str) -> StoredBallot | None:
    """The ballot with this receipt code (superseded or not), so residents can check it.

    The code is read as residents type it: any case, with spaces or hyphens (``abcd-2345``
    is ``ABCD2345``); one that normalises to nothing finds no ballot."""
    wanted = normalise_code(receipt)
    if not wanted:
        return None
    with read_snapshot(conn) as cursor:
        found = load_ballots(cursor, "b.receipt = ?", [wanted])
    return found[0] if found else None


def ballot_count(conn: Connection, round_id: str) -> int:
    """How many ballots currently count (superseded ones excluded)."""
    with read_cursor(conn) as cursor:
        rows = cursor.execute(
            "SELECT count(*) FROM ballots WHERE round_id = ? AND NOT superseded", [round_id]
        ).fetchall()
    return int(rows[0][0])


_CURRENT = "b.round_id = ? AND NOT b.superseded"
"""The ballots of a round that currently count (``b``: ballots; the round id its parameter)."""


def current_ballots(conn: Connection, round_id: str) -> list[StoredBallot]:
    """Every ballot that currently counts, oldest first."""
    with read_snapshot(conn) as cursor, collector_paused():
        return load_ballots(cursor, _CURRENT, [round_id], whole_round=True)


def current_votes(
    conn: Connection, round_id: str, *, allocations: bool = True, scores: bool = True
) -> RoundVotes:
    """What the rules read of the ballots that currently count, oldest first, from one
    snapshot: their amounts (``allocations``) and their project scores (``scores``).

    Lighter than ``current_ballots`` (no receipts, codes or times, and only the parts
    asked for): a selection rule over a million ballots reads only their scores.
    """
    params = [round_id]
    with read_snapshot(conn) as cursor, collector_paused():
        if scores:
            ids, choices = _shared_scores_in_order(cursor, _CURRENT, params)
        else:
            ids, choices = _ballot_ids(cursor, _CURRENT, params), None
        amounts = _allocations_by_ballot(cursor, _CURRENT, params) if allocations else None
    return RoundVotes(
        ballots=len(ids),
        allocations=None if amounts is None else [amounts.get(i, {}) for i in ids],
        scores=choices,
    )


def _ballot_ids(cursor: Cursor, condition: str, params: list[Any]) -> list[int]:
    """The ids of the ballots matching ``condition``, oldest first."""
    return [
        row[0]
        for row in cursor.execute(
            f"SELECT b.id FROM ballots b WHERE {condition} ORDER BY b.id", params
        ).fetchall()
    ]


def _shared_scores_in_order(
    cursor: Cursor, condition: str, params: list[Any]
) -> tuple[list[int], list[dict[str, int]]]:
    """The ids of the ballots matching ``condition``, oldest first, and each one's project
    scores in project id order, one shared dict for each distinct set of scores (one empty
    dict for every ballot that chose no project). Each ballot's scores come as one text
    (``C:2 A:1``: project ids hold no spaces, ``ID_PATTERN``), so each distinct text is
    read once."""
    shared = _ScoresByText()
    ids: list[int] = []
    choices: list[dict[str, int]] = []
    with streamed_rows(
        cursor,
        "SELECT b.id, string_agg(s.project_id || ':' || CAST(s.score AS VARCHAR), ' ')"
        " FROM ballots b LEFT JOIN ballot_project_scores s ON s.ballot_id = b.id"
        f" WHERE {condition} GROUP BY b.id ORDER BY b.id",
        params,
    ) as rows:
        for ballot_id, text in rows:
            ids.append(ballot_id)
            choices.append(shared[text or ""])
    return ids, choices


class _ScoresByText(dict[str, dict[str, int]]):
    """``C:2 A:1`` -> {A: 1, C: 2}, each distinct text read once, each distinct item
    (``C:2``) split once, and texts that list the same scores in another order (the
    database aggregates in no set order) given the same dict."""

    def __init__(self) -> None:
        super().__init__()
        self._items = _ScoreItems()
        self._by_pairs: dict[tuple[tuple[str, int], ...], dict[str, int]] = {}

    def __missing__(self, text: str) -> dict[str, int]:
        pairs = tuple(sorted(map(self._items.__getitem__, text.split())))
        scores = self[text] = self._by_pairs.setdefault(pairs, dict(pairs))
        return scores


class _ScoreItems(dict[str, tuple[str, int]]):
    """``C:2`` -> (C, 2)."""

    def __missing__(self, item: str) -> tuple[str, int]:
        project_id, _, score = item.rpartition(":")
        pair = self[item] = (project_id, int(score))
        return pair


def projector_snapshot(conn: Connection, round_id: str) -> ProjectorSnapshot:
    """Live figures over current ballots: count, mean allocation per service, project totals.

    Every service and project of the round appears (zero when nobody chose it). The mean
    divides each service's total by the number of current ballots. The figures are the
    running totals every ballot write keeps (``ballot_totals``): a few rows to read
    however many ballots the round has.
    """
    with read_snapshot(conn) as cursor:
        counts = dict(
            cursor.execute(
                "SELECT kind, total FROM ballot_totals"
                " WHERE round_id = ? AND kind IN ('ballots', 'paper')",
                [round_id],
            ).fetchall()
        )
        totals = cursor.execute(
            "SELECT s.id, coalesce(t.total, 0) FROM services s LEFT JOIN ballot_totals t"
            " ON t.round_id = s.round_id AND t.kind = 'service' AND t.item = s.id"
            " WHERE s.round_id = ? ORDER BY s.position",
            [round_id],
        ).fetchall()
        scores = cursor.execute(
            "SELECT p.id, coalesce(t.total, 0) FROM projects p LEFT JOIN ballot_totals t"
            " ON t.round_id = p.round_id AND t.kind = 'project' AND t.item = p.id"
            " WHERE p.round_id = ? ORDER BY p.position",
            [round_id],
        ).fetchall()
    count = int(counts.get("ballots", 0))
    return ProjectorSnapshot(
        ballot_count=count,
        mean_allocation={
            sid: Fraction(int(total), 100 * count) if count else Fraction(0)
            for sid, total in totals
        },
        project_totals={pid: int(total) for pid, total in scores},
        paper_count=int(counts.get("paper", 0)),
    )


def shared_projector_snapshot(conn: Connection, round_id: str) -> ProjectorSnapshot:
    """``projector_snapshot``, read at most once every ``FRESH_SECONDS`` for all the
    projectors showing the round (``budgeting.store.round_cache``)."""
    snapshot = kept_a_moment(
        conn, round_id, "projector", lambda: projector_snapshot(conn, round_id)
    )
    assert snapshot is not None  # projector_snapshot always answers
    return snapshot
