"""Officer passwords: salted scrypt hashes compared in constant time."""

from __future__ import annotations

from budgeting.ui import auth


def test_hash_verifies_only_the_right_password_and_is_salted():
    stored = auth.hash_password("correct horse")
    assert stored.startswith("scrypt$")
    assert auth.verify_password("correct horse", stored)
    assert not auth.verify_password("correct horse!", stored)
    assert auth.hash_password("correct horse") != stored  # a fresh salt every time


def test_malformed_hashes_never_match():
    for stored in ("", "plain-text", "scrypt$1$2$3$bad$bad", "bcrypt$x$y$z$a$b"):
        assert not auth.verify_password("anything", stored)


def test_configured_officers_replace_demo_mode():
    officers, demo = auth.officer_hashes({"alice": auth.hash_password("s3cret")})
    assert not demo
    assert auth.check_sign_in("alice", "s3cret", officers)
    assert not auth.check_sign_in("alice", auth.DEMO_PASSWORD, officers)
    assert not auth.check_sign_in(auth.DEMO_OFFICER, auth.DEMO_PASSWORD, officers)


def test_demo_mode_when_nobody_is_configured():
    for configured in (None, {}):
        officers, demo = auth.officer_hashes(configured)
        assert demo
        assert auth.check_sign_in(auth.DEMO_OFFICER, auth.DEMO_PASSWORD, officers)
        assert not auth.check_sign_in(auth.DEMO_OFFICER, "guess", officers)
        assert not auth.check_sign_in("nobody", auth.DEMO_PASSWORD, officers)
