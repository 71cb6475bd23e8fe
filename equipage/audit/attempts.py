"""Security events about a member or a typed identifier: failed logins, wrong codes, token use.

They go through ``equipage.audit.security``: one log line each, one audit
row per offender and minute with a count, written after the request. An
attempt on an existing member is attached to that member (it shows on their
profile and under their name on the audit page). An identifier that matches
no account is never stored as typed — it may be a password typed in the
wrong field — but as a keyed HMAC (``hashed_identifier``): the same typo
gives the same value, so repeated guesses can still be told apart and
counted, and nobody reading the database or a backup learns what was typed.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from typing import TYPE_CHECKING, Any

from django.conf import settings

from equipage.audit.events import EventType
from equipage.audit.security import Occurrence, note
from equipage.core import clock

if TYPE_CHECKING:
    from equipage.accounts.models import Member
    from equipage.permissions.actor import Actor, Origin

# The actor of an attempt nobody is known to have made (the audit page translates it).
ANONYMOUS = "anonymous"


def hashed_identifier(organization_id: int | None, identifier: str) -> str:
    """Return a keyed HMAC of what was typed: stable per organization, useless without the key."""
    typed = f"{organization_id}\0{identifier.strip().lower()}".encode()
    key = f"equipage.audit.identifier|{settings.SECRET_KEY}".encode()
    return hmac.new(key, typed, hashlib.sha256).hexdigest()[:32]


def _anonymous(organization_id: int | None, origin: Origin) -> Actor:
    from equipage.permissions.actor import Actor

    return Actor(kind="system", label=ANONYMOUS, organization_id=organization_id, origin=origin)


def note_about_member(
    event: EventType,
    *,
    member: Member,
    origin: Origin,
    details: dict[str, Any] | None = None,
    actor: Actor | None = None,
) -> None:
    """Audit a security event about ``member`` (a failed login, a wrong second-factor code…).

    Folded per event, member and minute: eight failures in a minute are one
    row counting 8. ``actor`` defaults to an anonymous client at ``origin``
    (whoever typed the password is not known to be the member).
    """
    note(
        Occurrence(
            event=event,
            actor=actor or _anonymous(member.organization_id, origin),
            organization_id=member.organization_id,
            key=f"member|{member.pk}",
            target=member,
            details={**(details or {}), "channel": origin.channel},
        )
    )


def note_about_identifier(
    event: EventType,
    *,
    organization_id: int,
    identifier: str,
    origin: Origin,
    details: dict[str, Any] | None = None,
) -> None:
    """Audit a security event about an identifier that matches no account, stored hashed."""
    digest = hashed_identifier(organization_id, identifier)
    note(
        Occurrence(
            event=event,
            actor=_anonymous(organization_id, origin),
            organization_id=organization_id,
            key=f"identifier|{digest}",
            target_label=f"?{digest[:12]}",
            details={**(details or {}), "identifier_hmac": digest, "channel": origin.channel},
        )
    )


def note_login_failed(
    *, organization_id: int, member: Member | None, identifier: str, origin: Origin
) -> None:
    """Audit a failed password login: on the member it named, else on the hashed identifier."""
    if member is not None:
        note_about_member(EventType.MEMBER_LOGIN_FAILED, member=member, origin=origin)
    else:
        note_about_identifier(
            EventType.MEMBER_LOGIN_FAILED,
            organization_id=organization_id,
            identifier=identifier,
            origin=origin,
            details={"known": False},
        )


# Token use is noted at most once per FLUSH_EVERY requests of a token in a process: the
# first request of a minute, then every FLUSH_EVERY-th; what a process counted in a minute
# and did not flush is added to the token's next row.
FLUSH_EVERY = 50
_used: dict[int, tuple[int, int]] = {}  # token id -> (minute, requests not yet noted)
_used_lock = threading.Lock()


def note_token_used(actor: Actor) -> None:
    """Audit that an API or SCIM token was used: one row per token and minute, counted."""
    token = actor.token
    if token is None:
        return
    minute = int(clock.now().timestamp() // 60)
    with _used_lock:
        last_minute, waiting = _used.get(token.pk, (None, 0))
        waiting += 1
        if last_minute == minute and waiting < FLUSH_EVERY:
            _used[token.pk] = (minute, waiting)
            return
        if len(_used) > 10_000:
            _used.clear()
        _used[token.pk] = (minute, 0)
    note(
        Occurrence(
            event=EventType.TOKEN_USED,
            actor=actor,
            organization_id=token.organization_id,
            key=f"token-used|{token.pk}",
            target=token,
            details={"channel": actor.origin.channel},
            count=waiting,
            quiet=True,
        )
    )
