"""TOTP (RFC 6238) codes, recovery codes and the QR code of an enrolment: no database here."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

import pyotp
import segno

STEP_SECONDS = 30
# A code of the previous or next step is accepted too: phones' clocks drift.
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed back


def new_secret() -> str:
    """Return a new random base32 secret (160 bits, RFC 4226's recommendation)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """Return the ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """Return the QR code of ``uri`` as an inline SVG element (no script, no external file)."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff"))


def step_at(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, moment: dt.datetime) -> int | None:
    """Return the time step whose code is ``code`` (around ``moment``), or None.

    The caller refuses a step not newer than the last one accepted: no replay.
    """
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = step_at(moment)
    found = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Return ``count`` fresh codes like ``k7m2p-xq4rt`` (50 bits each)."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def looks_like_recovery_code(code: str) -> bool:
    """Tell a recovery code (letters in it) from a TOTP code (six digits)."""
    return any(c.isalpha() for c in code)
