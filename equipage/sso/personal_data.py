"""Single sign-on's part of a member's own data: the identities linked to their account."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from equipage.core.personal_data import personal_data
from equipage.sso.models import SsoLink

if TYPE_CHECKING:
    from equipage.accounts.models import Member


@personal_data("sso_links")
def sso_links(member: Member) -> list[dict[str, Any]]:
    """Return which provider knows the member under which subject, since when."""
    rows = SsoLink.objects.filter(organization_id=member.org_id, member_id=member.pk)
    return [
        {"issuer": i, "subject": s, "created_at": c, "last_login_at": last}
        for i, s, c, last in rows.order_by("created_at", "pk").values_list(
            "issuer", "subject", "created_at", "last_login_at"
        )
    ]
