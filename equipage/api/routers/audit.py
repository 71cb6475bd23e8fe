"""Audit events, newest first, with keyset pagination."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from equipage.api.common import (
    Cursor,
    Identifier,
    RowId,
    actor,
    decode_cursor,
    encode_cursor,
    organization,
)
from equipage.api.errors import ERROR_RESPONSES
from equipage.audit.models import AuditEvent
from equipage.core.errors import ValidationFailed
from equipage.permissions import Cap, authorize

router = Router(tags=["audit"])


class EventOut(Schema):
    id: int
    created_at: str
    event_type: str
    actor: str
    target_type: str
    target_id: str
    target: str
    member_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    origin: dict[str, Any]


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None = None


class EventFilters(Schema):
    event_type: Identifier = Field("", max_length=48)
    member_id: RowId | None = None
    limit: int = Field(50, ge=1, le=500)
    cursor: Cursor = ""


@router.get("", response={200: EventPage, **ERROR_RESPONSES}, summary="List audit events")
def list_audit_events(request: HttpRequest, filters: Query[EventFilters]) -> Any:
    """List audit events, newest first; filter by event type, page with `cursor`."""
    authorize(actor(request), Cap.AUDIT_VIEW)
    qs = AuditEvent.objects.filter(organization=organization(request))
    if filters.event_type:
        qs = qs.filter(event_type=filters.event_type)
    if filters.member_id is not None:
        qs = qs.filter(member_id=filters.member_id)
    if filters.cursor:
        (last_id,) = decode_cursor(filters.cursor, 1)
        if not isinstance(last_id, int):
            raise ValidationFailed(_("This cursor is not valid."), field="cursor")
        qs = qs.filter(pk__lt=last_id)
    rows = list(qs.order_by("-id")[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {
        "items": [
            {
                "id": e.pk,
                "created_at": e.created_at.isoformat(),
                "event_type": e.event_type,
                "actor": e.actor_label,
                "target_type": e.target_type,
                "target_id": e.target_id,
                "target": e.target_label,
                "member_id": e.member_id,
                "before": e.before,
                "after": e.after,
                "origin": e.origin or {},
            }
            for e in rows
        ],
        "next_cursor": encode_cursor([rows[-1].pk]) if more else None,
    }
