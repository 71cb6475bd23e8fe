"""Every write about single sign-on: the configuration, a login, a refusal — each audited."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from equipage.accounts.actions import member_create
from equipage.accounts.models import Member, MemberState
from equipage.accounts.selectors import owner_id
from equipage.audit.events import EventType
from equipage.audit.record import record
from equipage.core import clock
from equipage.core.errors import DomainError, ValidationFailed
from equipage.organizations.models import Organization
from equipage.organizations.seats import lock_organization
from equipage.permissions import Actor, Cap, Origin, as_actor
from equipage.permissions.policy import authorize
from equipage.sso.discovery import discover
from equipage.sso.flow import Identity
from equipage.sso.models import OidcProvider, SsoLink
from equipage.sso.secrets import encrypt_secret

log = logging.getLogger("equipage.sso")

# What an audit event shows of the configuration: never the secret.
SHOWN = ("display_name", "issuer", "client_id", "enabled", "match_external_id", "jit_create",
         "require_sso")  # fmt: skip


class SsoRefused(DomainError):
    """The provider vouched for someone Equipage does not let in; ``reason`` says why."""

    code = "sso_refused"

    def __init__(self, reason: str, message: Any) -> None:
        super().__init__(message)
        self.reason = reason


def _shown(provider: OidcProvider | None) -> dict[str, Any]:
    return {k: getattr(provider, k) for k in SHOWN} if provider is not None else {}


def sso_configure(
    *,
    actor: Actor | Member,
    organization: Organization,
    display_name: str,
    issuer: str,
    client_id: str,
    client_secret: str = "",
    enabled: bool = True,
    match_external_id: bool = False,
    jit_create: bool = False,
    require_sso: bool = False,
) -> OidcProvider:
    """Create or change the organization's OpenID provider, its discovery checked first.

    An empty ``client_secret`` keeps the stored one (it is never shown back).
    Turning « require single sign-on » on ends the sessions of everyone but the
    owner and the actor: they come back through the provider.
    """
    actor = as_actor(actor)
    authorize(actor, Cap.ORG_SETTINGS, organization)
    display_name, client_id = display_name.strip(), client_id.strip()
    if not display_name or not client_id:
        raise ValidationFailed(_("The name and the client ID are required."))
    existing = OidcProvider.objects.filter(organization=organization).first()
    if existing is None and not client_secret:
        raise ValidationFailed(_("The client secret is required."), field="client_secret")
    found = discover(issuer)  # a network call: before the transaction, not inside it
    now = clock.now()
    with transaction.atomic():
        org = lock_organization(organization.pk)
        provider = OidcProvider.objects.select_for_update().filter(organization=org).first()
        before = _shown(provider)
        if provider is None:
            provider = OidcProvider(organization=org, created_at=now)
        provider.display_name, provider.client_id = display_name, client_id
        provider.issuer = found.issuer
        provider.authorization_endpoint = found.authorization_endpoint
        provider.token_endpoint = found.token_endpoint
        provider.jwks_uri = found.jwks_uri
        provider.userinfo_endpoint = found.userinfo_endpoint
        provider.signing_algorithms = found.signing_algorithms
        provider.enabled, provider.match_external_id = bool(enabled), bool(match_external_id)
        provider.jit_create, provider.require_sso = bool(jit_create), bool(require_sso)
        if client_secret:
            provider.client_secret_encrypted = encrypt_secret(client_secret)
        provider.updated_at = now
        provider.save()
        after = {**_shown(provider), **({"client_secret": "changed"} if client_secret else {})}
        record(
            actor=actor,
            organization=org,
            event=EventType.SSO_CONFIGURED,
            target=org,
            before=before,
            after=after,
        )
        if provider.require_sso and provider.enabled and not before.get("require_sso"):
            _end_password_sessions(org, actor)
    return provider


def _end_password_sessions(organization: Organization, actor: Actor) -> None:
    """End the sessions of every member but the owner and the actor (``session_version``)."""
    keep = {owner_id(organization.pk), actor.member.pk if actor.member is not None else None}
    Member.objects.filter(organization=organization).exclude(
        pk__in=[k for k in keep if k is not None]
    ).update(session_version=F("session_version") + 1)


def sso_remove(*, actor: Actor | Member, organization: Organization) -> None:
    """Forget the organization's provider; members' links stay, harmless without it."""
    actor = as_actor(actor)
    authorize(actor, Cap.ORG_SETTINGS, organization)
    with transaction.atomic():
        provider = OidcProvider.objects.select_for_update().filter(organization=organization)
        found = provider.first()
        if found is None:
            return
        before = _shown(found)
        found.delete()
        record(
            actor=actor,
            organization=organization,
            event=EventType.SSO_REMOVED,
            target=organization,
            before=before,
        )


def _by_email(organization: Organization, email: str) -> Member | None:
    return (
        Member.objects.annotate(email_lower=Lower("email"))
        .filter(organization=organization, email_lower=email.lower())
        .exclude(email="")
        .first()
    )


def _match(provider: OidcProvider, identity: Identity) -> tuple[Member | None, str]:
    """Return the member the identity stands for and how it was matched, or (None, why not)."""
    org = provider.organization
    link = (
        SsoLink.objects.select_related("member")
        .filter(organization=org, issuer=identity.issuer, subject=identity.subject)
        .first()
    )
    if link is not None:
        return link.member, "link"
    if provider.match_external_id:
        ids = [i for i in (identity.subject, identity.object_id) if i]
        member = Member.objects.filter(organization=org, external_id__in=ids).first()
        if member is not None:
            return member, "external_id"
    if not identity.email:
        return None, "no_email"
    if not identity.email_verified:
        return None, "email_unverified"
    member = _by_email(org, identity.email)
    return (member, "email") if member is not None else (None, "no_match")


def _refuse(reason: str) -> SsoRefused:
    messages = {
        "not_active": _("This account is not active. Ask an administrator of your organization."),
        "email_unverified": _(
            "Your identity provider has not verified your e-mail address, so it cannot be "
            "matched to an account. Ask an administrator of your organization."
        ),
        "linked_elsewhere": _(
            "This account is already linked to another identity at your provider. "
            "Ask an administrator of your organization."
        ),
        "seats": _("The organization has no free seat for a new account."),
    }
    return SsoRefused(
        reason,
        messages.get(reason)
        or _("No account of this organization matches your identity. Ask an administrator."),
    )


def sso_login(*, provider: OidcProvider, identity: Identity, origin: Origin) -> Member:
    """Return the active member the provider's checked identity opens; link them; audit it.

    Matched by a stored link, else by SCIM ``externalId`` (when the organization
    says so), else by a verified e-mail; an unknown person is created only
    when just-in-time creation is on. Raises ``SsoRefused`` otherwise.
    """
    org = provider.organization
    member, how = _match(provider, identity)
    if member is None and provider.jit_create and identity.email and identity.email_verified:
        member, how = _create(provider, identity, origin), "created"
    if member is None:
        raise _refuse(how)
    if member.organization_id != org.pk:  # never, by construction: checked all the same
        raise _refuse("no_match")
    if member.state != MemberState.ACTIVE:
        raise _refuse("not_active")
    now = clock.now()
    with transaction.atomic():
        if how != "link":
            try:
                with transaction.atomic():
                    SsoLink.objects.create(
                        organization=org,
                        member=member,
                        issuer=identity.issuer,
                        subject=identity.subject,
                        created_at=now,
                        last_login_at=now,
                    )
            except IntegrityError:
                raise _refuse("linked_elsewhere") from None
        else:
            SsoLink.objects.filter(
                organization=org, issuer=identity.issuer, subject=identity.subject
            ).update(last_login_at=now)
        record(
            actor=Actor.for_member(member, origin),
            organization=org,
            event=EventType.SSO_LOGIN,
            target=member,
            after={"issuer": identity.issuer, "matched_by": how},
        )
    return member


def _create(provider: OidcProvider, identity: Identity, origin: Origin) -> Member:
    """Create the member just in time, through ``member_create`` (seats checked there)."""
    local = identity.email.split("@")[0]
    try:
        return member_create(
            actor=Actor(
                kind="system",
                label=f"sso {provider.display_name}"[:200],
                organization_id=provider.organization_id,
                origin=origin,
            ),
            organization=provider.organization,
            first_name=identity.given_name or local,
            last_name=identity.family_name or local,
            email=identity.email,
        )
    except DomainError as exc:
        log.info("sso: just-in-time creation refused: %s", exc)
        raise _refuse("seats" if exc.code == "seats" else "no_match") from None


def sso_refusal_record(
    *, organization: Organization, reason: str, origin: Origin, subject: str = ""
) -> None:
    """Audit a refused single sign-on login with its reason (its own transaction)."""
    log.info("sso login refused: org=%s reason=%s client=%s", organization.slug, reason, origin.ip)
    with transaction.atomic():
        record(
            actor=Actor(kind="system", label="sso", organization_id=organization.pk, origin=origin),
            organization=organization,
            event=EventType.SSO_LOGIN_REFUSED,
            target=None,
            target_label=subject[:300],
            after={"reason": reason},
        )
