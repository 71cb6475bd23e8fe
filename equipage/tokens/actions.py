"""Creating and revoking API tokens; each write is audited."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from equipage.accounts.models import Member
from equipage.audit.events import EventType
from equipage.audit.record import record, record_rows
from equipage.core import clock
from equipage.core.errors import InvariantViolation, ValidationFailed
from equipage.organizations.models import Organization
from equipage.permissions import Actor, Cap, as_actor, authorize
from equipage.permissions.capabilities import ROLE_CAPS
from equipage.tokens.models import ApiToken, RevokedReason, Scope

TOKEN_PREFIX = "eqp_"


def hash_token(raw: str) -> str:
    """Return the SHA-256 hex digest under which a raw token is stored."""
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class CreatedToken:
    """The stored token and its raw secret, which exists only in this object."""

    token: ApiToken
    raw: str


def clean_scopes(scopes: Sequence[str]) -> list[str]:
    """Return ``scopes`` deduplicated; ``api`` is shorthand for ``api:read`` + ``api:write``."""
    out: list[str] = []
    for scope in scopes:
        names = [Scope.API_READ, Scope.API_WRITE] if scope == "api" else [scope]
        for name in names:
            if name not in Scope.values:
                raise ValidationFailed(_("Unknown scope: %(s)s.") % {"s": name}, field="scopes")
            if name not in out:
                out.append(name)
    if not out:
        raise ValidationFailed(_("Choose at least one scope."), field="scopes")
    return out


def token_create(
    *,
    actor: Actor | Member,
    organization: Organization,
    name: str,
    scopes: Sequence[str],
) -> CreatedToken:
    """Create a token and return it with its raw secret, to be shown exactly once.

    A token made by a member acts with at most an admin's powers and at most
    its creator's; a token made by the platform operator (CLI) acts for the
    organization's current owner, capped at admin.
    """
    actor = as_actor(actor)
    authorize(actor, Cap.TOKEN_MANAGE, organization)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("A name is required."), field="name")
    if len(name) > 100:
        raise ValidationFailed(_("The name is too long."), field="name")
    wanted = clean_scopes(scopes)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            organization=organization,
            name=name,
            scopes=wanted,
            token_hash=hash_token(raw),
            prefix=raw[: len(TOKEN_PREFIX) + 6],
            created_by=actor.member if actor.kind == "member" else None,
            created_by_label=actor.label[:200],
            operator_issued=actor.is_privileged,
            created_at=clock.now(),
        )
        record(
            actor=actor,
            organization=organization,
            event=EventType.TOKEN_CREATED,
            target=token,
            after={"name": name, "scopes": wanted},
        )
    return CreatedToken(token=token, raw=raw)


def token_revoke(*, actor: Actor | Member, token: ApiToken) -> ApiToken:
    """Revoke a token at once; it answers 401 from the next request on."""
    actor = as_actor(actor)
    authorize(actor, Cap.TOKEN_MANAGE, token)
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            raise InvariantViolation(_("This token is already revoked."))
        token.revoked_at = clock.now()
        token.revoked_reason = RevokedReason.MANUAL
        token.save(update_fields=["revoked_at", "revoked_reason"])
        record(
            actor=actor,
            organization=token.organization,
            event=EventType.TOKEN_REVOKED,
            target=token,
            before={"name": token.name, "scopes": token.scopes},
            after={"reason": RevokedReason.MANUAL},
        )
    return token


def may_hold_tokens(roles: Iterable[str]) -> bool:
    """Tell whether a member with these organization roles could create a token."""
    return any(Cap.TOKEN_MANAGE in ROLE_CAPS.get(role, ()) for role in roles)


def tokens_revoke_for_creators(
    *,
    actor: Actor,
    organization: Organization,
    member_ids: Collection[int],
    reason: RevokedReason,
) -> list[ApiToken]:
    """Revoke the live tokens these members created, in the caller's transaction.

    Called by the one action where each event happens: deactivation, demotion
    below the roles that manage tokens, deletion. Revoked, not suspended: a
    reactivated or promoted-again creator makes a new token. An organization
    has few tokens, so they are read whole and matched here, whatever the
    number of members (an import deactivating 100,000 adds one small query).
    """
    if not member_ids:
        return []
    live = [
        t
        for t in ApiToken.objects.filter(
            organization=organization, revoked_at__isnull=True, created_by__isnull=False
        ).only("id", "name", "scopes", "created_by_id")
        if t.created_by_id in member_ids
    ]
    if not live:
        return []
    now = clock.now()
    ApiToken.objects.filter(pk__in=[t.pk for t in live]).update(
        revoked_at=now, revoked_reason=reason
    )
    record_rows(
        actor=actor,
        organization=organization,
        rows=(
            (
                EventType.TOKEN_REVOKED,
                t.created_by_id,
                "apitoken",
                str(t.pk),
                t.name,
                {"name": t.name, "scopes": t.scopes},
                {"reason": str(reason), "creator": t.created_by_id},
            )
            for t in live
        ),
    )
    return live
