"""Officer passwords: salted scrypt hashes kept in Streamlit secrets, never plain text.

A stored hash reads ``scrypt$<n>$<r>$<p>$<salt, base64>$<key, base64>``. Officers are listed
in ``.streamlit/secrets.toml`` as ``[officers]`` name = hash. When no officer is configured
the app runs in demo mode, where the one demo officer below can sign in; the officer page
says so on screen.

Make a hash for the secrets file with ``python -m budgeting.ui.auth`` (asks for the password).
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from functools import cache

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
KEY_BYTES = 32
SALT_BYTES = 16

DEMO_OFFICER = "demo"
DEMO_PASSWORD = "demo-officer"


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


@cache
def demo_officers() -> dict[str, str]:
    """The demo mode's single officer, hashed like a real one so sign-in takes one path."""
    return {DEMO_OFFICER: hash_password(DEMO_PASSWORD)}


def officer_hashes(configured: Mapping[str, str] | None) -> tuple[dict[str, str], bool]:
    """The officers who may sign in, and whether this is demo mode (nobody configured)."""
    if configured:
        return {str(name): str(value) for name, value in configured.items()}, False
    return demo_officers(), True


def check_sign_in(name: str, password: str, officers: Mapping[str, str]) -> bool:
    """Whether ``name`` is an officer and ``password`` is theirs.

    An unknown name is checked against a dummy hash, so a wrong name takes as long as a
    wrong password and the timing does not reveal which officer names exist.
    """
    stored = officers.get(name.strip())
    if stored is None:
        verify_password(password, demo_officers()[DEMO_OFFICER])
        return False
    return verify_password(password, stored)


def main() -> None:
    """Print a secrets line for a new officer."""
    name = input("Officer name: ").strip()
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Password again: "):
        raise SystemExit("The two passwords differ; nothing printed.")
    print("[officers]")
    print(f'{name} = "{hash_password(password)}"')


if __name__ == "__main__":
    main()
