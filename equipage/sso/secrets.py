"""Encrypting the client secret at rest, with a key derived from the instance's secret key.

A copy of the database alone (a backup, a leaked dump) does not give away the
organization's client secret: the key lives only in ``EQUIPAGE_SECRET_KEY``.
Changing that key makes the stored secrets unreadable; the settings page then
asks for the secret again.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _fernet() -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"equipage.sso",
        info=b"equipage.sso.client-secret.v1",
    ).derive(str(settings.SECRET_KEY).encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(plain: str) -> str:
    """Return ``plain`` encrypted and authenticated (Fernet: AES-128-CBC + HMAC-SHA256)."""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt_secret(stored: str) -> str | None:
    """Return the secret, or None when it was encrypted under another secret key."""
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except (InvalidToken, ValueError):
        return None
