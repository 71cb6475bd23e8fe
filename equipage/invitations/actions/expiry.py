"""Announcing expired invitations once each (audit trail and webhooks)."""

from __future__ import annotations

from django.db import transaction

from equipage.audit.events import EventType
from equipage.audit.record import Entry, record_many
from equipage.core import clock
from equipage.invitations.models import Invitation, InvitationStatus
from equipage.organizations.models import Organization
from equipage.organizations.seats import lock_organization
from equipage.permissions import Actor


def expire_invitations(*, organization: Organization | None = None, limit: int = 1000) -> int:
    """Record ``invitation.expired`` once for each pending invitation whose time has passed.

    Expiry itself is computed from the clock; this only announces it (audit
    trail and webhooks), exactly once per invitation even with several workers.
    """
    from equipage.audit.models import AuditEvent

    now = clock.now()
    due = Invitation.objects.filter(status=InvitationStatus.PENDING, expires_at__lte=now)
    if organization is not None:
        due = due.filter(organization=organization)
    total = 0
    for org_id in list(due.values_list("organization_id", flat=True).distinct()[:1000]):
        with transaction.atomic():
            org = lock_organization(org_id)
            candidates = list(
                due.filter(organization=org).select_related("member").order_by("id")[:limit]
            )
            announced = set(
                AuditEvent.objects.filter(
                    organization=org,
                    event_type=EventType.INVITATION_EXPIRED,
                    target_type="invitation",
                    target_id__in=[str(i.pk) for i in candidates],
                ).values_list("target_id", flat=True)
            )
            fresh = [i for i in candidates if str(i.pk) not in announced]
            if not fresh:
                continue
            record_many(
                actor=Actor.system(org, "invitation expiry"),
                organization=org,
                entries=(
                    Entry(
                        EventType.INVITATION_EXPIRED,
                        target=i,
                        member=i.member,
                        target_label=i.email,
                        after={"email": i.email, "expires_at": i.expires_at.isoformat()},
                    )
                    for i in fresh
                ),
            )
            total += len(fresh)
    return total
