"""Writes about the audit trail itself: its export is audited like the members' export."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from equipage.audit.events import EventType
from equipage.audit.record import record

if TYPE_CHECKING:
    from equipage.organizations.models import Organization
    from equipage.permissions.actor import Actor


def audit_log_export(*, actor: Actor, organization: Organization, filters: dict[str, Any]) -> None:
    """Check that ``actor`` may read the whole trail, and record that they exported it."""
    from equipage.permissions import Cap, authorize

    authorize(actor, Cap.AUDIT_LOG, organization)
    with transaction.atomic():
        record(
            actor=actor,
            organization=organization,
            event=EventType.AUDIT_EXPORTED,
            after={k: v for k, v in filters.items() if v not in (None, "")},
        )
