"""Turning audit events into webhook deliveries: the one place webhooks are emitted from."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.db import transaction

from equipage.audit.events import EventType
from equipage.core import clock
from equipage.webhooks import membership
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

# Membership events per delivery: a bulk action on 5,000 members is 10 requests, not 5,000.
EVENTS_PER_DELIVERY = 500

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
    """Queue the deliveries the audit ``rows`` call for, for every subscribed endpoint.

    The ``member.*`` lifecycle events are one delivery each; the membership
    events (``equipage.webhooks.membership``) go ``EVENTS_PER_DELIVERY`` to a
    delivery, so a bulk action on 5,000 members sends a handful of requests.
    """
    if organization is None:
        return
    mapped = [(row, EVENT_MAP[row.event_type]) for row in rows if row.event_type in EVENT_MAP]
    touches_membership = any(row.event_type in membership.SOURCES for row in rows)
    if not mapped and not touches_membership:
        return
    endpoints = list(WebhookEndpoint.objects.filter(organization=organization, active=True))
    if not endpoints:
        return
    subscribed = {e for ep in endpoints for e in ep.events}
    mapped = [(row, e) for row, e in mapped if e in subscribed]
    wanted = subscribed & set(membership.KINDS)
    found = membership.changes(rows, wanted, organization.pk) if wanted else []
    if not mapped and not found:
        return
    members = _members({row.member_id for row, _e in mapped} | {c.member_id for c in found})
    now = clock.now()
    context = {"actor": actor.label, "channel": actor.origin.channel}
    deliveries: list[WebhookDelivery] = []
    for row, event in mapped:
        data = {**context, **_single_data(row, event, members.get(row.member_id or 0))}
        for endpoint in endpoints:
            if event in endpoint.events:
                deliveries.append(
                    _delivery(organization, endpoint, event, row.created_at, data, now)
                )
    for endpoint in endpoints:
        for kind in membership.KINDS:
            if kind not in endpoint.events:
                continue
            events = [_membership_event(c, members) for c in found if c.event == kind]
            for start in range(0, len(events), EVENTS_PER_DELIVERY):
                batch = events[start : start + EVENTS_PER_DELIVERY]
                data = {**context, "events": batch}
                deliveries.append(
                    _delivery(organization, endpoint, kind, found[0].created_at, data, now)
                )
    if not deliveries:
        return
    created = WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000)
    ids = [d.pk for d in created if d.pk]
    transaction.on_commit(lambda: _enqueue_all(ids))


def _members(ids: set[int | None]) -> dict[int, Any]:
    from equipage.accounts.models import Member

    member_ids = sorted(pk for pk in ids if pk)
    members: dict[int, Any] = {}
    # In chunks: a bulk import may name 100k members, beyond SQLite's bound-variable limit.
    for start in range(0, len(member_ids), 5000):
        chunk = member_ids[start : start + 5000]
        members.update((m.pk, m) for m in Member.objects.filter(pk__in=chunk))
    return members


def _single_data(row: Any, event: WebhookEvent, member: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if event == WebhookEvent.MEMBER_DELETED:
        # The person is being erased: say who by id only.
        data["member"] = {"id": row.member_id}
    elif member is not None:
        data["member"] = _member_data(member)
    if event == WebhookEvent.MEMBER_UPDATED:
        data["changes"] = {"before": row.before, "after": row.after}
    if event == WebhookEvent.INVITATION_EXPIRED:
        data["invitation"] = {"id": int(row.target_id), **(row.after or {})}
    return data


def _membership_event(change: membership.Change, members: dict[int, Any]) -> dict[str, Any]:
    member = members.get(change.member_id)
    who = _member_data(member) if member is not None else {"id": change.member_id}
    return {"id": str(uuid.uuid4()), "member": who, **change.data()}


def _delivery(
    organization: Organization,
    endpoint: WebhookEndpoint,
    event: WebhookEvent,
    created_at: Any,
    data: dict[str, Any],
    now: Any,
) -> WebhookDelivery:
    event_id = str(uuid.uuid4())
    return WebhookDelivery(
        organization=organization,
        endpoint=endpoint,
        event=event,
        event_id=event_id,
        payload={
            "id": event_id,
            "type": str(event),
            "created_at": created_at.isoformat(),
            "organization": organization.slug,
            "data": data,
        },
        next_attempt_at=now,
        created_at=now,
    )


def _enqueue_all(ids: list[int]) -> None:
    from equipage.webhooks.delivery import enqueue, enqueue_sweep

    if len(ids) <= _PER_DELIVERY_TASKS and all(ids):
        for pk in ids:
            enqueue(pk)
    else:
        enqueue_sweep()
