"""Reads of the audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from equipage.audit.models import AuditEvent

if TYPE_CHECKING:
    from equipage.accounts.models import Member


def events_about(member: Member, limit: int = 25) -> list[AuditEvent]:
    """Return the latest audit events about ``member`` in their organization, newest first."""
    return list(AuditEvent.objects.filter(member=member, organization_id=member.org_id)[:limit])


PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilters:
    """What the audit page narrows to; every field optional. Dates are aware datetimes."""

    member_id: int | None = None
    actor_id: int | None = None
    event_type: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None  # exclusive


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the (created_at, id) of its last row; the next page starts below."""

    created_at: dt.datetime
    id: int

    def encode(self) -> str:
        return f"{self.created_at.isoformat()}~{self.id}"

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        """Return the cursor ``text`` names, or None for anything malformed (the first page)."""
        stamp, _sep, pk = text.partition("~")
        try:
            created_at = dt.datetime.fromisoformat(stamp)
            number = int(pk)
        except ValueError:
            return None
        if created_at.tzinfo is None or number < 0:
            return None
        return cls(created_at, number)


def audit_events(organization_id: int, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Return the organization's events ``filters`` keep, newest first (created_at, then id).

    Each filter has an index leading with it (audit 0006), so a page reads
    only its own rows at any depth, whatever the size of the trail.
    """
    qs = AuditEvent.objects.filter(organization_id=organization_id)
    if filters.member_id is not None:
        qs = qs.filter(member_id=filters.member_id)
    if filters.actor_id is not None:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.event_type:
        qs = qs.filter(event_type=filters.event_type)
    if filters.since is not None:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until is not None:
        qs = qs.filter(created_at__lt=filters.until)
    return qs.order_by("-created_at", "-id")


def audit_page(
    organization_id: int, filters: AuditFilters, after: Cursor | None, size: int = PAGE_SIZE
) -> tuple[list[AuditEvent], Cursor | None]:
    """Return one page of events below ``after`` and the cursor of the next page (None: last)."""
    qs = audit_events(organization_id, filters)
    if after is not None:
        qs = qs.filter(_below(after))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (Cursor(rows[-1].created_at, rows[-1].pk) if more and rows else None)


def _below(cursor: Cursor) -> RawSQL:
    # A row-value comparison, which both databases answer from the index as one range;
    # "created_at < c OR (created_at = c AND id < i)" is not, and the rows of one bulk
    # action all share one timestamp.
    stamp = connection.ops.adapt_datetimefield_value(cursor.created_at)
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    return RawSQL(  # noqa: S611 -- a constant text; the values are bound parameters
        f"({table}.created_at, {table}.id) < (%s, %s)",
        (stamp, cursor.id),
        output_field=BooleanField(),
    )


def iter_audit_events(organization_id: int, filters: AuditFilters) -> Iterator[AuditEvent]:
    """Yield every event ``filters`` keep, newest first, a page at a time: memory stays flat."""
    after: Cursor | None = None
    while True:
        rows, after = audit_page(organization_id, filters, after, size=2000)
        yield from rows
        if after is None:
            return
