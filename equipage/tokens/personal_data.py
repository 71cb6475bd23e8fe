"""The API tokens a member created (names, scopes and dates; never the token or its hash)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from equipage.core.personal_data import personal_data
from equipage.tokens.models import ApiToken

if TYPE_CHECKING:
    from equipage.accounts.models import Member


@personal_data("api_tokens")
def api_tokens(member: Member) -> list[Any]:
    return list(
        ApiToken.objects.filter(created_by=member)
        .order_by("-created_at", "-id")
        .values(
            "name", "scopes", "prefix", "created_at", "last_used_at", "revoked_at", "revoked_reason"
        )[:1000]
    )
