"""Two-factor's part of a member's own data: whether a second factor is set, never its secret."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from equipage.core.personal_data import personal_data
from equipage.twofactor.selectors import confirmed_device, recovery_codes_left

if TYPE_CHECKING:
    from equipage.accounts.models import Member


@personal_data("two_factor")
def two_factor(member: Member) -> dict[str, Any]:
    """Return whether the member has an authenticator, since when, and how many recovery
    codes they have left (no secret, no code hash)."""
    device = confirmed_device(member)
    return {
        "enrolled": device is not None,
        "since": device.confirmed_at if device is not None else None,
        "recovery_codes_left": recovery_codes_left(member) if device is not None else 0,
    }
