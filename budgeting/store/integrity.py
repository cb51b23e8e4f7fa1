"""Integrity: the digest that ties a stored ballot to its audit entry, and the check that
the audit log and the ballots it vouches for are still what was written.

A ballot's digest is SHA-256 over its full content (pence and scores) and is recorded in
the ``ballot`` audit entry written in the same transaction as the ballot.
``verify_audit_log`` recomputes the hash chain, then every stored ballot's digest, and
compares both with the log.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import duckdb

from budgeting.store.audit import GENESIS_HASH, canonical_json, entry_hash
from budgeting.store.connection import read_cursor
from budgeting.store.money import to_minor
from budgeting.store.queries import load_ballots


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


def ballot_digests(conn: duckdb.DuckDBPyConnection) -> dict[int, tuple[str, bool]]:
    """Every stored ballot's content digest and superseded flag, as stored now."""
    with read_cursor(conn) as cursor:
        ballots = load_ballots(cursor, "true", [])
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


def verify_audit_log(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Every problem found in the log and in the ballots it vouches for (empty when sound)."""
    problems: list[str] = []
    with read_cursor(conn) as cursor:
        rows = cursor.execute(
            "SELECT seq, round_id, logged_at, kind, details, prev_hash, hash FROM audit_log"
            " ORDER BY seq"
        ).fetchall()
    expected_prev = GENESIS_HASH
    logged_ballots: dict[int, dict[str, Any]] = {}
    superseded_in_log: set[int] = set()
    for position, (seq, round_id, at, kind, details, prev_hash, digest) in enumerate(rows, 1):
        if seq != position:
            problems.append(f"entry {seq}: expected sequence number {position} (entry missing?)")
        if prev_hash != expected_prev:
            problems.append(f"entry {seq}: does not link to the entry before it")
        if entry_hash(prev_hash, seq, round_id, at, kind, details) != digest:
            problems.append(f"entry {seq}: content does not match its hash (edited?)")
        expected_prev = digest
        parsed = json.loads(details)
        if kind == "ballot":
            logged_ballots[parsed["ballot_id"]] = parsed
        elif kind == "ballot_superseded":
            superseded_in_log.add(parsed["ballot_id"])
    for ballot_id, (digest, superseded) in ballot_digests(conn).items():
        logged = logged_ballots.pop(ballot_id, None)
        if logged is None:
            problems.append(f"ballot {ballot_id}: stored but never logged")
            continue
        if logged["digest"] != digest:
            problems.append(f"ballot {ballot_id}: content differs from what was logged")
        if superseded != (ballot_id in superseded_in_log):
            problems.append(f"ballot {ballot_id}: superseded flag differs from the log")
    problems.extend(f"ballot {ballot_id}: logged but missing" for ballot_id in logged_ballots)
    return problems
