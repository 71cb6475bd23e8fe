"""The record of each console session: made on its first request, checked on every one.

A session names its row under ``SID``. The row is the truth on every node: a
session whose row was deleted (signed out from the profile, by an admin, after
a password change) is refused on its next request, wherever it lands. The row's
"last seen" and client address move with the session's own once-a-minute stamp
(``accounts.sessions``), so browsing costs one indexed read, never a write per
request. A session from before these rows existed gets one on its next request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from equipage.accounts.models import ConsoleSession, Member
from equipage.accounts.useragents import parse_user_agent
from equipage.core import clock
from equipage.core.idlist import id_list
from equipage.core.prepared import Prepared
from equipage.core.proxy import client_address
from equipage.organizations.models import SESSION_IDLE_MINUTES_MAX

SID = "equipage.sid"  # the ConsoleSession id of this session


def current_session_id(session: SessionBase) -> int | None:
    """Return the id of the record of ``session``, or None before its first request."""
    sid = session.get(SID)
    return sid if isinstance(sid, int) else None


def _key_hash(session: SessionBase) -> str:
    if session.session_key is None:
        session.save()
    return hashlib.sha256(str(session.session_key).encode()).hexdigest()


def open_record(request: HttpRequest, member: Member, started: int | None) -> ConsoleSession:
    """Make (or find) the record of this request's session and name it in the session.

    Keyed by the hash of the session key, so that two first requests of one
    login racing each other end on the same row.
    """
    now = clock.now()
    session = request.session
    key_hash = _key_hash(session)
    born = dt.datetime.fromtimestamp(started, tz=dt.UTC) if started else now
    browser, system = parse_user_agent(request.META.get("HTTP_USER_AGENT", "")[:500])
    defaults = {
        "organization_id": member.org_id,
        "member": member,
        "browser": browser,
        "system": system,
        "ip": client_address(request)[:45],
        "created_at": born,
        "last_seen_at": now,
        "expires_at": born + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE),
    }
    try:
        with transaction.atomic():
            record, _made = ConsoleSession.objects.get_or_create(
                key_hash=key_hash, defaults=defaults
            )
    except IntegrityError:  # the twin request inserted it first
        record = ConsoleSession.objects.get(key_hash=key_hash)
    session[SID] = record.pk
    return record


def record_alive(
    request: HttpRequest, member: Member, *, seen_moved: bool, started: int | None
) -> bool:
    """Tell whether this session's record still stands; move its "last seen" when the session did.

    A session without a record gets one (its first request, or a session older
    than the records); one whose record is gone, or names another member's, is over.
    """
    sid = current_session_id(request.session)
    if sid is None:
        open_record(request, member, started)
        return True
    if seen_moved:
        rows = ConsoleSession.objects.filter(pk=sid, member_id=member.pk)
        return bool(rows.update(last_seen_at=clock.now(), ip=client_address(request)[:45]))
    return _RECORD.first(sid, member.pk) is not None


# Asked on every console request: prepared once a process (#20).
_RECORD = Prepared(
    lambda sid, member_id: ConsoleSession.objects.filter(pk=sid, member_id=member_id).values_list(
        "pk"
    ),
    -7_000_001,
    -7_000_002,
)


def forget_current(session: SessionBase, member_id: int | None) -> None:
    """Delete the record of ``session`` of ``member_id`` (logging out, or the session timed out).

    Only a record of that member: a session naming someone else's deletes nothing.
    """
    sid = current_session_id(session)
    if sid is not None and member_id is not None:
        ConsoleSession.objects.filter(pk=sid, member_id=member_id).delete()


def end_sessions(member: Member, *, keep: int | None = None) -> int:
    """Delete ``member``'s session records but ``keep``; return how many ended.

    Each of those sessions is refused on its next request. Called inside the
    caller's transaction (the caller audits).
    """
    rows = ConsoleSession.objects.filter(organization_id=member.org_id, member_id=member.pk)
    if keep is not None:
        rows = rows.exclude(pk=keep)
    deleted, _ = rows.delete()
    return deleted


def end_sessions_of(organization_id: int, member_ids: Sequence[int]) -> int:
    """Delete every session record of ``member_ids`` (deactivated, or moved to the bin);
    return how many ended. In the caller's transaction (the caller audits)."""
    deleted, _ = ConsoleSession.objects.filter(
        organization_id=organization_id, member_id__in=id_list(member_ids)
    ).delete()
    return deleted


def purge_expired_sessions() -> int:
    """Delete records of sessions over: past their 12 hours, or idle past the longest idle limit."""
    now = clock.now()
    idle = now - dt.timedelta(minutes=SESSION_IDLE_MINUTES_MAX)
    deleted, _ = ConsoleSession.objects.filter(expires_at__lte=now).delete()
    more, _ = ConsoleSession.objects.filter(last_seen_at__lte=idle).delete()
    return deleted + more


def active_sessions(member: Member) -> list[ConsoleSession]:
    """Return ``member``'s sessions still open (within 12 hours and the idle limit), latest first."""
    from equipage.accounts.sessions import idle_limit_minutes

    now = clock.now()
    idle = now - dt.timedelta(minutes=idle_limit_minutes(member.organization_id))
    return list(
        ConsoleSession.objects.filter(
            organization_id=member.org_id,
            member_id=member.pk,
            expires_at__gt=now,
            last_seen_at__gt=idle,
        ).order_by("-last_seen_at", "-pk")
    )
