"""Passwords: admin-set, self change, reset by mailed link, set from a single-use token."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from equipage.accounts.actions.members import _validate_password
from equipage.accounts.models import Member, MemberState, PasswordToken, PasswordTokenPurpose
from equipage.accounts.tokens import hash_token, new_token
from equipage.audit.events import EventType
from equipage.audit.record import record
from equipage.core import clock
from equipage.core.errors import NotFound, PermissionDenied, ValidationFailed
from equipage.instance.links import base_url
from equipage.organizations.models import Organization
from equipage.permissions import Actor, Cap, Origin, as_actor, authorize

SET_LINK_LIFETIME = dt.timedelta(days=7)
RESET_LINK_LIFETIME = dt.timedelta(hours=2)


def password_token_create(member: Member, purpose: PasswordTokenPurpose) -> str:
    """Create a single-use token for ``member`` and return the raw value (inside a transaction)."""
    raw, digest = new_token()
    now = clock.now()
    lifetime = SET_LINK_LIFETIME if purpose == PasswordTokenPurpose.SET else RESET_LINK_LIFETIME
    # A new link kills the older ones of the same purpose.
    PasswordToken.objects.filter(member=member, purpose=purpose, used_at__isnull=True).update(
        used_at=now
    )
    PasswordToken.objects.create(
        organization_id=member.org_id,
        member=member,
        purpose=purpose,
        token_hash=digest,
        created_at=now,
        expires_at=now + lifetime,
    )
    return raw


def password_link(organization: Organization, raw: str) -> str:
    return f"{base_url()}/o/{organization.slug}/password/set/{raw}/"


def send_set_password_link(member: Member) -> str:
    """Create a set-password token, queue its mail and return the link."""
    from equipage.emails.models import MailKind
    from equipage.emails.outbox import queue_mail

    org = member.organization
    assert org is not None
    link = password_link(org, password_token_create(member, PasswordTokenPurpose.SET))
    if member.email:
        queue_mail(
            kind=MailKind.SET_PASSWORD,
            to=member.email,
            organization=org,
            member=member,
            context={"link": link, "days": SET_LINK_LIFETIME.days},
        )
    return link


def member_set_password(
    *, actor: Actor | Member, member: Member, password: str, from_identity_provider: bool = False
) -> None:
    """Set a member's password as an admin; they must change it at their next login.

    ``from_identity_provider`` (SCIM password sync): the IdP owns the password
    policy, so Django's validators are skipped and no change is forced.
    """
    actor = as_actor(actor)
    authorize(actor, Cap.MEMBER_SET_PASSWORD, member)
    if not from_identity_provider:
        _validate_password(password, member)
    elif not password or len(password) > 4096:
        raise ValidationFailed(_("This password is not valid."), field="password")
    with transaction.atomic():
        member.set_password(password)
        member.must_change_password = not from_identity_provider
        member.uses_temp_password = False
        member.updated_at = clock.now()
        member.save(
            update_fields=["password", "must_change_password", "uses_temp_password", "updated_at"]
        )
        record(
            actor=actor,
            organization=member.organization,
            event=EventType.MEMBER_PASSWORD_SET,
            target=member,
        )


def password_change(
    *, actor: Actor | Member, member: Member, new_password: str, old_password: str | None = None
) -> None:
    """Change one's own password; the old one is asked unless a change is being forced."""
    actor = as_actor(actor)
    if actor.member is None or actor.member.pk != member.pk:
        raise PermissionDenied(_("You can only change your own password."))
    if not member.must_change_password and not member.check_password(old_password or ""):
        raise ValidationFailed(_("Your current password is not correct."), field="old_password")
    _validate_password(new_password, member)
    with transaction.atomic():
        member.set_password(new_password)
        member.must_change_password = False
        member.uses_temp_password = False
        member.updated_at = clock.now()
        member.save(
            update_fields=["password", "must_change_password", "uses_temp_password", "updated_at"]
        )
        record(
            actor=actor,
            organization=member.organization,
            event=EventType.MEMBER_PASSWORD_CHANGED,
            target=member,
        )


def password_reset_request(*, organization: Organization, identifier: str, origin: Origin) -> None:
    """Mail a single-use reset link if an active account matches; say nothing either way."""
    from equipage.accounts.selectors import member_by_identifier
    from equipage.emails.models import MailKind
    from equipage.emails.outbox import queue_mail

    member = member_by_identifier(organization, identifier)
    if member is None or not member.email or member.state != MemberState.ACTIVE:
        return
    actor = Actor(
        kind="system", label="password reset", organization_id=organization.pk, origin=origin
    )
    with transaction.atomic():
        raw = password_token_create(member, PasswordTokenPurpose.RESET)
        queue_mail(
            kind=MailKind.PASSWORD_RESET,
            to=member.email,
            organization=organization,
            member=member,
            context={
                "link": password_link(organization, raw),
                "hours": int(RESET_LINK_LIFETIME.total_seconds() // 3600),
            },
        )
        record(
            actor=actor,
            organization=organization,
            event=EventType.MEMBER_PASSWORD_RESET_REQUESTED,
            target=member,
        )


def token_member(organization: Organization, raw: str) -> tuple[PasswordToken, Member]:
    """Return the live token and its member, or raise ``NotFound`` (used, expired, foreign)."""
    token = (
        PasswordToken.objects.select_related("member")
        .filter(token_hash=hash_token(raw or ""), organization=organization)
        .first()
    )
    if token is None or token.used_at is not None or token.expires_at <= clock.now():
        raise NotFound(_("This link is no longer valid: it was already used or has expired."))
    if token.member.state == MemberState.DEACTIVATED:
        raise NotFound(_("This link is no longer valid: it was already used or has expired."))
    return token, token.member


def password_set_from_token(
    *, organization: Organization, raw_token: str, new_password: str, origin: Origin | None = None
) -> Member:
    """Set a password from a single-use link; the link dies with its first use."""
    token, member = token_member(organization, raw_token)
    _validate_password(new_password, member)
    with transaction.atomic():
        consumed = PasswordToken.objects.filter(pk=token.pk, used_at__isnull=True).update(
            used_at=clock.now()
        )
        if not consumed:
            raise NotFound(_("This link is no longer valid: it was already used or has expired."))
        member.set_password(new_password)
        member.must_change_password = False
        member.uses_temp_password = False
        member.updated_at = clock.now()
        member.save(
            update_fields=["password", "must_change_password", "uses_temp_password", "updated_at"]
        )
        actor = Actor.for_member(member, origin)
        record(
            actor=actor,
            organization=organization,
            event=EventType.MEMBER_PASSWORD_CHANGED,
            target=member,
            after={"via": token.purpose},
        )
    from equipage.accounts.throttle import clear_failures

    clear_failures(organization, member)
    return member
