"""Reads about organizations: lookup by slug, seat usage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from equipage.core.errors import NotFound
from equipage.organizations.models import MemberCount, Organization


def organization_by_slug(slug: str) -> Organization:
    """Return the organization named by ``slug`` or raise ``NotFound``."""
    try:
        if "\x00" in slug:  # no slug holds one, and PostgreSQL refuses it in a query
            raise Organization.DoesNotExist
        return Organization.objects.get(slug=slug)
    except Organization.DoesNotExist:
        raise NotFound(_("Unknown organization “%(slug)s”.") % {"slug": slug}) from None


@dataclass(frozen=True)
class SeatUsage:
    active: int
    pending_invitations: int
    paid: int | None

    @property
    def used(self) -> int:
        return self.active + self.pending_invitations

    @property
    def free(self) -> int | None:
        return None if self.paid is None else max(self.paid - self.used, 0)

    @property
    def near_limit(self) -> bool:
        """Tell whether the header should warn: 90% used or fewer than 3 seats left."""
        if self.paid is None:
            return False
        return self.used >= self.paid * 0.9 or (self.free or 0) < 3


def active_member_count(organization_id: int) -> int:
    """Count the organization's active members (each takes a seat).

    PostgreSQL reads the count its triggers keep (``MemberCount``): it has no
    (organization, state) index to count with (directory 0005). SQLite counts
    with that index.
    """
    from equipage.accounts.models import Member, MemberState

    if connection.vendor == "postgresql":
        row = MemberCount.objects.filter(organization_id=organization_id).values_list("active")
        return next(iter(row), (0,))[0]
    return Member.objects.filter(organization_id=organization_id, state=MemberState.ACTIVE).count()


def seat_usage(organization: Organization) -> SeatUsage:
    """Count billable accounts and pending invitations (seed 001)."""
    from equipage.invitations.models import pending_invitations

    active = active_member_count(organization.pk)
    pending = pending_invitations(organization).count()
    return SeatUsage(active=active, pending_invitations=pending, paid=organization.seats)


@dataclass(frozen=True)
class Footprint:
    """What deleting an organization takes with it, as the owner is told before confirming."""

    members: int
    groups: int
    queued_emails: int


def organization_footprint(organization: Organization) -> Footprint:
    """Count the members, groups and unsent e-mails of an organization."""
    from equipage.accounts.models import Member
    from equipage.emails.models import MailStatus, OutboundEmail
    from equipage.groups.models import Group

    return Footprint(
        members=Member.objects.filter(organization=organization).count(),
        groups=Group.objects.filter(organization=organization).count(),
        queued_emails=OutboundEmail.objects.filter(
            organization=organization, status__in=(MailStatus.QUEUED, MailStatus.SENDING)
        ).count(),
    )


@dataclass(frozen=True)
class SeatChange:
    """One change of the paid seats, as the audit trail recorded it (None: unlimited)."""

    at: Any
    by: str
    before: int | None
    after: int | None
    created: bool  # the organization's creation set the first count


def seat_history(organization: Organization, limit: int = 100) -> list[SeatChange]:
    """Return the latest changes of the paid seats, newest first, read from the audit trail.

    Every write of the seats goes through ``organization_update`` (console, CLI,
    API), which records ``org.updated`` with the seats before and after; the
    creation records the first count. No second history to keep in step.
    """
    from equipage.audit.events import EventType
    from equipage.audit.models import AuditEvent

    events = AuditEvent.objects.filter(
        organization=organization,
        event_type__in=(EventType.ORG_CREATED, EventType.ORG_UPDATED),
        after__has_key="seats",
    ).only("created_at", "actor_label", "event_type", "before", "after")[:limit]
    return [
        SeatChange(
            at=e.created_at,
            by=e.actor_label,
            before=(e.before or {}).get("seats"),
            after=(e.after or {}).get("seats"),
            created=e.event_type == EventType.ORG_CREATED,
        )
        for e in events
    ]
