"""The append-only, hash-chained audit log, anchored by a key kept outside the database.

Every ballot, supersession, round change, import and code issue appends one entry, in the
transaction that makes the change, recording what the changed rows hold afterwards
(``budgeting.store.integrity`` lists what each kind of entry vouches for). An entry's hash
covers the previous entry's hash and the entry's own canonical JSON (sequence number,
round, time, kind, details), so editing, deleting or reordering any entry breaks every
later link.

Anyone who can write the database could recompute a plain chain, so while an audit key is
configured entries are sealed with HMAC-SHA256 under it instead of SHA-256, and record the
key's fingerprint in ``key_id`` (NULL: plain SHA-256, as before migration 002). The key
lives outside the database: the file named by ``BUDGET_AUDIT_KEY_FILE``, else the
``BUDGET_AUDIT_KEY`` environment variable (at least 16 characters), read on every append;
a key file that cannot be read stops writes rather than letting unsealed entries through.
Cutting entries off the end of the log leaves a shorter chain that is still sound: the
head (``audit_head``, written ``SEQ:HASH``), which officers publish with the results,
catches that. This module only appends and reads; checking is
``budgeting.store.integrity``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from budgeting.store.connection import Connection, Cursor, insert_columns, read_cursor, utc_now
from budgeting.store.models import AuditEntry, StoreError

GENESIS_HASH = "0" * 64
KEY_FILE_ENV = "BUDGET_AUDIT_KEY_FILE"
KEY_ENV = "BUDGET_AUDIT_KEY"
MIN_KEY_LENGTH = 16
_HEAD = re.compile(r"(\d+):([0-9a-f]{64})")


@dataclass(frozen=True)
class AuditHead:
    """The newest entry of the log, as officers publish it with the results: ``SEQ:HASH``."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> AuditHead:
        """``"812:3fa4…"`` (the full 64 hex digits) -> ``AuditHead``; ``StoreError`` if not."""
        match = _HEAD.fullmatch(text.strip().lower())
        if match is None:
            raise StoreError(
                f"an audit head is SEQ:HASH (the entry's number, a colon and its 64 hex "
                f"digits), not {text!r}"
            )
        return cls(int(match[1]), match[2])


def audit_key(key: str | bytes | None = None) -> bytes | None:
    """``key`` as bytes, else the configured audit key, else ``None`` (none configured).

    ``StoreError`` when a key is shorter than 16 characters or the key file is unreadable.
    """
    if key is not None:
        return _checked_key(key if isinstance(key, bytes) else key.encode("utf-8"), "an audit key")
    path = os.environ.get(KEY_FILE_ENV)
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise StoreError(f"cannot read the audit key file {path}: {reason}") from None
        return _checked_key(text.strip().encode("utf-8"), f"the audit key file {path}")
    text = os.environ.get(KEY_ENV, "")
    return _checked_key(text.encode("utf-8"), KEY_ENV) if text else None


def _checked_key(key: bytes, where: str) -> bytes:
    if len(key) < MIN_KEY_LENGTH:
        raise StoreError(f"{where} must hold at least {MIN_KEY_LENGTH} characters")
    return key


def key_fingerprint(key: bytes) -> str:
    """What an entry records of the key that sealed it: tells keys apart, reveals nothing."""
    return hmac.new(key, b"budget-together audit key", hashlib.sha256).hexdigest()[:16]


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


def canonical_bytes(value: Any) -> bytes:
    """JSON with sorted keys and no spaces, in UTF-8: the same value always gives the same
    bytes.

    The form is the standard library's ``json`` with ``sort_keys``, ``separators=(",",
    ":")`` and ``ensure_ascii=False``, which every entry written so far used. ``orjson``
    writes the same bytes, about ten times faster, for what the log holds: text, whole
    numbers, booleans, null, lists and objects with text keys (the store turns money and
    times into pence or text first; no entry holds a float, whose small values the two
    write differently, or an enum). What ``orjson`` refuses is written by ``json``: numbers
    beyond 64 bits, keys that are not text, and (passed through on purpose) subclasses of
    text, numbers and containers, times and dataclasses, which ``json`` refuses as before.
    ``tests/store/test_canonical_json.py`` checks the two agree.
    """
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):
        return _CANONICAL.encode(value).encode("utf-8")


def canonical_json(value: Any) -> str:
    """``canonical_bytes`` as text, as the log's ``details`` column holds it."""
    return canonical_bytes(value).decode("utf-8")


def entry_hash(
    prev_hash: str,
    seq: int,
    round_id: str | None,
    at: datetime,
    kind: str,
    details: str,
    key: bytes | None = None,
) -> str:
    """The hash that links an entry to its predecessor: HMAC-SHA256 under ``key``, else
    plain SHA-256."""
    message = prev_hash.encode("utf-8") + canonical_bytes(
        [seq, round_id, at.isoformat(), kind, details]
    )
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _last_link(cursor: Cursor) -> tuple[int, str]:
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
    cursor: Cursor,
    round_id: str | None,
    entries: list[tuple[str, dict[str, Any], datetime]],
) -> None:
    """Append (kind, details, time) entries, in order, inside the caller's write transaction."""
    seq, prev_hash = _last_link(cursor)
    key = audit_key()
    key_id = key_fingerprint(key) if key is not None else None
    details = [canonical_json(entry_details) for _, entry_details, _ in entries]
    hashes = [prev_hash]
    for number, ((kind, _, at), entry_details) in enumerate(
        zip(entries, details, strict=True), start=seq + 1
    ):
        hashes.append(entry_hash(hashes[-1], number, round_id, at, kind, entry_details, key))
    insert_columns(
        cursor,
        "audit_log",
        {
            "seq": list(range(seq + 1, seq + 1 + len(entries))),
            "round_id": [round_id] * len(entries),
            "logged_at": [at for _, _, at in entries],
            "kind": [kind for kind, _, _ in entries],
            "details": details,
            "prev_hash": hashes[:-1],
            "hash": hashes[1:],
            "key_id": [key_id] * len(entries),
        },
    )


def append_entry(cursor: Cursor, round_id: str | None, kind: str, details: dict[str, Any]) -> None:
    """Append one entry, stamped now, inside the caller's write transaction."""
    append_entries(cursor, round_id, [(kind, details, utc_now())])


def audit_head(conn: Connection) -> AuditHead | None:
    """The newest entry's sequence number and hash (``None`` for an empty log): officers
    publish it with the results, and verification given it detects entries cut off the end."""
    with read_cursor(conn) as cursor:
        seq, digest = _last_link(cursor)
    return AuditHead(seq, digest) if seq else None


def audit_log(
    conn: Connection,
    round_id: str | None = None,
    *,
    kind: str | None = None,
    newest: int | None = None,
) -> list[AuditEntry]:
    """Every entry (or one round's, or one kind's) in the order they were appended; with
    ``newest``, only that many of the latest."""
    conditions: list[str] = ["true"]
    params: list[Any] = []
    if round_id is not None:
        conditions.append("round_id = ?")
        params.append(round_id)
    if kind is not None:
        conditions.append("kind = ?")
        params.append(kind)
    query = (
        "SELECT seq, round_id, logged_at, kind, details, prev_hash, hash FROM audit_log"
        f" WHERE {' AND '.join(conditions)} ORDER BY seq"
    )
    if newest is not None:
        query = f"SELECT * FROM ({query} DESC LIMIT ?) ORDER BY seq"
        params.append(newest)
    with read_cursor(conn) as cursor:
        rows = cursor.execute(query, params).fetchall()
    return [
        AuditEntry(seq, rid, at, entry_kind, json.loads(details), prev, digest)
        for seq, rid, at, entry_kind, details, prev, digest in rows
    ]


def audit_kinds(conn: Connection, round_id: str | None = None) -> dict[str, int]:
    """How many entries of each kind the log holds (for every round, or one)."""
    query = "SELECT kind, count(*) FROM audit_log"
    params: list[Any] = []
    if round_id is not None:
        query += " WHERE round_id = ?"
        params.append(round_id)
    with read_cursor(conn) as cursor:
        rows = cursor.execute(query + " GROUP BY kind ORDER BY kind", params).fetchall()
    return {entry_kind: count for entry_kind, count in rows}
