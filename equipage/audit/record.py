"""Writing audit events, one at a time or in bulk, inside the action's transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction

from equipage.audit.events import EventType
from equipage.audit.models import AuditEvent
from equipage.core import clock

if TYPE_CHECKING:
    from equipage.organizations.models import Organization
    from equipage.permissions.actor import Actor


AuditListener = Callable[["Actor", "Organization | None", list[AuditEvent]], None]

# Called with the rows just written, in the action's transaction: outgoing webhooks
# hang here, so every entry point (console, API, SCIM, CLI, import) emits them.
LISTENERS: list[AuditListener] = []


def _notify(actor: Actor, organization: Organization | None, rows: list[AuditEvent]) -> None:
    for listener in LISTENERS:
        listener(actor, organization, rows)


@dataclass
class Entry:
    """One event to write; ``record_many`` writes a batch of them in one query per 1000."""

    event: EventType
    target: Any = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    member: Any = None
    target_label: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _target_fields(target: Any, label: str) -> dict[str, Any]:
    if target is None:
        return {"target_type": "", "target_id": "", "target_label": label}
    return {
        "target_type": target._meta.model_name,
        "target_id": str(target.pk),
        "target_label": label or str(target)[:300],
    }


def _build(actor: Actor, organization: Organization | None, entry: Entry) -> AuditEvent:
    from equipage.accounts.models import Member

    member = entry.member
    if member is None and isinstance(entry.target, Member):
        member = entry.target
    after = entry.after
    if entry.extra:
        after = {**(after or {}), **entry.extra}
    return AuditEvent(
        organization=organization,
        organization_slug=organization.slug if organization else "",
        created_at=clock.now(),
        event_type=EventType(entry.event).value,  # refuses an unregistered type
        actor_id=actor.member.pk if actor.member is not None else None,
        actor_label=actor.label,
        member_id=member.pk if member is not None else None,
        before=entry.before,
        after=after,
        origin=actor.origin.as_dict(),
        **_target_fields(entry.target, entry.target_label),
    )


def record(
    *,
    actor: Actor,
    organization: Organization | None,
    event: EventType,
    target: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    member: Any = None,
    target_label: str = "",
) -> AuditEvent:
    """Write one audit event; must run inside the action's transaction."""
    _require_transaction()
    entry = Entry(event, target, before, after, member, target_label)
    row = _build(actor, organization, entry)
    row.save()
    _notify(actor, organization, [row])
    return row


def record_many(
    *, actor: Actor, organization: Organization | None, entries: Iterable[Entry]
) -> int:
    """Write many audit events with bulk inserts; returns how many were written."""
    _require_transaction()
    rows = [_build(actor, organization, e) for e in entries]
    AuditEvent.objects.bulk_create(rows, batch_size=1000)
    if rows:
        _notify(actor, organization, rows)
    return len(rows)


def _require_transaction() -> None:
    # An audit row outside the action's transaction could survive a rolled-back change.
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events are written inside the action's transaction")
