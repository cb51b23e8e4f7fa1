"""Officer password hashes: salted scrypt, never the password itself (standard library only,
so the command line makes them without loading Streamlit).

A stored hash reads ``scrypt$<n>$<r>$<p>$<salt, base64>$<key, base64>``. The cost
parameters are the ones Python's documentation and RFC 7914 give as the interactive-login
baseline (n = 2**14, r = 8, p = 1).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
KEY_BYTES = 32
SALT_BYTES = 16


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """The storable scrypt hash of ``password`` with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    key = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=KEY_BYTES
    )
    salt_text = base64.b64encode(salt).decode("ascii")
    key_text = base64.b64encode(key).decode("ascii")
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt_text}${key_text}"


def verify_password(password: str, stored_hash: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; a malformed hash never matches."""
    try:
        scheme, n, r, p, salt_text, key_text = stored_hash.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_text, validate=True)
        expected = base64.b64decode(key_text, validate=True)
        key = hashlib.scrypt(
            password.encode("utf-8"), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except ValueError:
        return False
    return hmac.compare_digest(key, expected)


def is_password_hash(value: object) -> bool:
    """Whether ``value`` has the form ``hash_password`` writes (not, say, a plain password)."""
    if not isinstance(value, str):
        return False
    parts = value.split("$")
    if len(parts) != 6 or parts[0] != "scrypt" or not all(p.isdigit() for p in parts[1:4]):
        return False
    try:
        return all(base64.b64decode(p, validate=True) for p in parts[4:])
    except (binascii.Error, ValueError):
        return False
