"""Verified e-mail changes (issue #18.3): a member's own new address counts once it answers.

A member who changes their own address gets a pending change and a single-use
link at the new address; the old address is told. The change applies on the
link's click (``email_change_confirm``), if the address is still free and the
account still active. Asking for an address another member uses answers and
looks exactly the same as asking for a free one: the pending change is shown,
both mails are queued, only the new mailbox's owner reads that the address is
taken. Admins (console, API, SCIM) change addresses at once
(``members.member_update``), and the old address is told.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from equipage.accounts.models import EmailChange, Member, MemberState
from equipage.accounts.tokens import hash_token, new_token
from equipage.audit.events import EventType
from equipage.audit.record import record
from equipage.core import clock
from equipage.core.errors import InvariantViolation, NotFound, ValidationFailed
from equipage.organizations.models import Organization
from equipage.permissions import Actor, Cap, Origin, as_actor, can, refuse

EMAIL_CHANGE_LIFETIME = dt.timedelta(hours=24)


def email_change_link(organization: Organization, raw: str) -> str:
    from equipage.instance.links import base_url

    return f"{base_url()}/o/{organization.slug}/email/confirm/{raw}/"


def pending_email_change(member: Member) -> EmailChange | None:
    """Return ``member``'s pending change of address still within its time, or None."""
    return (
        EmailChange.objects.filter(
            organization_id=member.org_id, member_id=member.pk, expires_at__gt=clock.now()
        )
        .order_by("-pk")
        .first()
    )


def email_change_request(*, actor: Actor | Member, member: Member, new_email: str) -> None:
    """Ask to move one's own account to ``new_email``: mail a link there, tell the old address.

    Replaces an older pending request. Does and says the same whether another
    member uses ``new_email`` or not. ``new_email`` is already cleaned.
    """
    from equipage.accounts.mail_limits import mailbox_allows, too_many_mails
    from equipage.emails.models import MailKind
    from equipage.emails.outbox import queue_mail

    actor = as_actor(actor)
    if actor.member is None or actor.member.pk != member.pk:
        raise refuse(actor, _("Only the member themselves can ask to change their address."))
    if not new_email:
        raise ValidationFailed(
            _("To remove your e-mail address, ask an administrator."), field="email"
        )
    # Counted per mailbox, whoever owns it: the same limit for a taken and a free address.
    if not mailbox_allows(new_email):
        raise too_many_mails()
    now = clock.now()
    with transaction.atomic():
        # No select_related: PostgreSQL refuses FOR UPDATE on the nullable side of a join.
        member = Member.objects.select_for_update().get(pk=member.pk)
        org = member.organization
        assert org is not None
        EmailChange.objects.filter(member_id=member.pk).delete()
        raw, digest = new_token()
        EmailChange.objects.create(
            organization=org,
            member=member,
            new_email=new_email,
            token_hash=digest,
            created_at=now,
            expires_at=now + EMAIL_CHANGE_LIFETIME,
        )
        record(
            actor=actor,
            organization=org,
            event=EventType.EMAIL_CHANGE_REQUESTED,
            target=member,
            after={"email": new_email},
        )
        holder = (
            Member.objects.filter(organization_id=org.pk, email__iexact=new_email)
            .exclude(pk=member.pk)
            .first()
        )
        hours = int(EMAIL_CHANGE_LIFETIME.total_seconds() // 3600)
        if holder is None:
            queue_mail(
                kind=MailKind.EMAIL_CHANGE_CONFIRM,
                to=new_email,
                organization=org,
                member=member,
                context={"link": email_change_link(org, raw), "hours": hours},
            )
        else:
            # The mailbox's owner reads that it is taken; the requester learns nothing.
            queue_mail(
                kind=MailKind.EMAIL_IN_USE,
                to=new_email,
                organization=org,
                language=holder.effective_language(),
                context={"reset_url": _reset_url(org)},
            )
        if member.email:
            queue_mail(
                kind=MailKind.EMAIL_CHANGE_REQUESTED,
                to=member.email,
                organization=org,
                member=member,
                context={"new_email": new_email, "hours": hours},
            )


def email_change_cancel(*, actor: Actor | Member, member: Member) -> bool:
    """Cancel ``member``'s pending change (the member, or who may edit them); True if one was."""
    actor = as_actor(actor)
    is_self = actor.member is not None and actor.member.pk == member.pk
    if not is_self and not can(actor, Cap.MEMBER_UPDATE, member):
        raise refuse(actor, _("You do not have permission to do this."))
    with transaction.atomic():
        rows = list(EmailChange.objects.filter(organization_id=member.org_id, member_id=member.pk))
        if not rows:
            return False
        EmailChange.objects.filter(pk__in=[r.pk for r in rows]).delete()
        record(
            actor=actor,
            organization=member.organization,
            event=EventType.EMAIL_CHANGE_CANCELLED,
            target=member,
            after={"email": rows[0].new_email},
        )
    return True


def _dead() -> NotFound:
    return NotFound(
        _("This link is no longer valid: it was already used, replaced or has expired.")
    )


def email_change_by_token(organization: Organization, raw: str) -> EmailChange:
    """Return the live pending change of this link, or raise ``NotFound``."""
    row = (
        EmailChange.objects.select_related("member")
        .filter(organization_id=organization.pk, token_hash=hash_token(raw or ""))
        .first()
    )
    if row is None or row.expires_at <= clock.now():
        raise _dead()
    return row


def email_change_confirm(*, organization: Organization, raw_token: str, origin: Origin) -> Member:
    """Apply the change named by a link's token; the link works once.

    Refused when the link was used, replaced or expired, when the account is no
    longer active, or when another member took the address meanwhile.
    """
    from equipage.accounts.actions.members import ensure_email_free, refresh_search_text

    row = email_change_by_token(organization, raw_token)
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=row.member_id)
        # Single use, and the newest request only: the row is gone once used or replaced.
        if not EmailChange.objects.filter(pk=row.pk, token_hash=row.token_hash).exists():
            raise _dead()
        if member.state != MemberState.ACTIVE:
            raise InvariantViolation(
                _("This account is no longer active: its address was not changed."),
                code="not_active",
            )
        ensure_email_free(organization.pk, row.new_email, exclude_pk=member.pk)
        EmailChange.objects.filter(pk=row.pk).delete()
        old = member.email
        member.email = row.new_email
        refresh_search_text(member)
        member.updated_at = clock.now()
        member.save(update_fields=["email", "search_text", "updated_at"])
        record(
            actor=Actor.for_member(member, origin),
            organization=organization,
            event=EventType.EMAIL_CHANGE_CONFIRMED,
            target=member,
            before={"email": old},
            after={"email": member.email},
        )
    return member


def notify_old_address(member: Member, old_email: str) -> None:
    """Tell ``old_email`` that an administrator moved the account to the member's new address."""
    from equipage.emails.models import MailKind
    from equipage.emails.outbox import queue_mail

    if not old_email or old_email.lower() == member.email.lower():
        return
    queue_mail(
        kind=MailKind.EMAIL_CHANGED,
        to=old_email,
        organization=member.organization,
        member=member,
        context={"new_email": member.email},
    )


def _reset_url(org: Organization) -> str:
    from equipage.instance.links import base_url

    return f"{base_url()}/o/{org.slug}/password/reset/"
