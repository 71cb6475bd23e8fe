"""Writing audit events, one at a time or in bulk, inside the action's transaction."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


# While ``notifications_batched()`` runs: the listener calls it holds, made when it ends.
_held: ContextVar[list[tuple[Actor, Organization | None, list[AuditEvent]]] | None] = ContextVar(
    "equipage_audit_held", default=None
)


def _notify(actor: Actor, organization: Organization | None, rows: list[AuditEvent]) -> None:
    held = _held.get()
    if held is not None:
        held.append((actor, organization, list(rows)))
        return
    for listener in LISTENERS:
        listener(actor, organization, rows)


@contextmanager
def notifications_batched() -> Iterator[None]:
    """Hold the listeners' calls made in the block; make them once it ends, rows together.

    A bulk action that runs one small action per member (5,000 group removals)
    then tells the listeners once, so the webhooks go out in a few batched
    deliveries, not one per member. The block must sit inside the transaction
    that writes the rows (the listeners write in it too); if it raises, nothing
    is told. Nested blocks join the outermost one.
    """
    if _held.get() is not None:
        yield
        return
    held: list[tuple[Actor, Organization | None, list[AuditEvent]]] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    merged: list[tuple[Actor, Organization | None, list[AuditEvent]]] = []
    for actor, organization, rows in held:
        last = merged[-1] if merged else None
        if last is not None and last[0] is actor and _same_org(last[1], organization):
            last[2].extend(rows)
        else:
            merged.append((actor, organization, rows))
    for actor, organization, rows in merged:
        _notify(actor, organization, rows)


@contextmanager
def forgotten_if_failed() -> Iterator[None]:
    """Drop the calls held for the block if it raises: its savepoint rolled its rows back."""
    held = _held.get()
    mark = len(held) if held is not None else 0
    try:
        yield
    except BaseException:
        if held is not None:
            del held[mark:]
        raise


def _same_org(a: Organization | None, b: Organization | None) -> bool:
    return (a.pk if a is not None else None) == (b.pk if b is not None else None)


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


class LightEvent:
    """An audit row written by ``record_rows``: the attributes listeners read, no ORM object.

    ``before`` and ``after`` are kept as the JSON text written and decoded when
    read: a listener that reads them pays, one that returns early does not.
    """

    __slots__ = (
        "_after",
        "_before",
        "actor_id",
        "actor_label",
        "created_at",
        "event_type",
        "id",
        "member_id",
        "organization_id",
        "target_id",
        "target_label",
        "target_type",
    )

    def __init__(
        self,
        event_type: str,
        member_id: int | None,
        target_type: str,
        target_id: str,
        target_label: str,
        before_json: str | None,
        after_json: str | None,
        created_at: dt.datetime,
        organization_id: int | None = None,
        actor_id: int | None = None,
        actor_label: str = "",
    ) -> None:
        self.event_type, self.member_id = event_type, member_id
        self.target_type, self.target_id, self.target_label = target_type, target_id, target_label
        self._before, self._after = before_json, after_json
        self.created_at, self.organization_id = created_at, organization_id
        self.actor_id, self.actor_label, self.id = actor_id, actor_label, None

    @property
    def before(self) -> dict[str, Any] | None:
        return None if self._before is None else json.loads(self._before)

    @property
    def after(self) -> dict[str, Any] | None:
        return None if self._after is None else json.loads(self._after)


# (event, member id, target type, target id, target label, before, after): before and after
# as dicts, or as their JSON text already (``AuditJson``) when the caller made it cheaper.
RowTuple = tuple[
    str, "int | None", str, str, str, "dict[str, Any] | AuditJson | None",
    "dict[str, Any] | AuditJson | None",
]  # fmt: skip


class AuditJson(str):
    """A before/after value given as JSON text: written as it is, not serialised again.

    The caller promises valid JSON of an object, as ``json.dumps`` would write it.
    """

    __slots__ = ()


_COLUMNS = (
    "organization_id, organization_slug, created_at, event_type, actor_id, actor_label,"
    " target_type, target_id, target_label, member_id, before, after, origin"
)


def record_rows(
    *, actor: Actor, organization: Organization | None, rows: Iterable[RowTuple]
) -> int:
    """Write many audit events from plain tuples in bulk; returns how many.

    The bulk path of large actions (imports): the same columns and content as
    ``record_many`` — one timestamp for the batch, the origin serialised once —
    without an ORM object per row. Listeners get ``LightEvent`` rows, a batch
    of at most 5000 at a time.
    """
    from django.db import connection

    _require_transaction()
    now = clock.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    org_id = organization.pk if organization is not None else None
    slug = organization.slug if organization is not None else ""
    actor_id = actor.member.pk if actor.member is not None else None
    label = actor.label
    origin = json.dumps(actor.origin.as_dict())
    dumps = _json_memo()
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = f"INSERT INTO {table} ({_COLUMNS}) VALUES ({', '.join(['%s'] * 13)})"  # noqa: S608
    copy_sql = f"COPY {table} ({_COLUMNS}) FROM STDIN"

    def write(cursor: Any, batch: list[tuple[Any, ...]]) -> None:
        if connection.vendor == "postgresql":  # COPY: one round trip per batch, not per row
            with cursor.cursor.copy(copy_sql) as copy:
                for values in batch:
                    copy.write_row(values)
        else:
            cursor.executemany(sql, batch)

    light: list[LightEvent] | None = [] if LISTENERS else None
    batch: list[tuple[Any, ...]] = []
    types: dict[str, str] = {}  # like record(): an unregistered event type is refused
    count = 0
    with connection.cursor() as cursor:
        for event, member_id, ttype, tid, tlabel, before, after in rows:
            event_type = types.get(event) or types.setdefault(event, EventType(event).value)
            tlabel = tlabel[:300]
            before_json = None if before is None else dumps(before)
            after_json = None if after is None else dumps(after)
            batch.append(
                (
                    org_id,
                    slug,
                    stamp,
                    event_type,
                    actor_id,
                    label,
                    ttype,
                    tid,
                    tlabel,
                    member_id,
                    before_json,
                    after_json,
                    origin,
                )
            )
            if light is not None:
                light.append(
                    LightEvent(
                        event_type,
                        member_id,
                        ttype,
                        tid,
                        tlabel,
                        before_json,
                        after_json,
                        now,
                        org_id,
                        actor_id,
                        label,
                    )
                )
            if len(batch) >= 5000:
                write(cursor, batch)
                count += len(batch)
                batch = []
                if light:  # listeners hear each batch: memory stays bounded on 1M rows
                    _notify(actor, organization, light)  # type: ignore[arg-type]
                    light = []
        if batch:
            write(cursor, batch)
            count += len(batch)
    if light:
        _notify(actor, organization, light)  # type: ignore[arg-type]
    return count


def _json_memo(size: int = 256) -> Callable[[dict[str, Any] | AuditJson], str]:
    """Return ``json.dumps`` remembering small dicts: a bulk action repeats the same few.

    Deactivating 50,000 members writes ``{"state": "active"}`` 50,000 times;
    an import's field-by-field changes never repeat and fill the memory only
    up to ``size`` entries.
    """
    seen: dict[tuple[tuple[str, type, Any], ...], str] = {}
    dumps = json.dumps

    def dump(value: dict[str, Any] | AuditJson) -> str:
        if isinstance(value, AuditJson):
            return str(value)  # a plain str: the drivers bind it like any text
        if len(value) > 2:
            return dumps(value)
        try:
            # The type too: True == 1 and hash alike, but dump as "true" and "1".
            key = tuple((k, v.__class__, v) for k, v in value.items())
            text = seen.get(key)
        except TypeError:  # an unhashable value (a list of groups): not remembered
            return dumps(value)
        if text is None:
            text = dumps(value)
            if len(seen) < size:
                seen[key] = text
        return text

    return dump


def _require_transaction() -> None:
    # An audit row outside the action's transaction could survive a rolled-back change.
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events are written inside the action's transaction")
