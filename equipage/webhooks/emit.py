"""Turning audit events into webhook deliveries: the one place webhooks are emitted from."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.db import transaction

from equipage.audit.events import EventType
from equipage.core import clock
from equipage.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

if TYPE_CHECKING:
    from equipage.audit.models import AuditEvent
    from equipage.organizations.models import Organization
    from equipage.permissions.actor import Actor

EVENT_MAP: dict[str, WebhookEvent] = {
    EventType.MEMBER_CREATED: WebhookEvent.MEMBER_CREATED,
    EventType.INVITATION_SENT: WebhookEvent.MEMBER_INVITED,
    EventType.INVITATION_RESENT: WebhookEvent.MEMBER_INVITED,
    EventType.MEMBER_ACTIVATED: WebhookEvent.MEMBER_ACTIVATED,
    EventType.MEMBER_UPDATED: WebhookEvent.MEMBER_UPDATED,
    EventType.MEMBER_ROLES_CHANGED: WebhookEvent.MEMBER_UPDATED,
    EventType.MEMBER_CUSTOM_FIELDS_CHANGED: WebhookEvent.MEMBER_UPDATED,
    EventType.MEMBER_DEACTIVATED: WebhookEvent.MEMBER_DEACTIVATED,
    EventType.MEMBER_REACTIVATED: WebhookEvent.MEMBER_REACTIVATED,
    EventType.MEMBER_DELETED: WebhookEvent.MEMBER_DELETED,
    EventType.MEMBER_RESTORED: WebhookEvent.MEMBER_RESTORED,
    EventType.INVITATION_EXPIRED: WebhookEvent.INVITATION_EXPIRED,
}

# Beyond this many deliveries in one action, one sweep task sends them instead of one task each.
_PER_DELIVERY_TASKS = 50


def _member_data(member: Any) -> dict[str, Any]:
    return {
        "id": member.pk,
        "login": member.login,
        "email": member.email,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "state": member.state,
        "external_id": member.external_id,
    }


def on_audit_events(
    actor: Actor, organization: Organization | None, rows: list[AuditEvent]
) -> None:
    """Queue a delivery per subscribed endpoint for each audit row that maps to a webhook event."""
    if organization is None:
        return
    mapped = [(row, EVENT_MAP[row.event_type]) for row in rows if row.event_type in EVENT_MAP]
    if not mapped:
        return
    endpoints = list(WebhookEndpoint.objects.filter(organization=organization, active=True))
    if not endpoints:
        return
    wanted = {e for _row, e in mapped}
    if not any(wanted & set(ep.events) for ep in endpoints):
        return
    from equipage.accounts.models import Member

    member_ids = sorted({row.member_id for row, _e in mapped if row.member_id})
    members: dict[int, Any] = {}
    # In chunks: a bulk import may name 100k members, beyond SQLite's bound-variable limit.
    for start in range(0, len(member_ids), 5000):
        chunk = member_ids[start : start + 5000]
        members.update((m.pk, m) for m in Member.objects.filter(pk__in=chunk))
    now = clock.now()
    deliveries: list[WebhookDelivery] = []
    for row, event in mapped:
        data: dict[str, Any] = {"actor": actor.label, "channel": actor.origin.channel}
        member = members.get(row.member_id or 0)
        if event == WebhookEvent.MEMBER_DELETED:
            # The person is being erased: say who by id only.
            data["member"] = {"id": row.member_id}
        elif member is not None:
            data["member"] = _member_data(member)
        if event == WebhookEvent.MEMBER_UPDATED:
            data["changes"] = {"before": row.before, "after": row.after}
        if event == WebhookEvent.INVITATION_EXPIRED:
            data["invitation"] = {"id": int(row.target_id), **(row.after or {})}
        for endpoint in endpoints:
            if event not in endpoint.events:
                continue
            event_id = str(uuid.uuid4())
            deliveries.append(
                WebhookDelivery(
                    organization=organization,
                    endpoint=endpoint,
                    event=event,
                    event_id=event_id,
                    payload={
                        "id": event_id,
                        "type": str(event),
                        "created_at": row.created_at.isoformat(),
                        "organization": organization.slug,
                        "data": data,
                    },
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    if not deliveries:
        return
    created = WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000)
    ids = [d.pk for d in created if d.pk]
    transaction.on_commit(lambda: _enqueue_all(ids))


def _enqueue_all(ids: list[int]) -> None:
    from equipage.webhooks.delivery import enqueue, enqueue_sweep

    if len(ids) <= _PER_DELIVERY_TASKS and all(ids):
        for pk in ids:
            enqueue(pk)
    else:
        enqueue_sweep()
