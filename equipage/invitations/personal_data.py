"""The invitations' part of a member's own data (never their tokens)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from equipage.core.personal_data import personal_data
from equipage.invitations.models import Invitation, InvitationReminder

if TYPE_CHECKING:
    from equipage.accounts.models import Member


@personal_data("invitations")
def invitations(member: Member) -> list[dict[str, Any]]:
    rows = list(Invitation.objects.filter(member=member).order_by("-created_at", "-id")[:1000])
    reminded: dict[int, list[Any]] = {}
    for inv_id, days, sent in InvitationReminder.objects.filter(
        invitation_id__in=[i.pk for i in rows]
    ).values_list("invitation_id", "after_days", "sent_at"):
        reminded.setdefault(inv_id, []).append({"after_days": days, "sent_at": sent})
    return [
        {
            "email": i.email,
            "status": "expired" if i.is_expired() else i.status,
            "roles": i.roles,
            "groups": i.group_ids,
            "invited_by": i.invited_by_label,
            "created_at": i.created_at,
            "expires_at": i.expires_at,
            "decided_at": i.decided_at,
            "reminders": reminded.get(i.pk, []),
        }
        for i in rows
    ]
