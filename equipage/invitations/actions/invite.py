"""Inviting people by e-mail address (seeds 001–003): each address gets its own answer.

An invited person is a ``Member`` in state ``invited`` from the first mail on
(seed 003); the account becomes active and billable only when the
first-login form is submitted (``accept``). Roles are stored on the invitation
and granted at acceptance, never above what the inviter still holds then.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from equipage.accounts.actions.customfields import apply_creation_extras, clean_creation_extras
from equipage.accounts.actions.members import check_grantable
from equipage.accounts.builder import build_member, save_new_member
from equipage.accounts.logins import free_login_for
from equipage.accounts.models import Member, MemberState, Role
from equipage.accounts.snapshots import member_snapshot
from equipage.audit.events import EventType
from equipage.audit.record import Entry, record, record_many
from equipage.core import clock
from equipage.core.errors import Conflict, SeatLimitExceeded, ValidationFailed
from equipage.invitations.actions.issue import (
    DailyBudget,
    invitation_facts,
    issue_invitation,
    limit_message,
    set_member_state,
)
from equipage.invitations.models import Invitation, InvitationStatus
from equipage.organizations.models import Organization
from equipage.organizations.seats import ensure_seats, lock_organization
from equipage.permissions import Actor, Cap, as_actor, authorize, can
from equipage.permissions.policy import authorize_groups

_SEPARATORS = re.compile(r"[,;\s]+")


class InviteStatus(StrEnum):
    INVITED = "invited"
    ALREADY_INVITED = "already_invited"
    ALREADY_ACTIVE = "already_active"
    DEACTIVATED = "deactivated"
    INVALID = "invalid"
    REFUSED = "refused"


class WayForward(StrEnum):
    NONE = ""
    ADD_TO_GROUP = "add_to_group"
    REACTIVATE = "reactivate"
    RESEND = "resend"


@dataclass
class InviteOutcome:
    """The answer for one address of an invitation request, shown on its own line."""

    email: str
    status: InviteStatus
    message: str
    member: Member | None = None
    way_forward: WayForward = WayForward.NONE
    invitation: Invitation | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, object]:
        return {
            "email": self.email,
            "status": str(self.status),
            "message": self.message,
            "member_id": self.member.pk if self.member else None,
            "way_forward": str(self.way_forward),
        }


def split_addresses(emails: str | Sequence[str]) -> list[str]:
    """Split a field of addresses on commas, semicolons, spaces or new lines; drop repeats."""
    parts = _SEPARATORS.split(emails) if isinstance(emails, str) else list(emails)
    seen: set[str] = set()
    out: list[str] = []
    for part in parts:
        address = part.strip().strip("<>").strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return out


def _valid_email(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _check_group_ids(organization: Organization, group_ids: Sequence[int]) -> list[int]:
    from equipage.groups.models import Group

    ids = list(dict.fromkeys(int(g) for g in group_ids))
    found = set(
        Group.objects.filter(organization=organization, pk__in=ids).values_list("pk", flat=True)
    )
    if len(found) != len(ids):
        raise ValidationFailed(_("Unknown group."), field="group_ids")
    return ids


def invitations_create(
    *,
    actor: Actor | Member,
    organization: Organization,
    emails: str | list[str],
    roles: Sequence[str] = (Role.MEMBER,),
    group_ids: Sequence[int] = (),
    language: str = "",
    custom_values: Mapping[int, str] = {},  # custom field id → value (read only)
    deletion_date: dt.date | None = None,
) -> list[InviteOutcome]:
    """Invite every address of ``emails``; answer each one on its own (seeds 002, 003).

    New addresses become members in state ``invited`` with a pending invitation
    and a queued mail. Existing accounts are answered with the way forward
    (add to a group, reactivate). Seats and the daily limit are checked per
    address, so one refusal never hides the others.
    """
    actor = as_actor(actor)
    authorize(actor, Cap.MEMBER_INVITE, organization)
    roles = check_grantable(actor, roles or [Role.MEMBER])
    group_ids = _check_group_ids(organization, group_ids)
    authorize_groups(actor, group_ids)
    if language not in ("", "fr", "en"):
        raise ValidationFailed(_("Language must be fr or en."), field="language")
    addresses = split_addresses(emails)
    if not addresses:
        raise ValidationFailed(_("Enter at least one e-mail address."), field="emails")
    # The custom values and the deletion date go to every new invitee (seed 002);
    # existing accounts answered with a way forward are left as they are.
    extras = clean_creation_extras(organization.pk, custom_values, deletion_date)

    outcomes: list[InviteOutcome] = []
    with transaction.atomic():
        org = lock_organization(organization.pk)
        budget = DailyBudget(org)
        for address in addresses:
            outcomes.append(_invite_one(actor, org, address, roles, group_ids, language, budget))
        for outcome in outcomes:
            if outcome.status == InviteStatus.INVITED and outcome.member is not None:
                apply_creation_extras(
                    actor=actor, member=outcome.member, values=extras, deletion_date=deletion_date
                )
    return outcomes


def _invite_one(
    actor: Actor,
    org: Organization,
    address: str,
    roles: list[str],
    group_ids: list[int],
    language: str,
    budget: DailyBudget,
) -> InviteOutcome:
    if not _valid_email(address):
        return InviteOutcome(
            address,
            InviteStatus.INVALID,
            _("“%(email)s” is not a valid e-mail address.") % {"email": address},
        )
    existing = Member.objects.filter(organization=org, email__iexact=address).first()
    if existing is not None:
        return _answer_existing(actor, org, existing, roles, group_ids, language, budget)
    if not budget.take():
        return InviteOutcome(address, InviteStatus.REFUSED, limit_message(org))
    try:
        ensure_seats(org, 1)
    except SeatLimitExceeded as exc:
        return InviteOutcome(address, InviteStatus.REFUSED, str(exc))
    member = build_member(
        organization=org,
        login=free_login_for(org.pk, "", "", address),
        email=address,
        first_name="",
        last_name="",
        state=MemberState.INVITED,
        now=clock.now(),
        language=language,
    )
    try:
        save_new_member(member, [Role.MEMBER])
    except Conflict:
        return InviteOutcome(
            address,
            InviteStatus.ALREADY_INVITED,
            _("A member with this e-mail address already exists."),
        )
    if group_ids:
        from equipage.groups.memberships import add_memberships

        add_memberships(actor=actor, member=member, group_ids=group_ids)
    invitation = issue_invitation(
        actor=actor, org=org, member=member, roles=roles, group_ids=group_ids, language=language
    )
    record_many(
        actor=actor,
        organization=org,
        entries=[
            Entry(
                EventType.MEMBER_CREATED,
                target=member,
                after={**member_snapshot(member), "roles": [Role.MEMBER], "groups": group_ids},
            ),
            Entry(EventType.INVITATION_SENT, target=member, after=invitation_facts(invitation)),
        ],
    )
    return InviteOutcome(
        address,
        InviteStatus.INVITED,
        _("Invitation sent to %(email)s.") % {"email": address},
        member=member,
        invitation=invitation,
    )


def _latest_invitation(member: Member) -> Invitation | None:
    return Invitation.objects.filter(member=member).order_by("-created_at", "-id").first()


def _answer_existing(
    actor: Actor,
    org: Organization,
    member: Member,
    roles: list[str],
    group_ids: list[int],
    language: str,
    budget: DailyBudget,
) -> InviteOutcome:
    address = member.email
    if member.state == MemberState.ACTIVE:
        return InviteOutcome(
            address,
            InviteStatus.ALREADY_ACTIVE,
            _("This user already has an active account. Add them to a group instead."),
            member=member,
            way_forward=WayForward.ADD_TO_GROUP,
        )
    if member.state == MemberState.DEACTIVATED:
        return InviteOutcome(
            address,
            InviteStatus.DEACTIVATED,
            _("This user's account is deactivated. Reactivate it instead of inviting."),
            member=member,
            way_forward=WayForward.REACTIVATE,
        )
    if member.state == MemberState.BINNED:
        from equipage.accounts.actions.members import bin_holds

        return InviteOutcome(
            address,
            InviteStatus.REFUSED,
            bin_holds(_("the e-mail address %(v)s") % {"v": address}),
        )
    latest = _latest_invitation(member)
    if (
        member.state == MemberState.INVITED
        and latest is not None
        and latest.status == InvitationStatus.PENDING
        and not latest.is_expired()
    ):
        return InviteOutcome(
            address,
            InviteStatus.ALREADY_INVITED,
            _("An invitation is already waiting for this address."),
            member=member,
            way_forward=WayForward.RESEND,
        )
    # Added but never invited, revoked, cancelled or expired: (re)invite the same account.
    if not can(actor, Cap.MEMBER_INVITE, member):
        return InviteOutcome(
            address,
            InviteStatus.REFUSED,
            _("You do not have permission to invite this member."),
            member=member,
        )
    if not budget.take():
        return InviteOutcome(address, InviteStatus.REFUSED, limit_message(org), member=member)
    was_pending = latest is not None and latest.status == InvitationStatus.PENDING
    if not was_pending or latest is None or latest.is_expired():
        try:
            ensure_seats(org, 1)
        except SeatLimitExceeded as exc:
            return InviteOutcome(address, InviteStatus.REFUSED, str(exc), member=member)
    if group_ids:
        from equipage.groups.memberships import add_memberships

        add_memberships(actor=actor, member=member, group_ids=group_ids)
    invitation = issue_invitation(
        actor=actor, org=org, member=member, roles=roles, group_ids=group_ids, language=language
    )
    set_member_state(member, MemberState.INVITED)
    record(
        actor=actor,
        organization=org,
        event=EventType.INVITATION_SENT,
        target=member,
        after=invitation_facts(invitation),
    )
    return InviteOutcome(
        address,
        InviteStatus.INVITED,
        _("Invitation sent to %(email)s.") % {"email": address},
        member=member,
        invitation=invitation,
    )
