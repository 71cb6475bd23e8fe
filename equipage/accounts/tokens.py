"""Single-use secret tokens: the raw value goes in a link, only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

from django.utils.crypto import salted_hmac


def new_token() -> tuple[str, str]:
    """Return ``(raw, sha256_hex)`` for a fresh 256-bit URL-safe token."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def account_binding(password_hash: str, email: str, session_version: int) -> str:
    """Return the fingerprint of what a set/reset link protects.

    A link stores it when made and is refused when the account no longer
    matches: a password change (the hash), an e-mail change (the link went to
    the old mailbox) or a deactivation (``session_version`` goes up, and stays
    up after a reactivation) kills every link made before.
    """
    return salted_hmac(
        "equipage.password-token.binding",
        f"{password_hash}\x00{email.strip().lower()}\x00{session_version}",
        algorithm="sha256",
    ).hexdigest()
