"""Passwords: admin-set, self change, reset by mailed link, set from a single-use token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from equipage.accounts.actions.members import _validate_password
from equipage.accounts.actions.sessions import sessions_end_after_password
from equipage.accounts.models import Member, MemberState, PasswordToken, PasswordTokenPurpose
from equipage.accounts.tokens import account_binding, hash_token, new_token
from equipage.audit.events import EventType
from equipage.audit.record import record
from equipage.core import clock
from equipage.core.errors import DomainError, InvariantViolation, NotFound, ValidationFailed
from equipage.instance.links import base_url
from equipage.organizations.models import Organization
from equipage.permissions import Actor, Cap, Origin, as_actor, authorize, refuse

if TYPE_CHECKING:
    from equipage.audit.record import RowTuple
    from equipage.core.bulk import BulkResult

SET_LINK_LIFETIME = dt.timedelta(days=7)
RESET_LINK_LIFETIME = dt.timedelta(hours=2)


def binding_of(member: Member) -> str:
    """Return what a link made for ``member`` now is bound to (password hash, e-mail, sessions)."""
    return account_binding(member.password, member.email, member.session_version)


def _token_row(
    member: Member, purpose: PasswordTokenPurpose, now: dt.datetime
) -> tuple[str, PasswordToken]:
    """Return a new raw token and its unsaved row, bound to ``member`` as it is now."""
    raw, digest = new_token()
    lifetime = SET_LINK_LIFETIME if purpose == PasswordTokenPurpose.SET else RESET_LINK_LIFETIME
    row = PasswordToken(
        organization_id=member.org_id,
        member=member,
        purpose=purpose,
        token_hash=digest,
        binding=binding_of(member),
        created_at=now,
        expires_at=now + lifetime,
    )
    return raw, row


def password_token_create(member: Member, purpose: PasswordTokenPurpose) -> str:
    """Create a single-use token for ``member`` and return the raw value (inside a transaction)."""
    now = clock.now()
    # A new link kills the older ones of the same purpose.
    PasswordToken.objects.filter(member=member, purpose=purpose, used_at__isnull=True).update(
        used_at=now
    )
    raw, row = _token_row(member, purpose, now)
    row.save(force_insert=True)
    return raw


def password_link(organization: Organization, raw: str) -> str:
    return f"{base_url()}/o/{organization.slug}/password/set/{raw}/"


def send_set_password_link(member: Member) -> str:
    """Create a set-password token, queue its mail and return the link (inside a transaction)."""
    return _mail_password_link(member, PasswordTokenPurpose.SET)


def send_set_password_links(organization: Organization, members: Sequence[Member]) -> None:
    """Mail each of ``members`` a set-password link at once (inside a transaction).

    The bulk twin of ``send_set_password_link``, for an import adding
    thousands of accounts: one statement voids older links, the tokens are
    inserted in batches and the mails are rendered once per language.
    """
    from equipage.emails.models import MailKind
    from equipage.emails.outbox import queue_mails

    mailed = [m for m in members if m.email]
    if not mailed:
        return
    now = clock.now()
    PasswordToken.objects.filter(
        member_id__in=[m.pk for m in mailed],
        purpose=PasswordTokenPurpose.SET,
        used_at__isnull=True,
    ).update(used_at=now)
    tokens: list[PasswordToken] = []
    recipients: list[tuple[Member, dict[str, Any]]] = []
    days = SET_LINK_LIFETIME.days  # a number: it picks « 1 day » or « 7 days »
    for member in mailed:
        raw, row = _token_row(member, PasswordTokenPurpose.SET, now)
        tokens.append(row)
        recipients.append((member, {"link": password_link(organization, raw), "days": days}))
    PasswordToken.objects.bulk_create(tokens, batch_size=1000)
    queue_mails(kind=MailKind.SET_PASSWORD, organization=organization, recipients=recipients)


# The columns ``apply_password`` changes, for the caller's ``save(update_fields=...)``.
PASSWORD_FIELDS = ["password", "must_change_password", "uses_temp_password", "updated_at"]


def apply_password(
    member: Member, password: str, *, must_change: bool = False, now: dt.datetime | None = None
) -> list[str]:
    """Give ``member`` a new password (unsaved): the temporary one is gone, the change stamped.

    Every way a password is set (by an admin, by the member, through a link or an
    invitation) goes through here; returns ``PASSWORD_FIELDS`` for the save.
    """
    member.set_password(password)
    member.must_change_password = must_change
    member.uses_temp_password = False
    member.updated_at = now or clock.now()
    return list(PASSWORD_FIELDS)


def member_set_password(
    *, actor: Actor | Member, member: Member, password: str, from_identity_provider: bool = False
) -> None:
    """Set a member's password as an admin; they must change it at their next login.

    ``from_identity_provider`` (SCIM password sync, when the organization accepts
    it): the organization's policy still applies (length, not common), and no
    change is forced since the member chose it at their identity provider.
    """
    actor = as_actor(actor)
    authorize(actor, Cap.MEMBER_SET_PASSWORD, member)
    if actor.member is not None and actor.member.pk == member.pk:
        raise refuse(actor, _("Change your own password with “Change password”."))
    if not password or len(password) > 4096:
        raise ValidationFailed(_("This password is not valid."), field="password")
    _validate_password(password, member)
    with transaction.atomic():
        member.save(
            update_fields=apply_password(member, password, must_change=not from_identity_provider)
        )
        record(
            actor=actor,
            organization=member.organization,
            event=EventType.MEMBER_PASSWORD_SET,
            target=member,
        )
        sessions_end_after_password(actor=actor, member=member, reason="password_set")


def password_change(
    *,
    actor: Actor | Member,
    member: Member,
    new_password: str,
    old_password: str | None = None,
    keep_session: int | None = None,
) -> None:
    """Change one's own password; the old one is asked unless a change is being forced.

    Every other console session of the member ends (ASVS 7.4.3); ``keep_session``
    (the record id of the session asking) stays.
    """
    actor = as_actor(actor)
    if actor.member is None or actor.member.pk != member.pk:
        raise refuse(actor, _("You can only change your own password."))
    if not member.must_change_password and not member.check_password(old_password or ""):
        raise ValidationFailed(_("Your current password is not correct."), field="old_password")
    _validate_password(new_password, member)
    with transaction.atomic():
        member.save(update_fields=apply_password(member, new_password))
        record(
            actor=actor,
            organization=member.organization,
            event=EventType.MEMBER_PASSWORD_CHANGED,
            target=member,
        )
        sessions_end_after_password(
            actor=actor, member=member, keep=keep_session, reason="password_changed"
        )


def password_reset_enqueue(*, organization: Organization, identifier: str, origin: Origin) -> None:
    """Queue a reset request and return at once, doing the same work whatever the account.

    No account is looked up here: the worker does the lookup and the mail
    (``password_reset_request``), so neither the answer nor its timing tells
    whether an account exists. Requests over the client address's hourly
    limit are dropped, silently too.
    """
    from equipage.accounts.mail_limits import client_allows
    from equipage.accounts.tasks import password_reset

    if not client_allows(origin.ip):
        return
    password_reset.enqueue(organization.pk, identifier[:254], origin.as_dict())


def password_reset_request(*, organization: Organization, identifier: str, origin: Origin) -> None:
    """Mail a single-use reset link if an active account matches; say nothing either way.

    Run by the worker (``password_reset_enqueue``). A deactivated account gets
    nothing; an address gets at most a few password mails an hour.
    """
    from equipage.accounts.mail_limits import mailbox_allows
    from equipage.accounts.selectors import member_by_identifier

    member = member_by_identifier(organization, identifier)
    if member is None or not member.email or member.state != MemberState.ACTIVE:
        return
    if not mailbox_allows(member.email):
        return
    actor = Actor(
        kind="system", label="password reset", organization_id=organization.pk, origin=origin
    )
    with transaction.atomic():
        _mail_password_link(member, PasswordTokenPurpose.RESET)
        record(
            actor=actor,
            organization=organization,
            event=EventType.MEMBER_PASSWORD_RESET_REQUESTED,
            target=member,
        )


def password_link_refusal(member: Member) -> DomainError | None:
    """Return why ``member`` gets no set-password link now, or None (and count the link).

    Only an active account with an e-mail address gets one (a member without
    one is given a temporary password instead), at most
    ``EQUIPAGE_PASSWORD_LINKS_PER_MEMBER`` an hour, and an address only a few
    password mails an hour. Asked last, the hourly counts are spent only on a
    link that is then sent.
    """
    from equipage.accounts.mail_limits import (
        mailbox_allows,
        member_link_allows,
        too_many_links,
        too_many_mails,
    )

    if member.state != MemberState.ACTIVE:
        return InvariantViolation(
            _("Only an active account gets a set-password link: invite or reactivate them first."),
            code="not_active",
        )
    if not member.email:
        return ValidationFailed(
            _(
                "This member has no e-mail address to send to: give them a temporary password "
                "on their profile instead; they will choose their own at their first login."
            ),
            field="email",
        )
    if not member_link_allows(member.pk):
        return too_many_links()
    if not mailbox_allows(member.email):
        return too_many_mails()
    return None


def member_send_password_link(*, actor: Actor | Member, member: Member) -> str:
    """Mail a member a single-use set-password link (seed 004's « flèches cycliques »).

    The new link voids the member's older ones; it expires after
    ``SET_LINK_LIFETIME`` and dies with its first use (``password_set_from_token``).
    Refusals: ``password_link_refusal``. Returns the link, for the operator's
    command line only: the console and the API never show it.
    """
    actor = as_actor(actor)
    authorize(actor, Cap.MEMBER_PASSWORD_LINK, member)
    refusal = password_link_refusal(member)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        link = _mail_password_link(member, PasswordTokenPurpose.SET)
        record(
            actor=actor,
            organization=member.organization,
            event=EventType.MEMBER_PASSWORD_LINK_SENT,
            target=member,
        )
    return link


def members_send_password_links(
    *, actor: Actor | Member, organization: Organization, members: Iterable[Member | int]
) -> BulkResult:
    """Mail each selected member a set-password link (the directory's bulk action).

    Members outside the actor's reach, not active, without an e-mail address or
    already sent enough links this hour are skipped, each with the reason.
    """
    from equipage.accounts.bulk import (
        BulkRun,
        bulk_action,
        eligible_ids,
        load_members,
        member_event_row,
    )

    def select(run: BulkRun) -> list[Member]:
        allowed = eligible_ids(run.actor, Cap.MEMBER_PASSWORD_LINK, run.ids)
        todo: list[Member] = []
        for m in load_members(run.organization.pk, run.ids):
            if m.pk not in allowed:
                run.result.skip(m, _("Outside what you may manage."), "forbidden")
            elif (refusal := password_link_refusal(m)) is not None:
                run.result.skip(m, str(refusal), "invariant")
            else:
                todo.append(m)
        return todo

    def apply(run: BulkRun, todo: list[Member]) -> list[RowTuple]:
        for m in todo:
            m.organization = run.organization
        send_set_password_links(run.organization, todo)
        return [member_event_row(EventType.MEMBER_PASSWORD_LINK_SENT, m, None, None) for m in todo]

    return bulk_action(actor, organization, members, Cap.MEMBER_VIEW, select, apply)


def _mail_password_link(member: Member, purpose: PasswordTokenPurpose) -> str:
    """Create a link of ``purpose`` for ``member``, queue its mail and return the link."""
    from equipage.emails.models import MailKind
    from equipage.emails.outbox import queue_mail

    org = member.organization
    assert org is not None
    link = password_link(org, password_token_create(member, purpose))
    if not member.email:
        return link
    if purpose == PasswordTokenPurpose.RESET:
        hours = int(RESET_LINK_LIFETIME.total_seconds() // 3600)
        kind, context = MailKind.PASSWORD_RESET, {"link": link, "hours": hours}
    else:
        kind, context = MailKind.SET_PASSWORD, {"link": link, "days": SET_LINK_LIFETIME.days}
    queue_mail(kind=kind, to=member.email, organization=org, member=member, context=context)
    return link


def token_member(organization: Organization, raw: str) -> tuple[PasswordToken, Member]:
    """Return the live token and its member, or raise ``NotFound`` (used, expired, foreign)."""
    token = (
        PasswordToken.objects.select_related("member")
        .filter(token_hash=hash_token(raw or ""), organization=organization)
        .first()
    )
    if (
        token is None
        or token.used_at is not None
        or token.expires_at <= clock.now()
        or token.member.state == MemberState.DEACTIVATED
        # The password, the e-mail address or the account's sessions changed since.
        or not constant_time_compare(token.binding, binding_of(token.member))
    ):
        raise NotFound(_("This link is no longer valid: it was already used or has expired."))
    return token, token.member


def password_set_from_token(
    *,
    organization: Organization,
    raw_token: str,
    new_password: str,
    origin: Origin | None = None,
    first_name: str = "",
    last_name: str = "",
) -> Member:
    """Set a password from a single-use link; the link dies with its first use.

    An account without a first or last name (an owner made by ``org create``)
    gives them here: every account that is set up carries both (SPEC §1).
    """
    from equipage.accounts.actions.members import clean_text, refresh_search_text

    dead = _("This link is no longer valid: it was already used or has expired.")
    token, member = token_member(organization, raw_token)
    names = {
        "first_name": clean_text("first_name", first_name or member.first_name),
        "last_name": clean_text("last_name", last_name or member.last_name),
    }
    if not names["first_name"] or not names["last_name"]:
        raise ValidationFailed(_("First name and last name are required."))
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        # Checked again under the lock: a change of password or address meanwhile wins.
        if not constant_time_compare(token.binding, binding_of(member)):
            raise NotFound(dead)
        for name, value in names.items():
            setattr(member, name, value)
        _validate_password(new_password, member)
        consumed = PasswordToken.objects.filter(pk=token.pk, used_at__isnull=True).update(
            used_at=clock.now()
        )
        if not consumed:
            raise NotFound(dead)
        before = {"first_name": token.member.first_name, "last_name": token.member.last_name}
        named = {k: v for k, v in names.items() if before[k] != v}
        changed = apply_password(member, new_password)
        refresh_search_text(member)
        member.save(update_fields=[*changed, "first_name", "last_name", "search_text"])
        actor = Actor.for_member(member, origin)
        if named:
            record(
                actor=actor,
                organization=organization,
                event=EventType.MEMBER_UPDATED,
                target=member,
                before={k: before[k] for k in named},
                after=named,
            )
        record(
            actor=actor,
            organization=organization,
            event=EventType.MEMBER_PASSWORD_CHANGED,
            target=member,
            after={"via": token.purpose},
        )
        # Whoever held the mailbox now holds the account: every session ends.
        sessions_end_after_password(actor=actor, member=member, reason="password_link")
    from equipage.accounts.throttle import clear_failures

    clear_failures(organization, member)
    return member
