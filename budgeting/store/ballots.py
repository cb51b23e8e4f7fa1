"""Ballots: submitting and revising (superseding). Reading them back is ``queries``.

A ballot is validated first (by the engine's rules, against the round's settings), then
written in one transaction together with its audit entry and, when the voter code already
has a ballot, the supersession of that ballot. ``submit_ballot`` returns only after the
transaction has committed, so a receipt shown to a resident is always for a stored ballot.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, repeat
from operator import attrgetter
from typing import Any, NamedTuple, cast

from budgeting.engine.bulk import collector_paused, sums_by_key
from budgeting.store.audit import append_entries
from budgeting.store.codes import CodeHasher, checked_hasher, known_code_hashes, random_codes
from budgeting.store.connection import (
    Connection,
    Cursor,
    insert_columns,
    is_duplicate,
    read_cursor,
    utc_now,
    write_transaction,
)
from budgeting.store.integrity import ballot_content, ballot_digest, ballot_parts
from budgeting.store.models import (
    AGE_BANDS,
    CHANNELS,
    Area,
    BallotRejected,
    Channel,
    Problem,
    Round,
    StoredBallot,
    StoreError,
    StoreProblem,
)
from budgeting.store.money import from_minor, to_minor
from budgeting.store.queries import BALLOT_COLUMNS
from budgeting.store.rounds import get_round, list_areas, list_projects, list_services
from budgeting.store.validation import BallotRules, ballot_rules

RECEIPT_LENGTH = 8
RECEIPT_ATTEMPTS = 5
"""How many times a batch is written before a clash of receipts is given up as an error."""
BULK_BALLOTS = 1_000
"""Batches of at least this many ballots are handled with the garbage collector paused."""


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


class PreparedBallot(NamedTuple):
    """A validated ballot ready to write: pence, scores and the code's hash (a named tuple,
    made in half the time of a frozen dataclass: a bulk load makes one per ballot)."""

    allocation: dict[str, int]
    scores: dict[str, int]
    channel: Channel
    code_hash: str | None
    area: str | None
    age_band: str | None
    submitted_at: datetime | None


def _rejected(field: str, key: str, **params: Any) -> BallotRejected:
    return BallotRejected([StoreProblem(field, key, params)])


@dataclass(frozen=True)
class BallotChecker:
    """What a ballot is checked against, read once for a batch of ballots: the round, the
    rules of its services and projects, its voter codes' hasher (each distinct code hashed
    once) and its areas."""

    round_: Round
    rules: BallotRules
    code_hash: CodeHasher
    areas: list[Area]

    def area_id(self, area: str | None) -> str | None:
        """The round's area a ballot names, by id or name (case and spacing ignored), as its
        id; the text as given when the round lists no areas; ``None`` for none. Raises
        ``LookupError`` for an area the round does not have."""
        if not area or not area.strip():
            return None
        if not self.areas:
            return area.strip()
        found = self._area_ids.get(_area_key(area))
        if found is None:
            raise LookupError(area)
        return found

    @functools.cached_property
    def _area_ids(self) -> dict[str, str]:
        """Each area's id under its id and its name with case (and in names, spacing)
        ignored; where two areas answer to the same text, the first listed wins."""
        found: dict[str, str] = {}
        for known in self.areas:
            found.setdefault(known.id.casefold(), known.id)
            found.setdefault(_area_key(known.name), known.id)
        return found

    def prepare(self, ballot: BallotInput) -> PreparedBallot:
        """Validate one ballot and convert it for storage; ``BallotRejected`` when invalid.

        Checks content and the code's presence; whether the code is known is checked on
        writing.
        """
        problems: list[Problem] = []
        if ballot.channel not in CHANNELS:
            problems.append(StoreProblem("channel", "store.channel_unknown"))
        code_hash = self.code_hash(ballot.code)  # None when blank once normalised ("-", "  ")
        if self.round_.code_mode == "codes" and ballot.channel == "web" and code_hash is None:
            problems.append(StoreProblem("code", "store.code_required"))
        amounts, scores, ballot_problems = self.rules.parse(
            ballot.allocation, ballot.project_scores
        )
        problems.extend(ballot_problems)
        try:
            area = self.area_id(ballot.area)
        except LookupError:
            known = ", ".join(a.name for a in self.areas)
            problems.append(StoreProblem("area", "store.area_unknown", {"known": known}))
        if ballot.age_band and ballot.age_band not in AGE_BANDS:
            bands = ", ".join(AGE_BANDS)
            problems.append(StoreProblem("age_band", "store.age_band_unknown", {"bands": bands}))
        if problems:
            raise BallotRejected(problems)
        return PreparedBallot(
            allocation={service_id: to_minor(amount) for service_id, amount in amounts.items()},
            scores=scores,
            channel=cast(Channel, ballot.channel),  # one of CHANNELS: checked above
            code_hash=code_hash,
            area=area,
            age_band=ballot.age_band or None,
            submitted_at=_naive_utc(ballot.submitted_at),
        )


def _area_key(text: str) -> str:
    """Area text as it is looked up: case and spacing ignored."""
    return " ".join(text.split()).casefold()


def ballot_checker(
    conn: Connection, round_id: str, hasher: CodeHasher | None = None
) -> BallotChecker:
    """The checker for ballots of ``round_id``; ``BallotRejected`` when there is no such round.

    ``hasher`` (the round's, from ``code_hasher``) reuses codes already hashed.
    """
    round_ = get_round(conn, round_id)
    if round_ is None:
        raise _rejected("round", "store.round_unknown")
    with read_cursor(conn) as cursor:
        hash_of = checked_hasher(cursor, round_id, hasher)
    return BallotChecker(
        round_,
        ballot_rules(round_, list_services(conn, round_id), list_projects(conn, round_id)),
        hash_of,
        list_areas(conn, round_id),
    )


def _naive_utc(moment: datetime | None) -> datetime | None:
    """A time as the naive UTC the database holds (aware times are converted)."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _new_receipts(count: int) -> list[str]:
    """``count`` distinct receipt codes, in random order.

    Receipts are random (8 characters from a 31-letter alphabet, about 40 bits), so their
    order says nothing about when ballots were cast. One that is already stored is refused
    by the table's unique constraint, and ``_written`` writes the batch again with new
    ones: a batch of 10,000 meets a stored receipt once in about 85 at a million ballots,
    where looking its receipts up first read every stored receipt for every batch on
    DuckDB (24 ms a batch at a million).
    """
    receipts: dict[str, None] = {}
    while len(receipts) < count:
        receipts.update(dict.fromkeys(random_codes(count - len(receipts), RECEIPT_LENGTH)))
    return list(receipts)


class _Written(NamedTuple):
    """What writing gave a batch of ballots, in the batch's order: their ids, receipts and
    times."""

    ids: list[int]
    receipts: list[str]
    times: list[datetime]


def _write(cursor: Cursor, round_id: str, prepared: list[PreparedBallot]) -> _Written:
    """Write validated ballots inside the caller's transaction, superseding earlier ones."""
    status = cursor.execute("SELECT status FROM rounds WHERE id = ?", [round_id]).fetchall()
    if not status or status[0][0] != "open":
        raise _rejected("round", "store.round_not_open")
    code_hashes = sorted({p.code_hash for p in prepared if p.code_hash is not None})
    previous: dict[str, int] = {}
    if code_hashes:
        if len(known_code_hashes(cursor, round_id, code_hashes)) != len(code_hashes):
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
    receipts = _new_receipts(len(prepared))
    now = utc_now()
    times = [ballot.submitted_at or now for ballot in prepared]
    audit: list[tuple[str, dict[str, Any], datetime]] = []
    superseded_ids: list[int] = []
    for ballot_id, receipt, at, ballot in zip(ids, receipts, times, prepared, strict=True):
        earlier = previous.get(ballot.code_hash) if ballot.code_hash else None
        if earlier is not None:
            superseded_ids.append(earlier)
            audit.append(("ballot_superseded", {"ballot_id": earlier, "by": ballot_id}, at))
        if ballot.code_hash:
            previous[ballot.code_hash] = ballot_id
        content = ballot_content(
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
                    "digest": ballot_digest(content),
                    "parts": ballot_parts(content),
                },
                at,
            )
        )
    within_batch = set(ids)
    superseded_stored = [i for i in superseded_ids if i not in within_batch]
    if superseded_stored:
        cursor.execute(
            "UPDATE ballots SET superseded = true WHERE id IN (SELECT unnest(?))",
            [superseded_stored],
        )
    superseded_new = set(superseded_ids) & within_batch
    columns = (
        ids,
        [round_id] * len(ids),
        receipts,
        [ballot.channel for ballot in prepared],
        times,
        [ballot.code_hash for ballot in prepared],
        [ballot.area for ballot in prepared],
        [ballot.age_band for ballot in prepared],
        [ballot_id in superseded_new for ballot_id in ids],
    )
    insert_columns(cursor, "ballots", dict(zip(BALLOT_COLUMNS, columns, strict=True)))
    for table, key, value, parts in (
        ("ballot_allocations", "service_id", "amount_minor", [p.allocation for p in prepared]),
        ("ballot_project_scores", "project_id", "score", [p.scores for p in prepared]),
    ):
        insert_columns(
            cursor,
            table,
            {
                "ballot_id": list(chain.from_iterable(map(repeat, ids, map(len, parts)))),
                key: list(chain.from_iterable(parts)),
                value: list(chain.from_iterable(map(dict.values, parts))),
            },
        )
    _update_totals(
        cursor,
        round_id,
        [p for i, p in zip(ids, prepared, strict=True) if i not in superseded_new],
        superseded_stored,
    )
    append_entries(cursor, round_id, audit)
    return _Written(ids, receipts, times)


def _update_totals(
    cursor: Cursor, round_id: str, counted: list[PreparedBallot], withdrawn: list[int]
) -> None:
    """Keep ``ballot_totals`` the sums over the round's current ballots: add the new ballots
    that count, take away the stored ballots they supersede (ids in ``withdrawn``)."""
    change: Counter[tuple[str, str]] = Counter()
    change["ballots", ""] = len(counted)
    change["paper", ""] = sum(ballot.channel == "paper" for ballot in counted)
    for kind, column in (("service", "allocation"), ("project", "scores")):
        sums = sums_by_key(list(map(attrgetter(column), counted)))
        change.update({(kind, key): total for key, total in sums.items()})
    if withdrawn:
        change["ballots", ""] -= len(withdrawn)
        change.subtract(
            {
                (kind, item): int(total)
                for kind, item, total in cursor.execute(
                    "SELECT 'paper', '', count(*) FROM ballots"
                    " WHERE channel = 'paper' AND id IN (SELECT unnest(?))"
                    " UNION ALL SELECT 'service', service_id, sum(amount_minor)"
                    " FROM ballot_allocations WHERE ballot_id IN (SELECT unnest(?))"
                    " GROUP BY service_id"
                    " UNION ALL SELECT 'project', project_id, sum(score)"
                    " FROM ballot_project_scores WHERE ballot_id IN (SELECT unnest(?))"
                    " GROUP BY project_id",
                    [withdrawn] * 3,
                ).fetchall()
            }
        )
    rows = [(round_id, kind, item, total) for (kind, item), total in change.items() if total]
    if rows:
        cursor.execute(
            "INSERT INTO ballot_totals (round_id, kind, item, total) VALUES "
            + ", ".join(["(?, ?, ?, ?)"] * len(rows))
            + " ON CONFLICT (round_id, kind, item)"
            " DO UPDATE SET total = ballot_totals.total + excluded.total",
            [value for row in rows for value in row],
        )


def _paused_for_bulk(count: int) -> AbstractContextManager[None]:
    """The cyclic garbage collector paused (``engine.bulk.collector_paused``) while a batch
    of at least ``BULK_BALLOTS`` ballots is handled: it makes tens of thousands of objects
    without cycles, and the collector's passes over them cost a fifth of a 10,000-ballot
    write (``bench/scale.py``). A resident's one ballot gains nothing from a pause, which
    is shared by every thread of the process."""
    return collector_paused() if count >= BULK_BALLOTS else nullcontext()


def write_ballots(conn: Connection, round_id: str, prepared: list[PreparedBallot]) -> list[str]:
    """Store prepared ballots in one transaction (all or none), in order; returns their
    receipts, in the same order. See ``_written`` (a ``StoreError`` after
    ``RECEIPT_ATTEMPTS`` batches drew a stored receipt) and ``_write``."""
    return _written(conn, round_id, prepared).receipts


def _written(conn: Connection, round_id: str, prepared: list[PreparedBallot]) -> _Written:
    """``_write`` in a transaction of its own.

    A batch that drew a receipt already stored is rolled back and written again with new
    receipts (``_new_receipts``), at most ``RECEIPT_ATTEMPTS`` times in all, then refused
    with a ``StoreError``; the ids a rolled-back attempt drew are not used again (ballot
    ids need not be consecutive). A batch of ``BULK_BALLOTS`` or more is written with the
    cyclic garbage collector paused (``_paused_for_bulk``)."""
    if not prepared:
        return _Written([], [], [])
    attempts = 0
    while True:
        attempts += 1
        try:
            with write_transaction(conn) as cursor, _paused_for_bulk(len(prepared)):
                return _write(cursor, round_id, prepared)
        except Exception as error:  # rolled back: written again only for a receipt taken
            if not is_duplicate(error, "ballots", "receipt"):
                raise
            if attempts == RECEIPT_ATTEMPTS:
                raise StoreError(
                    f"no unused receipts were drawn in {attempts} attempts; nothing was stored"
                ) from error


def submit_ballot(
    conn: Connection,
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
    prepared = ballot_checker(conn, round_id).prepare(ballot)
    written = _written(conn, round_id, [prepared])
    return StoredBallot(
        id=written.ids[0],
        round_id=round_id,
        receipt=written.receipts[0],
        channel=prepared.channel,
        submitted_at=written.times[0],
        code_hash=prepared.code_hash,
        area=prepared.area,
        age_band=prepared.age_band,
        allocation={sid: from_minor(amount) for sid, amount in prepared.allocation.items()},
        project_scores=dict(prepared.scores),
    )


def submit_ballots(conn: Connection, round_id: str, ballots: Iterable[BallotInput]) -> list[str]:
    """Validate and store many ballots in one transaction (all or none), in order; returns
    their receipts, in the same order (read a ballot back with ``queries.ballot_by_receipt``).

    The same rules as ``submit_ballot``: a later ballot with the same code supersedes an
    earlier one. Raises ``BallotRejected`` for the first invalid ballot, storing nothing.
    """
    checker = ballot_checker(conn, round_id)
    given = list(ballots)
    with _paused_for_bulk(len(given)):
        prepared = [checker.prepare(ballot) for ballot in given]
    return write_ballots(conn, round_id, prepared)
