"""The audit trail's part of a member's own data: events about them, by them, their logins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from equipage.audit.events import EventType
from equipage.audit.models import AuditEvent
from equipage.core.personal_data import MAX_ROWS, personal_data

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from equipage.accounts.models import Member

LOGIN_EVENTS = (EventType.MEMBER_LOGIN, EventType.MEMBER_LOGOUT, EventType.MEMBER_LOGIN_FAILED)


def _rows(events: QuerySet[AuditEvent]) -> Iterator[dict[str, Any]]:
    # One more than the bound, so that the writer can tell the list was cut.
    for e in events.order_by("-created_at", "-id")[: MAX_ROWS + 1].iterator():
        yield {
            "at": e.created_at,
            "event": e.event_type,
            "description": e.get_event_type_display(),
            "actor": e.actor_label,
            "target": f"{e.target_type}:{e.target_label}" if e.target_type else e.target_label,
            "before": e.before,
            "after": e.after,
            "origin": e.origin,
        }


@personal_data("audit_events_about_me")
def events_about(member: Member) -> Iterator[dict[str, Any]]:
    return _rows(AuditEvent.objects.filter(member_id=member.pk, organization_id=member.org_id))


@personal_data("audit_events_by_me")
def events_by(member: Member) -> Iterator[dict[str, Any]]:
    return _rows(AuditEvent.objects.filter(actor_id=member.pk, organization_id=member.org_id))


@personal_data("logins")
def logins(member: Member) -> Iterator[dict[str, Any]]:
    events = AuditEvent.objects.filter(
        member_id=member.pk, organization_id=member.org_id, event_type__in=LOGIN_EVENTS
    )
    for e in _rows(events):
        yield {"at": e["at"], "event": e["event"], "origin": e["origin"]}
