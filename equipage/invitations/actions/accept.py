"""Accepting an invitation: the link checked, the first-login form, the roles granted (seed 002)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from equipage.accounts.actions.members import (
    _validate_password,
    refresh_search_text,
)
from equipage.accounts.actions.passwords import apply_password
from equipage.accounts.models import Member, MemberRole, MemberState, Role
from equipage.accounts.snapshots import member_snapshot
from equipage.accounts.tokens import hash_token
from equipage.audit.events import EventType
from equipage.audit.record import Entry, record_many
from equipage.core import clock
from equipage.core.errors import NotFound, ValidationFailed
from equipage.invitations.models import Invitation, InvitationStatus
from equipage.organizations.models import Organization
from equipage.organizations.seats import lock_organization
from equipage.permissions import Actor, Origin, grantable_roles


class InvitationLinkError(NotFound):
    """The invitation link cannot be used; ``code`` says why (expired, used, cancelled, invalid)."""


def invitation_by_token(organization: Organization, raw_token: str) -> Invitation:
    """Return the pending, live invitation of ``raw_token`` in ``organization``, or raise.

    ``InvitationLinkError.code`` tells the page what to say: ``invalid``
    (tampered or another organization's), ``used``, ``cancelled`` or ``expired``.
    """
    inv = (
        Invitation.objects.select_related("member", "organization")
        .filter(token_hash=hash_token(raw_token or ""), organization=organization)
        .first()
    )
    if inv is None:
        raise InvitationLinkError(_("This invitation link is not valid."), code="invalid")
    if inv.status == InvitationStatus.ACCEPTED:
        raise InvitationLinkError(_("This invitation was already used."), code="used")
    if inv.status != InvitationStatus.PENDING or inv.member.state != MemberState.INVITED:
        raise InvitationLinkError(_("This invitation was cancelled."), code="cancelled")
    if inv.is_expired():
        raise InvitationLinkError(_("This invitation has expired."), code="expired")
    return inv


def acceptable_roles(invitation: Invitation) -> list[str]:
    """Return the invitation's roles the inviter may still grant now (never more)."""
    wanted = [r for r in invitation.roles if r != Role.MEMBER]
    if not wanted:
        return []
    inviter = invitation.invited_by
    if inviter is None or inviter.organization_id != invitation.organization_id:
        return []
    allowed = set(grantable_roles(Actor.for_member(inviter)))
    return [r for r in wanted if r in allowed]


def invitation_accept(
    *,
    organization: Organization,
    raw_token: str,
    first_name: str,
    last_name: str,
    password: str,
    origin: Origin | None = None,
) -> Member:
    """Accept an invitation with the first-login form: the account becomes active and billable.

    The token is single-use and valid only in its own organization; the roles
    granted are those the inviter may still grant at this moment.
    """
    first_name, last_name = first_name.strip(), last_name.strip()
    if not first_name or not last_name:
        raise ValidationFailed(_("First name and last name are required."))
    invitation = invitation_by_token(organization, raw_token)
    member = invitation.member
    member.first_name, member.last_name = first_name, last_name
    _validate_password(password, member)
    with transaction.atomic():
        org = lock_organization(organization.pk)
        inv = Invitation.objects.select_for_update().select_related("member").get(pk=invitation.pk)
        if inv.status != InvitationStatus.PENDING or inv.is_expired():
            # Someone else used or cancelled it between the page load and now.
            invitation_by_token(org, raw_token)
            raise InvitationLinkError(_("This invitation was already used."), code="used")
        member = Member.objects.select_for_update().get(pk=inv.member_id)
        if member.state != MemberState.INVITED:
            raise InvitationLinkError(_("This invitation was cancelled."), code="cancelled")
        now = clock.now()
        before = member_snapshot(member)
        member.first_name, member.last_name = first_name, last_name
        changed = apply_password(member, password, now=now)
        member.state = MemberState.ACTIVE
        member.activated_at = now
        refresh_search_text(member)
        member.save(
            update_fields=[
                *changed,
                "first_name",
                "last_name",
                "state",
                "activated_at",
                "search_text",
            ]
        )
        granted = acceptable_roles(inv)
        current = set(MemberRole.objects.filter(member=member).values_list("role", flat=True))
        MemberRole.objects.bulk_create(
            [
                MemberRole(organization=org, member=member, role=r)
                for r in granted
                if r not in current
            ]
        )
        inv.status = InvitationStatus.ACCEPTED
        inv.decided_at = now
        inv.save(update_fields=["status", "decided_at"])
        actor = Actor.for_member(member, origin)
        record_many(
            actor=actor,
            organization=org,
            entries=[
                Entry(
                    EventType.INVITATION_ACCEPTED,
                    target=member,
                    after={
                        "invitation": inv.pk,
                        "roles_granted": granted,
                        "roles_refused": [
                            r for r in inv.roles if r != Role.MEMBER and r not in granted
                        ],
                    },
                ),
                Entry(
                    EventType.MEMBER_ACTIVATED,
                    target=member,
                    before={k: before[k] for k in ("state", "first_name", "last_name")},
                    after={"state": member.state, "first_name": first_name, "last_name": last_name},
                ),
            ],
        )
    return member
