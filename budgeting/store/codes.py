"""Voter codes: issued once in plain text, stored only as salted scrypt hashes.

Each round has its own random salt; a code's hash is scrypt(normalised code, round salt).
One salt per round (rather than per code) lets a submitted code be found by its hash with
one scrypt computation. Codes are normalised before hashing (upper case, spaces and
hyphens removed), so ``abcd efgh`` and ``ABCD-EFGH`` are the same code; a code that
normalises to nothing is no code at all.

Codes may be issued for an area (the slips go to that area's letterboxes) and revoked (a
lost or stolen slip). A revoked code can no longer vote: submitting a ballot with it, or
checking it, is refused exactly as an unknown code is, so whoever holds the slip learns
nothing more. A ballot cast with the code before it was revoked stays counted: revoking is
for a slip that went astray, not a judgement on a vote already made (an officer who must
undo a vote has the audit log to show which ballot it was, through the code's hash). The
row stays in the table, marked with when it was revoked, so the code is never issued again.

Each issue and each revocation is audited with the round's code rows as they stand
afterwards: their count and a digest of every row (``code_records``: hash, issue time,
area and revocation time), which ``budgeting.store.integrity`` compares with the table.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from budgeting.store.audit import append_entry
from budgeting.store.connection import (
    Connection,
    Cursor,
    insert_rows,
    read_cursor,
    utc_now,
    write_transaction,
)
from budgeting.store.models import StoreError

# Unambiguous when read aloud or from paper: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
SCRYPT_COST = {"n": 2**10, "r": 8, "p": 1}
MAX_CODES_PER_ISSUE = 10_000
"""The most codes one issue makes (each is hashed with scrypt: 10,000 take seconds)."""


def normalise_code(code: str) -> str:
    """The code as hashed: upper case, without spaces or hyphens."""
    return "".join(code.split()).replace("-", "").upper()


def hash_code(code: str, salt: str) -> str:
    """The salted hash stored for a voter code."""
    digest = hashlib.scrypt(
        normalise_code(code).encode("utf-8"), salt=bytes.fromhex(salt), dklen=32, **SCRYPT_COST
    )
    return digest.hex()


def round_salt(cursor: Cursor, round_id: str) -> str:
    """The round's code salt; ``StoreError`` when there is no such round."""
    rows = cursor.execute("SELECT code_salt FROM rounds WHERE id = ?", [round_id]).fetchall()
    if not rows:
        raise StoreError(f"no round with id {round_id!r}")
    return str(rows[0][0])


_FAIR_BYTES = 256 - 256 % len(CODE_ALPHABET)
"""Random bytes below this pick a letter with equal chances (``byte % 31``); the others
are discarded."""


def random_codes(count: int, length: int = CODE_LENGTH) -> list[str]:
    """``count`` random texts of ``length`` letters from ``CODE_ALPHABET``, each letter
    equally likely, from the operating system's secure source (``secrets``)."""
    needed = count * length
    letters: list[str] = []
    while len(letters) < needed:
        letters += [
            CODE_ALPHABET[byte % len(CODE_ALPHABET)]
            for byte in secrets.token_bytes(needed - len(letters) + 8)
            if byte < _FAIR_BYTES
        ]
    text = "".join(letters[:needed])
    return [text[start : start + length] for start in range(0, needed, length)]


def new_code() -> str:
    """A fresh random code, printed as ``ABCD-EFGH``."""
    chars = random_codes(1)[0]
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
    cursor: Cursor,
    round_id: str,
    code_hashes: Iterable[str],
    *,
    include_revoked: bool = False,
) -> set[str]:
    """Those of ``code_hashes`` that belong to the round's voter codes and may vote (not
    revoked); with ``include_revoked``, every code the round has issued."""
    wanted = sorted(set(code_hashes))
    if not wanted:
        return set()
    return {
        row[0]
        for row in cursor.execute(
            "SELECT code_hash FROM voter_codes WHERE round_id = ?"
            " AND code_hash IN (SELECT unnest(?))"
            + ("" if include_revoked else " AND revoked_at IS NULL"),
            [round_id, wanted],
        ).fetchall()
    }


def code_records(cursor: Cursor, round_id: str | None = None) -> dict[str, dict[str, Any]]:
    """Each round's voter code rows (or one round's) as the log records them: how many,
    and a SHA-256 over every row in hash order (``code_line``)."""
    rows = cursor.execute(
        "SELECT round_id, code_hash, issued_at, area, revoked_at FROM voter_codes"
        + (" WHERE round_id = ?" if round_id is not None else "")
        + " ORDER BY round_id, code_hash",
        [] if round_id is None else [round_id],
    ).fetchall()
    lines: dict[str, list[str]] = {}
    for rid, code_hash, issued_at, area, revoked_at in rows:
        lines.setdefault(rid, []).append(code_line(code_hash, issued_at, area, revoked_at))
    return {rid: _codes_record(round_lines) for rid, round_lines in lines.items()}


def code_line(
    code_hash: str, issued_at: datetime, area: str | None, revoked_at: datetime | None
) -> str:
    """One code row as the digest reads it: ``HASH ISSUED\\n``, and for a code with an area
    or a revocation ``HASH ISSUED ["AREA", "REVOKED"]\\n`` (JSON, so no area name can pass
    for another row). A row with neither reads as it did before those columns existed, so
    a database logged then still verifies."""
    line = f"{code_hash} {issued_at.isoformat()}"
    if area is not None or revoked_at is not None:
        revoked = revoked_at.isoformat() if revoked_at is not None else None
        line += " " + json.dumps([area, revoked], ensure_ascii=False)
    return line + "\n"


def _codes_record(lines: list[str]) -> dict[str, Any]:
    return {"count": len(lines), "digest": hashlib.sha256("".join(lines).encode()).hexdigest()}


NO_CODES = _codes_record([])


def _store_code_hashes(
    conn: Connection,
    round_id: str,
    hashes: list[str],
    source: str,
    *,
    area: str | None = None,
    actor: str | None = None,
) -> None:
    if len(set(hashes)) != len(hashes):
        raise StoreError("the same voter code appears twice")
    with write_transaction(conn) as cursor:
        now = utc_now()
        known = known_code_hashes(cursor, round_id, hashes, include_revoked=True)
        insert_rows(
            cursor,
            "voter_codes",
            ("round_id", "code_hash", "issued_at", "area"),
            [(round_id, code_hash, now, area) for code_hash in hashes if code_hash not in known],
        )
        details: dict[str, Any] = {"count": len(hashes), "source": source}
        if area is not None:
            details["area"] = area
        if actor is not None:
            details["actor"] = actor
        details["codes"] = code_records(cursor, round_id).get(round_id, NO_CODES)
        append_entry(cursor, round_id, "codes_issued", details)


def _round_status(cursor: Cursor, round_id: str) -> str:
    rows = cursor.execute("SELECT status FROM rounds WHERE id = ?", [round_id]).fetchall()
    if not rows:
        raise StoreError(f"no round with id {round_id!r}")
    return str(rows[0][0])


def _refuse_when_closed(cursor: Cursor, round_id: str, doing: str) -> None:
    if _round_status(cursor, round_id) in ("closed", "published"):
        raise StoreError(f"voting has closed in round {round_id!r}: no code can be {doing} now")


def issue_voter_codes(
    conn: Connection,
    round_id: str,
    count: int,
    *,
    area: str | None = None,
    actor: str | None = None,
) -> list[str]:
    """``count`` new random codes for the round (1 to ``MAX_CODES_PER_ISSUE``), for one of
    its areas (an id from ``list_areas``) or none. The plain codes are returned only here;
    the issue is audited, with the officer who made it when ``actor`` names them. Refused
    (``StoreError``) for an unknown round or area, and once voting has closed."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise StoreError("issue at least one code (a whole number)")
    if count > MAX_CODES_PER_ISSUE:
        raise StoreError(f"issue at most {MAX_CODES_PER_ISSUE:,} codes at a time")
    with read_cursor(conn) as cursor:
        salt = round_salt(cursor, round_id)
        _refuse_when_closed(cursor, round_id, "issued")
        if (
            area is not None
            and not cursor.execute(
                "SELECT count(*) FROM areas WHERE round_id = ? AND id = ?", [round_id, area]
            ).fetchall()[0][0]
        ):
            raise StoreError(f"round {round_id!r} has no area {area!r}")
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
    _store_code_hashes(conn, round_id, list(codes.values()), "issued", area=area, actor=actor)
    return list(codes)


def revoke_voter_code(
    conn: Connection, round_id: str, code: str, *, actor: str | None = None
) -> datetime:
    """Stop ``code`` from voting in the round (a lost or stolen slip); when it was revoked.

    From now on the code is refused as an unknown code is (``voter_code_check`` says
    ``"unknown"``, ``submit_ballot`` and ballot imports refuse it). A ballot it cast before
    stays counted. Audited, with ``actor``. ``StoreError`` when the round has no such code,
    the code was revoked already, or voting has closed.
    """
    if not normalise_code(code):
        raise StoreError("type the voter code to revoke")
    with write_transaction(conn) as cursor:
        code_hash = hash_code(code, round_salt(cursor, round_id))
        _refuse_when_closed(cursor, round_id, "revoked")
        rows = cursor.execute(
            "SELECT area, revoked_at FROM voter_codes WHERE round_id = ? AND code_hash = ?",
            [round_id, code_hash],
        ).fetchall()
        if not rows:
            raise StoreError(f"round {round_id!r} has no voter code {display_code(code)}")
        area, revoked_at = rows[0]
        if revoked_at is not None:
            raise StoreError(
                f"voter code {display_code(code)} was already revoked"
                f" on {revoked_at:%Y-%m-%d at %H:%M} UTC"
            )
        now = utc_now()
        cursor.execute(
            "UPDATE voter_codes SET revoked_at = ? WHERE round_id = ? AND code_hash = ?",
            [now, round_id, code_hash],
        )
        details: dict[str, Any] = {"count": 1, "area": area}
        if actor is not None:
            details["actor"] = actor
        details["codes"] = code_records(cursor, round_id).get(round_id, NO_CODES)
        append_entry(cursor, round_id, "codes_revoked", details)
    return now


def display_code(code: str) -> str:
    """A code as printed on slips: normalised, ``ABCD-EFGH`` when it has eight characters."""
    normal = normalise_code(code)
    return f"{normal[:4]}-{normal[4:]}" if len(normal) == CODE_LENGTH else normal


@dataclass(frozen=True)
class VoterCodeCounts:
    """A round's voter codes for one area (``None``: issued for no area): how many were
    issued, how many of those are revoked, and how many have voted (revoked or not: a
    revoked code's earlier ballot still counts)."""

    area: str | None
    issued: int
    revoked: int
    used: int


def voter_code_counts(conn: Connection, round_id: str) -> list[VoterCodeCounts]:
    """The round's codes counted by area: its areas in their order (each, even with no codes
    yet), then areas codes name that the round no longer lists, then codes with no area."""
    with read_cursor(conn) as cursor:
        areas = [
            row[0]
            for row in cursor.execute(
                "SELECT id FROM areas WHERE round_id = ? ORDER BY position", [round_id]
            ).fetchall()
        ]
        rows = cursor.execute(
            "SELECT c.area, count(*), count(c.revoked_at),"
            " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM ballots b"
            "   WHERE b.round_id = c.round_id AND b.code_hash = c.code_hash))"
            " FROM voter_codes c WHERE c.round_id = ? GROUP BY c.area",
            [round_id],
        ).fetchall()
    found = {
        area: VoterCodeCounts(area, issued, revoked, used) for area, issued, revoked, used in rows
    }
    order = [*areas, *sorted(a for a in found if a is not None and a not in areas)]
    counts = [found.get(area, VoterCodeCounts(area, 0, 0, 0)) for area in order]
    if None in found:
        counts.append(found[None])
    return counts


def code_hasher(conn: Connection, round_id: str) -> CodeHasher:
    """A hasher for the round's codes, to share between operations on the same codes (adding
    them, then importing ballots that name them) so each is hashed once."""
    with read_cursor(conn) as cursor:
        return CodeHasher(round_salt(cursor, round_id))


def checked_hasher(cursor: Cursor, round_id: str, hasher: CodeHasher | None) -> CodeHasher:
    """``hasher`` when it hashes with the round's salt, a new one when ``None``;
    ``StoreError`` when it belongs to another round."""
    salt = round_salt(cursor, round_id)
    if hasher is None:
        return CodeHasher(salt)
    if hasher.salt != salt:
        raise StoreError(f"the code hasher is not for round {round_id!r}")
    return hasher


def add_voter_codes(
    conn: Connection,
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
