"""Logging and auditing the bearer tokens the API and SCIM refuse.

A refused token the database knows (revoked, its creator gone, or without
the scope) is audited in its own organization, keyed by the token; an unknown
one in no organization (the platform operator's trail), keyed by the client
address. Either way at most one audit row per key and minute, counted
(``equipage.audit.security``).
"""

from __future__ import annotations

from equipage.audit.events import EventType
from equipage.audit.security import Occurrence, address_key, note
from equipage.core.errors import DomainError
from equipage.permissions import Actor, Origin
from equipage.tokens.models import ApiToken


def note_token_refused(raw: str, *, scope: str, origin: Origin, error: DomainError) -> None:
    """Log and audit that the token ``raw`` was refused for ``scope`` with ``error``."""
    from equipage.tokens.actions import TOKEN_PREFIX, hash_token

    if not raw:  # no credentials at all: a plain 401, not an attempt with a token
        return
    token = ApiToken.objects.filter(token_hash=hash_token(raw)).first()
    details = {"scope": scope, "reason": error.code, "channel": origin.channel}
    if token is None:
        # The first characters of an unknown token help to spot a mistyped or foreign one;
        # only when it has our shape, and never more than what the console shows of a token.
        shown = raw[: len(TOKEN_PREFIX) + 6] if raw.startswith(TOKEN_PREFIX) else ""
        occurrence = Occurrence(
            event=EventType.TOKEN_REJECTED,
            actor=Actor(kind="token", label="token:unknown", origin=origin),
            organization_id=None,
            key=f"address|{address_key(origin.ip)}",
            by_address=True,
            target_label=shown and f"{shown}…",
            details={**details, "known": False},
        )
    else:
        occurrence = Occurrence(
            event=EventType.TOKEN_REJECTED,
            actor=Actor(
                kind="token",
                label=f"token:{token.name}",
                organization_id=token.organization_id,
                origin=origin,
                token=token,
            ),
            organization_id=token.organization_id,
            key=f"token|{token.pk}|{error.code}",
            target=token,
            details={**details, "known": True, "revoked": token.revoked_at is not None},
        )
    note(occurrence)
