"""Keeping second-factor secrets unreadable at rest.

TOTP secrets are encrypted (Fernet: AES-128-CBC + HMAC-SHA256) with a key
derived from ``SECRET_KEY``; recovery codes are stored as HMAC-SHA256 digests
under another derived key. A copy of the database alone (a backup, a dump, an
export) gives neither. Changing ``SECRET_KEY`` voids the enrolled
authenticators and recovery codes: an admin, or the operator
(``equipage members reset-2fa``), resets the members concerned.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _derived(purpose: str) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), purpose.encode(), hashlib.sha256).digest()


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derived("equipage.twofactor.totp-secret")))


def seal(secret: str) -> str:
    """Return ``secret`` encrypted for storage."""
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str | None:
    """Return the secret, or None when it was sealed under another ``SECRET_KEY``."""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def code_digest(code: str) -> str:
    """Return the stored form of a recovery code (normalised: case, spaces and dashes)."""
    normalised = "".join(c for c in code.lower() if c.isalnum())
    return hmac.new(
        _derived("equipage.twofactor.recovery-code"), normalised.encode(), hashlib.sha256
    ).hexdigest()
