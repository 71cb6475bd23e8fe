"""Security events: refused actions and refused tokens, logged and audited.

Every occurrence is one log line. The audit trail gets one row per offender
and minute, counted (``after["count"]``), not one row per request: an attacker
sending millions of invalid tokens would otherwise fill the audit table at the
speed of the network. Offenders are keyed by what the attacker cannot mint at
will: a known token or member (bounded by the rows of the database), else the
client address (an IPv6 /64 counts as one), and address-keyed rows are capped
at ``ADDRESS_ROWS_PER_MINUTE`` a minute, beyond which the rest fold into one
"many addresses" row. The per-minute counts live in ``SecurityTally``.

A refused action raises inside the action's transaction, which then rolls
back; an audit row written there would vanish with it. So, while a request is
served (``SecurityEventsMiddleware``) or inside ``collecting()``, occurrences
are kept in memory and written once the request is over, outside any action.
Elsewhere they are written at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from equipage.audit.events import EventType
from equipage.core import clock

if TYPE_CHECKING:
    from equipage.core.errors import DomainError
    from equipage.permissions.actor import Actor

log = logging.getLogger("equipage.security")

WINDOW = dt.timedelta(minutes=1)
KEEP_TALLIES = dt.timedelta(hours=1)
ADDRESS_ROWS_PER_MINUTE = 100


@dataclass
class Occurrence:
    """One security event to audit: who, in which organization, and its aggregation key."""

    event: EventType
    actor: Actor
    organization_id: int | None
    key: str
    by_address: bool = False
    target: Any = None
    target_label: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    count: int = 1
    # An everyday event (a token used): audited, not logged as a warning.
    quiet: bool = False


_pending: ContextVar[dict[str, Occurrence] | None] = ContextVar(
    "equipage_security_pending", default=None
)


@contextmanager
def collecting() -> Iterator[None]:
    """Hold the security events noted inside the block; write them when it ends."""
    token = _pending.set({})
    try:
        yield
    finally:
        pending = _pending.get() or {}
        _pending.reset(token)
        for occurrence in pending.values():
            write_safely(occurrence)


def pending_count() -> int:
    """Return how many distinct events the current ``collecting()`` block holds."""
    return len(_pending.get() or {})


def note(occurrence: Occurrence) -> None:
    """Log one occurrence; audit it when the request is over (or now, outside one).

    Within one request, repeats of the same key (a bulk action refused for
    50,000 members) are counted, not logged again.
    """
    pending = _pending.get()
    held = pending.get(occurrence.key) if pending is not None else None
    if held is not None:
        held.count += occurrence.count
        return
    log.log(
        logging.INFO if occurrence.quiet else logging.WARNING,
        "%s org=%s actor=%s ip=%s target=%s %s",
        occurrence.event.value,
        occurrence.organization_id or "-",
        occurrence.actor.label,
        occurrence.actor.origin.ip or "-",
        occurrence.target_label or "-",
        " ".join(f"{k}={v}" for k, v in occurrence.details.items()),
    )
    if pending is None:
        write_safely(occurrence)
    else:
        pending[occurrence.key] = occurrence


def note_denied(
    actor: Actor, error: DomainError, *, capability: str = "", target: Any = None
) -> None:
    """Note that ``actor`` was refused an action (``PermissionDenied``, or another tenant's object)."""
    if actor.is_privileged:
        return
    who = f"member:{actor.member.pk}" if actor.member is not None else f"{actor.kind}:{actor.label}"
    if actor.token is not None:
        who = f"token:{actor.token.pk}"
    same_org = _organization_of(target) in (None, actor.organization_id)
    details = {"capability": capability, "reason": error.code, "message": str(error)[:200]}
    note(
        Occurrence(
            event=EventType.ACCESS_DENIED,
            actor=actor,
            organization_id=actor.organization_id,
            key=f"denied|{who}|{capability}|{error.code}",
            # Another tenant's object is not named in the actor's trail, not even by its id.
            target=target if same_org and hasattr(target, "_meta") else None,
            target_label="" if same_org else "(another organization)",
            details=details,
        )
    )


def _organization_of(target: Any) -> int | None:
    if target is None or not hasattr(target, "_meta"):
        return None
    if target._meta.model_name == "organization":
        return int(target.pk)
    return getattr(target, "organization_id", None)


def address_key(ip: str) -> str:
    """Return the client address as an aggregation key; an IPv6 /64 is one client."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64] or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def write_safely(occurrence: Occurrence) -> None:
    """Write ``occurrence``; a failure is logged, never raised into the request."""
    try:
        write(occurrence)
    except Exception:
        log.exception("could not audit %s", occurrence.event.value)


def write(occurrence: Occurrence) -> None:
    """Audit ``occurrence``: a new row for its key this minute, else add to that row's count."""
    from equipage.audit.models import SecurityTally

    now = clock.now()
    window = now.replace(second=0, microsecond=0)
    key = _digest(occurrence.event, occurrence.organization_id, occurrence.key)
    with transaction.atomic():
        tally = SecurityTally.objects.select_for_update().filter(key=key, window=window).first()
        if tally is None and occurrence.by_address and _address_rows_full(occurrence, window):
            occurrence = _overflow(occurrence)
            key = _digest(occurrence.event, None, occurrence.key)
            tally = SecurityTally.objects.select_for_update().filter(key=key, window=window).first()
        if tally is not None:
            _add(tally, occurrence, now)
            return
        try:
            with transaction.atomic():
                row = _record(occurrence)
                SecurityTally.objects.create(
                    key=key,
                    window=window,
                    event_type=occurrence.event.value,
                    by_address=occurrence.by_address,
                    count=occurrence.count,
                    event=row,
                )
        except IntegrityError:  # another process opened this minute's row first
            tally = SecurityTally.objects.select_for_update().get(key=key, window=window)
            _add(tally, occurrence, now)
            return
        SecurityTally.objects.filter(window__lt=window - KEEP_TALLIES).delete()


def _digest(event: EventType, organization_id: int | None, key: str) -> str:
    return hashlib.sha256(f"{event.value}|{organization_id}|{key}".encode()).hexdigest()


def _address_rows_full(occurrence: Occurrence, window: dt.datetime) -> bool:
    from equipage.audit.models import SecurityTally

    used = SecurityTally.objects.filter(
        window=window, event_type=occurrence.event.value, by_address=True
    ).count()
    return used >= ADDRESS_ROWS_PER_MINUTE


def _overflow(occurrence: Occurrence) -> Occurrence:
    from equipage.permissions.actor import Actor, Origin

    return Occurrence(
        event=occurrence.event,
        actor=Actor(
            kind="token", label="(many addresses)", origin=Origin(occurrence.actor.origin.channel)
        ),
        organization_id=None,
        key="overflow",
        by_address=False,
        target_label="(many addresses)",
        details={"reason": "many_addresses"},
        count=occurrence.count,
    )


def _add(tally: Any, occurrence: Occurrence, now: dt.datetime) -> None:
    from equipage.audit.models import AuditEvent

    tally.count += occurrence.count
    tally.save(update_fields=["count"])
    # The row of a minute is complete once the minute is over; until then its count grows.
    AuditEvent.objects.filter(pk=tally.event_id).update(
        after={**occurrence.details, "count": tally.count, "last_at": now.isoformat()}
    )


def _record(occurrence: Occurrence) -> Any:
    from equipage.audit.record import record
    from equipage.organizations.models import Organization

    organization = (
        Organization.objects.filter(pk=occurrence.organization_id).first()
        if occurrence.organization_id
        else None
    )
    return record(
        actor=occurrence.actor,
        organization=organization,
        event=occurrence.event,
        target=occurrence.target,
        target_label=occurrence.target_label,
        after={**occurrence.details, "count": occurrence.count},
    )


def note_refused_request(actor: Actor, method: str, path: str) -> None:
    """Note a 403 answered to ``actor`` that no permission check explained."""
    from equipage.core.errors import PermissionDenied

    note_denied(actor, PermissionDenied(f"{method} {path}"[:200]))
