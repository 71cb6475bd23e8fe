"""Reads of the outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from equipage.emails.models import OutboundEmail

if TYPE_CHECKING:
    from equipage.accounts.models import Member


def mails_to(member: Member, limit: int = 20) -> list[OutboundEmail]:
    """Return the latest e-mails queued for ``member`` in their organization, newest first."""
    return list(OutboundEmail.objects.filter(member=member, organization_id=member.org_id)[:limit])
