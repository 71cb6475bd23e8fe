"""Reads of the audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from equipage.audit.models import AuditEvent

if TYPE_CHECKING:
    from equipage.accounts.models import Member


def events_about(member: Member, limit: int = 25) -> list[AuditEvent]:
    """Return the latest audit events about ``member`` in their organization, newest first."""
    return list(AuditEvent.objects.filter(member=member, organization_id=member.org_id)[:limit])
