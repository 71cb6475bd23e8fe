"""Device cookies: a browser that has logged in to an account is known to that account.

A signed cookie (Django signing, our secret key) names the account and a
random device id, and carries the time it was issued. It proves nothing about
who is typing — the password still does that — but it lets the throttle count
that browser's failures on its own, so that strangers' failures on the account
never slow it down (``equipage.accounts.throttle``). It is issued anew at each
successful login and when a password is set from a mailed link.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core import signing

from equipage.core import clock

DEVICE_COOKIE_AGE = dt.timedelta(days=180)
_SALT = "equipage.accounts.device"


@dataclass(frozen=True)
class DeviceCookie:
    """A cookie to set on the browser: its name, value and lifetime in seconds."""

    name: str
    value: str
    max_age: int


def cookie_name(member_id: int) -> str:
    """Return the cookie's name: one per account, so a shared computer keeps each one."""
    return f"equipage_device_{member_id}"


def issue_device_cookie(member: Any) -> DeviceCookie:
    """Return a new device cookie bound to ``member``, valid for ``DEVICE_COOKIE_AGE``."""
    value = signing.dumps(
        {"m": member.pk, "d": secrets.token_urlsafe(18), "t": int(clock.now().timestamp())},
        salt=_SALT,
    )
    return DeviceCookie(cookie_name(member.pk), value, int(DEVICE_COOKIE_AGE.total_seconds()))


def trusted_device(member: Any, cookies: Mapping[str, str]) -> str | None:
    """Return the device id of ``member``'s valid device cookie among ``cookies``, or None.

    A cookie of another account, a forged or tampered one, or one older than
    ``DEVICE_COOKIE_AGE`` (by the application clock) counts as no cookie.
    """
    raw = cookies.get(cookie_name(member.pk), "")
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("m") != member.pk:
        return None
    issued = data.get("t")
    if not isinstance(issued, int):
        return None
    if clock.now().timestamp() - issued > DEVICE_COOKIE_AGE.total_seconds():
        return None
    device = data.get("d")
    return device if isinstance(device, str) and device else None
