"""Reading tokens, and turning a bearer token into a bounded, audited actor."""

from __future__ import annotations

import copy
import datetime as dt
import time
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from equipage.accounts.models import Member, MemberRole, Role
from equipage.core import clock
from equipage.core.errors import DomainError, NotFound
from equipage.permissions import Actor, Cap, Origin, authorize
from equipage.tokens.models import ApiToken

# A token's last-used time is written at most this often, so that reads stay reads.
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)

# A token found valid is trusted this long by the process that checked it (its row, its
# principal and the principal's roles): three queries saved on nearly every API request.
# The bound of a revocation: a token revoked, or whose creator is deactivated or demoted,
# on another node or process answers 401 there at most this many seconds later
# (tests/api/test_token_cache_across_nodes.py). In the process that made the change it is
# at once: every audited write forgets this process's verified tokens.
VERIFIED_TOKEN_SECONDS = 2.0
# token hash -> (monotonic expiry, the token, its principal, the actor's roles)
_verified: dict[str, tuple[float, ApiToken, Member, frozenset[str]]] = {}


class Unauthenticated(DomainError):
    """The bearer token is missing, unknown, revoked or belongs to an inactive creator."""

    code = "unauthenticated"
    status = 401


class MissingScope(DomainError):
    """The token is valid but does not carry the scope this endpoint needs."""

    code = "insufficient_scope"
    status = 403


def tokens_of(actor: Actor) -> QuerySet[ApiToken]:
    """Return the tokens of the actor's organization, for those who manage tokens."""
    authorize(actor, Cap.TOKEN_MANAGE)
    return ApiToken.objects.filter(organization_id=actor.organization_id or 0).select_related(
        "created_by"
    )


def access_token_by_id(actor: Actor, token_id: Any) -> ApiToken:
    """Fetch a token of the actor's organization, or raise ``NotFound``."""
    try:
        return tokens_of(actor).get(pk=int(token_id))
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Token not found.")) from None


def bearer_of(authorization: str | None) -> str:
    """Return the token of an ``Authorization: Bearer ...`` header, or an empty string."""
    scheme, _sep, value = (authorization or "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _principal(token: ApiToken) -> Member | None:
    if token.operator_issued:
        owner_id = (
            MemberRole.objects.filter(organization_id=token.organization_id, role=Role.OWNER)
            .values_list("member_id", flat=True)
            .first()
        )
        return Member.objects.filter(pk=owner_id).first() if owner_id else None
    return token.created_by


def _manages_tokens(member: Member) -> bool:
    from equipage.tokens.actions import may_hold_tokens

    return may_hold_tokens(MemberRole.objects.filter(member=member).values_list("role", flat=True))


def actor_for_token(raw: str, *, scope: str, origin: Origin | None = None) -> Actor:
    """Return the actor a raw bearer token stands for, or raise ``Unauthenticated``.

    The actor's roles are its principal's (creator, or current owner for
    operator-issued tokens) capped at admin; a deactivated or deleted creator
    makes the token unusable.
    """
    from equipage.tokens.actions import hash_token

    if not raw:
        raise Unauthenticated(_("A bearer token is required."))
    token_hash = hash_token(raw)
    hit = _verified.get(token_hash)
    if hit is not None and hit[0] > time.monotonic():
        actor = _trusted_actor(hit[1], hit[2], hit[3], scope=scope, origin=origin)
        token = actor.token
    else:
        token = (
            ApiToken.objects.select_related("organization", "created_by")
            .filter(token_hash=token_hash)
            .first()
        )
        if token is None:
            raise Unauthenticated(_("This token is not valid."))
        actor = token_actor(token, scope=scope, origin=origin)
        assert actor.member is not None  # token_actor refuses a token without a principal
        _verified[token_hash] = (
            time.monotonic() + VERIFIED_TOKEN_SECONDS,
            token,
            actor.member,
            actor.roles,
        )
        actor = _trusted_actor(token, actor.member, actor.roles, scope=scope, origin=origin)
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        # Bookkeeping like last_login, not a change of the organization: no audit event.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        if (entry := _verified.get(token_hash)) is not None:
            entry[1].last_used_at = now  # the copies in flight would write it again
    return actor


def forget_verified_tokens(*_args: Any) -> None:
    """Forget every token this process verified (an audit listener: any write may revoke)."""
    _verified.clear()


def _trusted_actor(
    token: ApiToken,
    principal: Member,
    roles: frozenset[str],
    *,
    scope: str,
    origin: Origin | None,
) -> Actor:
    """Build the actor of a token verified less than ``VERIFIED_TOKEN_SECONDS`` ago.

    Each request gets its own copies: threads of a process share the verified entry.
    """
    if not token.has_scope(scope):
        raise MissingScope(_("This token does not carry the “%(s)s” scope.") % {"s": scope})
    token = copy.copy(token)
    token.organization = copy.copy(token.organization)
    actor = _actor(token, copy.copy(principal), origin)
    actor.__dict__["roles"] = roles  # Actor.roles is a cached_property: primed, not queried
    return actor


def _actor(token: ApiToken, principal: Member, origin: Origin | None) -> Actor:
    return Actor(
        kind="token",
        label=f"token:{token.name}",
        organization_id=token.organization_id,
        member=principal,
        origin=origin or Origin(channel="api"),
        roles_cap=frozenset({Role.ADMIN}),
        token=token,
    )


def token_actor(token: ApiToken, *, scope: str, origin: Origin | None = None) -> Actor:
    """Return the actor ``token`` stands for now, or raise if it may no longer act.

    Also used for work a token started and the worker finishes later (an import
    job): a token revoked, stripped of the scope or left without an active
    principal meanwhile stops it there.
    """
    if token.revoked_at is not None:
        raise Unauthenticated(_("This token is not valid."))
    principal = _principal(token)
    if principal is None or not principal.is_active:
        raise Unauthenticated(_("This token is not valid."))
    if not token.operator_issued and not _manages_tokens(principal):
        # Revoked by the action that demoted them; this guards any other path.
        raise Unauthenticated(_("This token is not valid."))
    if not token.has_scope(scope):
        raise MissingScope(_("This token does not carry the “%(s)s” scope.") % {"s": scope})
    return _actor(token, principal, origin)
