"""Integrity: checking that the audit log, and every table that decides a result, are still
what was written.

What the log vouches for. Each write to a deciding table appends, in the same transaction,
an entry recording what the changed rows hold afterwards:

    round_created        the round's record: every setting, a SHA-256 of its code salt and
                         its creation time (``rounds.round_records``)
    round_changed        the changed settings, before and after
    services_replaced,   every row of the round's services, projects or areas, column by
    projects_replaced,   column (``rounds.item_records``)
    areas_replaced
    codes_issued,        the count and a digest of the round's voter code rows (hash,
    codes_revoked        issue time, area, revocation: ``codes.code_records``)
    ballot               a SHA-256 over the ballot and its allocation and score rows
                         (``ballot_digest``), and a short digest of each of the three parts
                         (``ballot_parts``), which names the part that changed
    ballot_superseded    which ballot stopped counting, and by which

``audit_report`` checks the chain (numbering, links, each entry's hash, keyed or not: see
``budgeting.store.audit``), replays the log to what each table should hold now, reads every
deciding table and names each difference ("project P3 of round riverside-2027: cost
differs from what was logged"), including child rows that belong to no ballot or appear
twice. Given the head officers published, it also checks that the log still reaches it.

Logs written before migration 002 (plain SHA-256, no row contents for services, projects
or voter codes, no ballot parts) are accepted: what they cannot vouch for is named in the
report's notes instead of being checked. A new deciding table or column must be added to
the records above, and every write to it must log its record.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from budgeting.store.audit import (
    GENESIS_HASH,
    KEY_ENV,
    KEY_FILE_ENV,
    AuditHead,
    audit_key,
    canonical_bytes,
    entry_hash,
    key_fingerprint,
)
from budgeting.store.codes import NO_CODES, code_records
from budgeting.store.connection import Connection, Cursor, begin_snapshot, read_cursor
from budgeting.store.rounds import ITEM_TABLES, item_records, round_records

PART_DIGEST_LENGTH = 16
_BALLOT_PARTS = {
    "ballot": "its row in ballots",
    "allocation": "its allocation (ballot_allocations)",
    "scores": "its project scores (ballot_project_scores)",
}
_CHILD_TABLES = {"ballot_allocations": "service", "ballot_project_scores": "project"}
_SAME_KIND_SHOWN = 10


def ballot_content(
    round_id: str,
    receipt: str,
    channel: str,
    submitted_at: datetime,
    code_hash: str | None,
    area: str | None,
    age_band: str | None,
    allocation: Mapping[str, int],
    scores: Mapping[str, int],
) -> dict[str, Any]:
    """A ballot's full content (pence and scores) as its digests cover it."""
    return {
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


def ballot_digest(content: Mapping[str, Any]) -> str:
    """SHA-256 over a ballot's full content, as recorded in its ``ballot`` entry."""
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def ballot_parts(content: Mapping[str, Any]) -> dict[str, str]:
    """Short digests of the ballot's row, its allocation rows and its score rows: they only
    name which part changed (the full digest is what vouches for the ballot)."""
    row = dict(content)
    allocation = row.pop("allocation")
    scores = row.pop("scores")
    return {
        "ballot": _part_digest(row),
        "allocation": _part_digest(allocation),
        "scores": _part_digest(scores),
    }


def _part_digest(value: Any) -> str:
    """A part's short digest: the first ``PART_DIGEST_LENGTH`` hex digits of its SHA-256."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()[:PART_DIGEST_LENGTH]


@dataclass(frozen=True)
class AuditReport:
    """What verification found: ``problems`` (empty when intact), and ``notes`` on what it
    could not check (an unanchored chain, a key not given, entries from before 002)."""

    entries: int
    head: AuditHead | None
    anchored: bool
    problems: list[str]
    notes: list[str]


class _Problems:
    """Problems in the order found; one kind repeated on many entries or rows is listed for
    the first few, then counted."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._counts: Counter[str] = Counter()

    def add(self, kind: str, message: str) -> None:
        self._counts[kind] += 1
        if self._counts[kind] <= _SAME_KIND_SHOWN:
            self.lines.append(message)

    def result(self) -> list[str]:
        return self.lines + [
            f"… and {count - _SAME_KIND_SHOWN:,} more {kind}"
            for kind, count in self._counts.items()
            if count > _SAME_KIND_SHOWN
        ]


@dataclass
class _Logged:
    """What the log says each deciding table holds now (replayed in order)."""

    rounds: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, dict[str, Any] | None]] = field(
        default_factory=lambda: {table: {} for table in ITEM_TABLES}
    )
    codes: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    ballots: dict[int, dict[str, Any]] = field(default_factory=dict)
    superseded: set[int] = field(default_factory=set)

    def replay(self, seq: int, round_id: str, kind: str, details: Any, problems: _Problems) -> None:
        if kind == "round_created":
            self.rounds[round_id] = dict(details)
        elif kind == "round_changed":
            state = self.rounds.setdefault(round_id, {})
            for name, value in details["before"].items():
                if name in state and state[name] != value:
                    problems.add(
                        "round changes that did not start from the logged settings",
                        f"entry {seq}: round {round_id}'s {name} before the change was "
                        f"{_shown(value)}, not {_shown(state[name])} as logged (changed outside"
                        " the app?)",
                    )
            state.update(details["after"])
        elif kind.endswith("_replaced") and kind.removesuffix("_replaced") in ITEM_TABLES:
            self.items[kind.removesuffix("_replaced")][round_id] = details.get("rows")
        elif kind in ("codes_issued", "codes_revoked"):
            self.codes[round_id] = details.get("codes")
        elif kind == "ballot":
            self.ballots[details["ballot_id"]] = details
        elif kind == "ballot_superseded":
            self.superseded.add(details["ballot_id"])


def audit_report(
    conn: Connection,
    *,
    key: str | bytes | None = None,
    head: AuditHead | str | None = None,
) -> AuditReport:
    """Check the log and every deciding table against it.

    ``key``: the audit key (default: the configured one, ``BUDGET_AUDIT_KEY_FILE`` or
    ``BUDGET_AUDIT_KEY``; without one, keyed entries' hashes cannot be checked and the
    report says so). ``head``: the head published with the results (``SEQ:HASH``).
    """
    secret = audit_key(key)
    published = AuditHead.parse(head) if isinstance(head, str) else head
    problems = _Problems()
    notes: list[str] = []
    logged = _Logged()
    with read_cursor(conn) as cursor:
        begin_snapshot(cursor)  # one snapshot: the log and the tables agree in time
        try:
            rows = cursor.execute(
                "SELECT seq, round_id, logged_at, kind, details, prev_hash, hash, key_id"
                " FROM audit_log ORDER BY seq"
            ).fetchall()
            anchored = _check_chain(rows, secret, problems, notes)
            for seq, round_id, _, kind, details, *_ in rows:
                try:
                    logged.replay(seq, round_id, kind, json.loads(details), problems)
                except (ValueError, LookupError, TypeError, AttributeError):
                    problems.add(
                        "entries whose details cannot be read",
                        f"entry {seq}: its details cannot be read as a {kind} entry (edited?)",
                    )
            if published is not None:
                _check_head(rows, published, problems)
            _check_rounds(cursor, logged, problems)
            _check_items(cursor, logged, problems, notes)
            _check_codes(cursor, logged, problems, notes)
            _check_ballots(cursor, logged, problems, notes)
        finally:
            cursor.execute("ROLLBACK")
    last = AuditHead(rows[-1][0], rows[-1][6]) if rows else None
    return AuditReport(len(rows), last, anchored, problems.result(), notes)


def verify_audit_log(
    conn: Connection,
    *,
    key: str | bytes | None = None,
    head: AuditHead | str | None = None,
) -> list[str]:
    """Every problem found in the log and the tables it vouches for (empty when intact);
    ``audit_report`` also says what could not be checked."""
    return audit_report(conn, key=key, head=head).problems


def _check_chain(
    rows: list[tuple[Any, ...]], secret: bytes | None, problems: _Problems, notes: list[str]
) -> bool:
    """Numbering, links and hashes; whether the chain is anchored by ``secret``."""
    fingerprint = key_fingerprint(secret) if secret is not None else None
    expected_seq, expected_prev = 1, GENESIS_HASH
    keyed = unchecked = 0
    unkeyed_before_keys = 0
    for seq, round_id, at, kind, details, prev_hash, digest, key_id in rows:
        if seq != expected_seq:
            gap = (
                f"entries {expected_seq}–{seq - 1} are"
                if seq > expected_seq + 1
                else f"entry {expected_seq} is"
            )
            problems.add("gaps", f"entry {seq}: {gap} missing before it (deleted?)")
        if prev_hash != expected_prev:
            problems.add("broken links", f"entry {seq}: does not link to the entry before it")
        if key_id is None:
            if keyed:
                problems.add(
                    "entries not sealed with a key after keyed ones",
                    f"entry {seq}: not sealed with a key, though entries before it are "
                    "(re-sealed without the audit key?)",
                )
            else:
                unkeyed_before_keys += 1
            if entry_hash(prev_hash, seq, round_id, at, kind, details) != digest:
                problems.add(
                    "entries that do not match their hash",
                    f"entry {seq}: content does not match its hash (edited?)",
                )
        else:
            keyed += 1
            if secret is None:
                unchecked += 1
            elif key_id != fingerprint:
                problems.add(
                    "entries sealed with a different audit key",
                    f"entry {seq}: sealed with a different audit key (re-sealed?)",
                )
            elif entry_hash(prev_hash, seq, round_id, at, kind, details, secret) != digest:
                problems.add(
                    "entries that do not match their keyed hash",
                    f"entry {seq}: content does not match its keyed hash (edited?)",
                )
        expected_seq, expected_prev = seq + 1, digest
    if secret is None:
        notes.append(
            f"the chain is not anchored: no audit key given ({KEY_FILE_ENV} or {KEY_ENV}), so "
            "whoever can write the database could rewrite the log and recompute its hashes;"
            " compare the head with the one published with the results"
        )
        if unchecked:
            notes.append(
                f"{unchecked:,} entries are sealed with an audit key: their hashes were not"
                " checked (their links were)"
            )
        return False
    if rows and not keyed:
        problems.add(
            "unsealed logs",
            "no entry is sealed with the audit key: the log was written without it, or re-sealed",
        )
        return False
    if unkeyed_before_keys:
        notes.append(
            f"entries 1–{unkeyed_before_keys} were written before an audit key was configured"
            " (plain SHA-256); the keyed entries after them anchor them"
        )
    return bool(rows)


def _check_head(rows: list[tuple[Any, ...]], published: AuditHead, problems: _Problems) -> None:
    shown = f"{published.seq}:{published.hash[:12]}…"
    found = {row[0]: row[6] for row in rows if row[0] == published.seq}
    if published.seq not in found:
        last = rows[-1][0] if rows else 0
        problems.add(
            "head",
            f"published head {shown}: the log has no entry {published.seq} (it ends at entry"
            f" {last}): entries removed from its end?",
        )
    elif found[published.seq] != published.hash:
        problems.add(
            "head",
            f"published head {shown}: entry {published.seq}'s hash is"
            f" {found[published.seq][:12]}…, not the published one (log rewritten?)",
        )


def _compare_record(
    what: str, logged: Mapping[str, Any], stored: Mapping[str, Any], problems: _Problems
) -> None:
    """Name each column the log recorded whose stored value differs."""
    for name, value in logged.items():
        if name in stored and stored[name] != value:
            column = name.removesuffix("_minor")
            shown = _pounds if column != name else _shown
            problems.add(
                "rows that differ from the log",
                f"{what}: {column} differs from what was logged (logged {shown(value)},"
                f" stored {shown(stored[name])})",
            )


def _compare_rows(
    noun: str,
    where: str,
    logged: Mapping[str, Mapping[str, Any]],
    stored: Mapping[str, Mapping[str, Any]],
    problems: _Problems,
) -> None:
    """Rows by id: each one missing, never logged or differing, named "{noun} {id}{where}"."""
    for row_id in sorted(logged.keys() | stored.keys()):
        what = f"{noun} {row_id}{where}"
        if row_id not in stored:
            problems.add("rows missing", f"{what}: logged but missing")
        elif row_id not in logged:
            problems.add("rows never logged", f"{what}: stored but never logged")
        else:
            _compare_record(what, logged[row_id], stored[row_id], problems)


def _check_rounds(cursor: Cursor, logged: _Logged, problems: _Problems) -> None:
    _compare_rows("round", "", logged.rounds, round_records(cursor), problems)


def _check_items(cursor: Cursor, logged: _Logged, problems: _Problems, notes: list[str]) -> None:
    for table in ITEM_TABLES:
        stored = item_records(cursor, table)
        singular = table.removesuffix("s")
        for round_id in sorted(logged.items[table].keys() | stored.keys()):
            rows = logged.items[table].get(round_id, {})
            if rows is None:
                notes.append(
                    f"{table} of round {round_id} were logged before migration 002"
                    " recorded their rows: not checked"
                )
                continue
            where = f" of round {round_id}"
            _compare_rows(singular, where, rows, stored.get(round_id, {}), problems)


def _check_codes(cursor: Cursor, logged: _Logged, problems: _Problems, notes: list[str]) -> None:
    stored = code_records(cursor)
    for round_id in sorted(logged.codes.keys() | stored.keys()):
        expected = logged.codes.get(round_id, NO_CODES)
        if expected is None:
            notes.append(
                f"voter codes of round {round_id} were logged before migration 002"
                " recorded them: not checked"
            )
            continue
        found = stored.get(round_id, NO_CODES)
        if found["count"] != expected.get("count"):
            problems.add(
                "code tables that differ from the log",
                f"voter codes of round {round_id}: {found['count']} stored,"
                f" {expected.get('count')} logged",
            )
        elif found["digest"] != expected.get("digest"):
            problems.add(
                "code tables that differ from the log",
                f"voter codes of round {round_id}: the stored codes differ from what was logged"
                " (a code hash, issue time, area or revocation changed)",
            )


def _stored_ballots(cursor: Cursor, problems: _Problems) -> dict[int, tuple[dict[str, Any], bool]]:
    """Every stored ballot's content and superseded flag, read in three scans; child rows
    that belong to no ballot, or name a service or project twice, are problems."""
    ballots = {
        bid: (ballot_content(rid, receipt, channel, at, code, area, age, {}, {}), superseded)
        for bid, rid, receipt, channel, at, code, area, age, superseded in cursor.execute(
            "SELECT id, round_id, receipt, channel, submitted_at, code_hash, area, age_band,"
            " superseded FROM ballots"
        ).fetchall()
    }
    for table, part, columns in (
        ("ballot_allocations", "allocation", "service_id, amount_minor"),
        ("ballot_project_scores", "scores", "project_id, score"),
    ):
        orphans: Counter[int] = Counter()
        repeated: Counter[tuple[int, str]] = Counter()
        for ballot_id, item_id, value in cursor.execute(
            f"SELECT ballot_id, {columns} FROM {table}"
        ).fetchall():
            found = ballots.get(ballot_id)
            if found is None:
                orphans[ballot_id] += 1
            elif item_id in found[0][part]:
                found[0][part][item_id] = None  # rows named twice are never what was logged
                repeated[ballot_id, item_id] += 1
            else:
                found[0][part][item_id] = value
        for (ballot_id, item_id), extra in sorted(repeated.items()):
            problems.add(
                "child rows named twice",
                f"ballot {ballot_id}: {table} names {_CHILD_TABLES[table]} {item_id}"
                f" {extra + 1} times",
            )
        if orphans:
            count = sum(orphans.values())
            ids = ", ".join(str(i) for i in sorted(orphans)[:5])
            problems.add(
                "child rows that belong to no ballot",
                f"{table}: {count:,} {'row belongs' if count == 1 else 'rows belong'} to no"
                f" ballot (ballot id {ids})",
            )
    return ballots


def _check_ballots(cursor: Cursor, logged: _Logged, problems: _Problems, notes: list[str]) -> None:
    stored = _stored_ballots(cursor, problems)
    unparted = 0
    for ballot_id in sorted(stored.keys() | logged.ballots.keys()):
        entry = logged.ballots.get(ballot_id)
        if ballot_id not in stored:
            problems.add("ballots missing", f"ballot {ballot_id}: logged but missing")
            continue
        content, superseded = stored[ballot_id]
        what = f"ballot {ballot_id} of round {content['round_id']}"
        if entry is None:
            problems.add("ballots never logged", f"{what}: stored but never logged")
            continue
        if ballot_digest(content) != entry.get("digest"):
            parts = entry.get("parts")
            if not isinstance(parts, dict):
                unparted += 1
                parts = {}
            changed = [
                words
                for part, words in _BALLOT_PARTS.items()
                if part in parts and ballot_parts(content)[part] != parts[part]
            ] or ["its content"]
            for words in changed:
                problems.add(
                    "ballots that differ from the log",
                    f"{what}: {words} differs from what was logged",
                )
        if superseded != (ballot_id in logged.superseded):
            problems.add(
                "ballots whose superseded flag differs",
                f"{what}: superseded flag differs from the log",
            )
    if unparted:
        notes.append(
            f"{unparted:,} changed ballots were logged before migration 002: which of their"
            " rows changed cannot be named"
        )


def _pounds(minor: Any) -> str:
    return str(Decimal(minor).scaleb(-2)) if isinstance(minor, int) else _shown(minor)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"
