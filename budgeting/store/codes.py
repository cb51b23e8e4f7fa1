"""Voter codes: issued once in plain text, stored only as salted scrypt hashes.

Each round has its own random salt; a code's hash is scrypt(normalised code, round salt).
One salt per round (rather than per code) lets a submitted code be found by its hash with
one scrypt computation. Codes are normalised before hashing (upper case, spaces and
hyphens removed), so ``abcd efgh`` and ``ABCD-EFGH`` are the same code; a code that
normalises to nothing is no code at all.

Each issue is audited with the round's code rows as they stand afterwards: their count and
a digest of every row (``code_records``), which ``budgeting.store.integrity`` compares with
the table.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

import duckdb

from budgeting.store.audit import append_entry
from budgeting.store.connection import insert_rows, read_cursor, utc_now, write_transaction
from budgeting.store.models import StoreError

# Unambiguous when read aloud or from paper: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
SCRYPT_COST = {"n": 2**10, "r": 8, "p": 1}


def normalise_code(code: str) -> str:
    """The code as hashed: upper case, without spaces or hyphens."""
    return "".join(code.split()).replace("-", "").upper()


def hash_code(code: str, salt: str) -> str:
    """The salted hash stored for a voter code."""
    digest = hashlib.scrypt(
        normalise_code(code).encode("utf-8"), salt=bytes.fromhex(salt), dklen=32, **SCRYPT_COST
    )
    return digest.hex()


def round_salt(cursor: duckdb.DuckDBPyConnection, round_id: str) -> str:
    """The round's code salt; ``StoreError`` when there is no such round."""
    rows = cursor.execute("SELECT code_salt FROM rounds WHERE id = ?", [round_id]).fetchall()
    if not rows:
        raise StoreError(f"no round with id {round_id!r}")
    return str(rows[0][0])


def new_code() -> str:
    """A fresh random code, printed as ``ABCD-EFGH``."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{chars[:4]}-{chars[4:]}"


class CodeHasher:
    """One round's code hashes for one operation (an import, a batch): each distinct code is
    hashed once, however many lines name it. scrypt is slow on purpose, so an import that
    checks and then stores ballots must not pay for it per line. The plain codes are held
    only as long as the operation holds the hasher."""

    def __init__(self, salt: str) -> None:
        self._salt = salt
        self._hashes: dict[str, str] = {}

    @property
    def salt(self) -> str:
        """The round salt these hashes are made with."""
        return self._salt

    def __call__(self, code: str | None) -> str | None:
        """The code's stored hash; ``None`` when there is no code (empty once normalised)."""
        normal = normalise_code(code) if code else ""
        if not normal:
            return None
        found = self._hashes.get(normal)
        if found is None:
            found = self._hashes[normal] = hash_code(normal, self._salt)
        return found


def known_code_hashes(
    cursor: duckdb.DuckDBPyConnection, round_id: str, code_hashes: Iterable[str]
) -> set[str]:
    """Those of ``code_hashes`` that belong to the round's voter codes."""
    wanted = sorted(set(code_hashes))
    if not wanted:
        return set()
    return {
        row[0]
        for row in cursor.execute(
            "SELECT code_hash FROM voter_codes WHERE round_id = ?"
            " AND code_hash IN (SELECT unnest(?))",
            [round_id, wanted],
        ).fetchall()
    }


def code_records(
    cursor: duckdb.DuckDBPyConnection, round_id: str | None = None
) -> dict[str, dict[str, Any]]:
    """Each round's voter code rows (or one round's) as the log records them: how many,
    and a SHA-256 over every row (hash and issue time) in hash order."""
    rows = cursor.execute(
        "SELECT round_id, code_hash, issued_at FROM voter_codes"
        + (" WHERE round_id = ?" if round_id is not None else "")
        + " ORDER BY round_id, code_hash",
        [] if round_id is None else [round_id],
    ).fetchall()
    lines: dict[str, list[str]] = {}
    for rid, code_hash, issued_at in rows:
        lines.setdefault(rid, []).append(f"{code_hash} {issued_at.isoformat()}\n")
    return {rid: _codes_record(round_lines) for rid, round_lines in lines.items()}


def _codes_record(lines: list[str]) -> dict[str, Any]:
    return {"count": len(lines), "digest": hashlib.sha256("".join(lines).encode()).hexdigest()}


NO_CODES = _codes_record([])


def _store_code_hashes(
    conn: duckdb.DuckDBPyConnection, round_id: str, hashes: list[str], source: str
) -> None:
    if len(set(hashes)) != len(hashes):
        raise StoreError("the same voter code appears twice")
    with write_transaction(conn) as cursor:
        now = utc_now()
        known = known_code_hashes(cursor, round_id, hashes)
        insert_rows(
            cursor,
            "voter_codes",
            ("round_id", "code_hash", "issued_at"),
            [(round_id, code_hash, now) for code_hash in hashes if code_hash not in known],
        )
        append_entry(
            cursor,
            round_id,
            "codes_issued",
            {
                "count": len(hashes),
                "source": source,
                "codes": code_records(cursor, round_id).get(round_id, NO_CODES),
            },
        )


def issue_voter_codes(conn: duckdb.DuckDBPyConnection, round_id: str, count: int) -> list[str]:
    """``count`` new random codes for the round. The plain codes are returned only here."""
    if count < 1:
        raise StoreError("issue at least one code")
    with read_cursor(conn) as cursor:
        salt = round_salt(cursor, round_id)
        existing = {
            row[0]
            for row in cursor.execute(
                "SELECT code_hash FROM voter_codes WHERE round_id = ?", [round_id]
            ).fetchall()
        }
    codes: dict[str, str] = {}
    while len(codes) < count:
        code = new_code()
        code_hash = hash_code(code, salt)
        if code_hash not in existing:
            existing.add(code_hash)
            codes[code] = code_hash
    _store_code_hashes(conn, round_id, list(codes.values()), "issued")
    return list(codes)


def code_hasher(conn: duckdb.DuckDBPyConnection, round_id: str) -> CodeHasher:
    """A hasher for the round's codes, to share between operations on the same codes (adding
    them, then importing ballots that name them) so each is hashed once."""
    with read_cursor(conn) as cursor:
        return CodeHasher(round_salt(cursor, round_id))


def checked_hasher(
    cursor: duckdb.DuckDBPyConnection, round_id: str, hasher: CodeHasher | None
) -> CodeHasher:
    """``hasher`` when it hashes with the round's salt, a new one when ``None``;
    ``StoreError`` when it belongs to another round."""
    salt = round_salt(cursor, round_id)
    if hasher is None:
        return CodeHasher(salt)
    if hasher.salt != salt:
        raise StoreError(f"the code hasher is not for round {round_id!r}")
    return hasher


def add_voter_codes(
    conn: duckdb.DuckDBPyConnection,
    round_id: str,
    codes: Iterable[str],
    *,
    hasher: CodeHasher | None = None,
) -> None:
    """Accept these known codes (e.g. the demo's published codes); already known ones are kept.

    Pass the round's ``hasher`` (``code_hasher``) to reuse the hashes in a later import.
    """
    plain = [code for code in codes if normalise_code(code)]
    if plain:
        with read_cursor(conn) as cursor:
            hash_of = checked_hasher(cursor, round_id, hasher)
        hashes = [hash_of(code) for code in plain]
        _store_code_hashes(conn, round_id, [h for h in hashes if h is not None], "added")


def voter_code_status(conn: duckdb.DuckDBPyConnection, round_id: str, code: str) -> str:
    """``"valid"`` when the code belongs to the round, else ``"unknown"``."""
    if not normalise_code(code):
        return "unknown"
    with read_cursor(conn) as cursor:
        try:
            salt = round_salt(cursor, round_id)
        except StoreError:
            return "unknown"
        found = cursor.execute(
            "SELECT count(*) FROM voter_codes WHERE round_id = ? AND code_hash = ?",
            [round_id, hash_code(code, salt)],
        ).fetchall()
    return "valid" if found[0][0] else "unknown"
