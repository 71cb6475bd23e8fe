"""Forgetting audit events older than the organization keeps them (organizations.retention)."""

from __future__ import annotations

from equipage.audit.models import AuditEvent
from equipage.core.housekeeping import periodic
from equipage.organizations.retention import forget_older


@periodic
def forget_old_audit_events() -> int:
    return forget_older(
        AuditEvent.objects.all(), days_field="audit_retention_days", date_field="created_at"
    )
