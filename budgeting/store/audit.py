"""The append-only, hash-chained audit log.

Every ballot, supersession, round change, import and code issue appends one entry. An
entry's hash is SHA-256 over the previous entry's hash and the entry's own canonical JSON
(sequence number, round, time, kind, details), so editing, deleting or reordering any
entry breaks every later link. This module only appends and reads; checking the chain and
the ballots it vouches for is ``budgeting.store.integrity``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import duckdb

from budgeting.store.connection import insert_rows, read_cursor, utc_now
from budgeting.store.models import AuditEntry

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(
    prev_hash: str, seq: int, round_id: str | None, at: datetime, kind: str, details: str
) -> str:
    """The hash that links an entry to its predecessor."""
    body = canonical_json([seq, round_id, at.isoformat(), kind, details])
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _last_link(cursor: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """(sequence number, hash) of the newest entry; (0, genesis) for an empty log.

    ``max`` is answered from column statistics and the hash by a primary-key lookup, which
    stays fast as the log grows (sorting it for the newest entry does not).
    """
    last_seq = cursor.execute("SELECT max(seq) FROM audit_log").fetchall()[0][0]
    if last_seq is None:
        return 0, GENESIS_HASH
    return last_seq, cursor.execute(
        "SELECT hash FROM audit_log WHERE seq = ?", [last_seq]
    ).fetchall()[0][0]


def append_entries(
    cursor: duckdb.DuckDBPyConnection,
    round_id: str | None,
    entries: list[tuple[str, dict[str, Any], datetime]],
) -> list[AuditEntry]:
    """Append (kind, details, time) entries, in order, inside the caller's write transaction."""
    seq, prev_hash = _last_link(cursor)
    appended = []
    for kind, details, at in entries:
        seq += 1
        details_json = canonical_json(details)
        digest = entry_hash(prev_hash, seq, round_id, at, kind, details_json)
        appended.append(AuditEntry(seq, round_id, at, kind, details, prev_hash, digest))
        prev_hash = digest
    insert_rows(
        cursor,
        "audit_log",
        ("seq", "round_id", "logged_at", "kind", "details", "prev_hash", "hash"),
        [
            (e.seq, e.round_id, e.at, e.kind, canonical_json(e.details), e.prev_hash, e.hash)
            for e in appended
        ],
    )
    return appended


def append_entry(
    cursor: duckdb.DuckDBPyConnection, round_id: str | None, kind: str, details: dict[str, Any]
) -> AuditEntry:
    """Append one entry, stamped now, inside the caller's write transaction."""
    return append_entries(cursor, round_id, [(kind, details, utc_now())])[0]


def audit_log(conn: duckdb.DuckDBPyConnection, round_id: str | None = None) -> list[AuditEntry]:
    """Every entry (or one round's entries) in the order they were appended."""
    query = "SELECT seq, round_id, logged_at, kind, details, prev_hash, hash FROM audit_log"
    params: list[Any] = []
    if round_id is not None:
        query += " WHERE round_id = ?"
        params.append(round_id)
    with read_cursor(conn) as cursor:
        rows = cursor.execute(query + " ORDER BY seq", params).fetchall()
    return [
        AuditEntry(seq, rid, at, kind, json.loads(details), prev, digest)
        for seq, rid, at, kind, details, prev, digest in rows
    ]
