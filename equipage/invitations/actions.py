"""Every write about invitations: invite, resend, revoke, cancel, accept, expire (seeds 001–003).

An invited person is a ``Member`` in state ``invited`` from the first mail on
(seed 003); the account becomes active and billable only when the
first-login form is submitted (seed 002). Roles are stored on the invitation
and granted at acceptance, never above what the inviter still holds then.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from equipage.accounts.actions.customfields import apply_creation_extras, clean_creation_extras
from equipage.accounts.actions.members import (
    _validate_password,
    check_grantable,
    refresh_search_text,
)
from equipage.accounts.bulk import eligible_ids, load_members, triage, unique_ids
from equipage.accounts.logins import free_login_for
from equipage.accounts.models import Member, MemberRole, MemberState, Role
from equipage.accounts.snapshots import member_snapshot
from equipage.accounts.tokens import hash_token, new_token
from equipage.audit.events import EventType
from equipage.audit.record import Entry, record, record_many
from equipage.core import clock
from equipage.core.bulk import BulkResult
from equipage.core.errors import NotFound, SeatLimitExceeded, ValidationFailed
from equipage.instance.links import base_url
from equipage.invitations.models import Invitation, InvitationStatus
from equipage.organizations.models import Organization
from equipage.organizations.seats import ensure_seats, lock_organization
from equipage.permissions import Actor, Cap, Origin, as_actor, authorize, can, grantable_roles
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


class InvitationLinkError(NotFound):
    """The invitation link cannot be used; ``code`` says why (expired, used, cancelled, invalid)."""


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


def invitation_link(organization: Organization, raw: str) -> str:
    return f"{base_url()}/o/{organization.slug}/join/{raw}/"


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


def _sent_today(org: Organization) -> int:
    since = clock.now() - dt.timedelta(days=1)
    return Invitation.objects.filter(organization=org, created_at__gt=since).count()


class _DailyBudget:
    """Counts what is left of the organization's daily invitation limit in this transaction."""

    def __init__(self, org: Organization) -> None:
        self.left = max(org.daily_invitation_limit - _sent_today(org), 0)

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def _limit_message(org: Organization) -> str:
    return _(
        "The daily invitation limit of this organization (%(n)d) is reached; try again tomorrow."
    ) % {"n": org.daily_invitation_limit}


def _issue(
    *,
    actor: Actor,
    org: Organization,
    member: Member,
    roles: list[str],
    group_ids: list[int],
    language: str = "",
) -> Invitation:
    """Create a pending invitation for ``member``, kill older ones and queue its mail."""
    from equipage.emails.models import MailKind
    from equipage.emails.outbox import queue_mail

    now = clock.now()
    Invitation.objects.filter(member=member, status=InvitationStatus.PENDING).update(
        status=InvitationStatus.CANCELLED, decided_at=now
    )
    raw, digest = new_token()
    invitation = Invitation.objects.create(
        organization=org,
        member=member,
        email=member.email,
        token_hash=digest,
        roles=roles,
        group_ids=group_ids,
        invited_by=actor.member,
        invited_by_label=_inviter_name(actor),
        created_at=now,
        expires_at=now + dt.timedelta(days=org.invitation_lifetime_days),
    )
    queue_mail(
        kind=MailKind.INVITATION,
        to=member.email,
        organization=org,
        member=member,
        language=language or member.language or org.language,
        context={
            "link": invitation_link(org, raw),
            "inviter": invitation.invited_by_label,
            "days": org.invitation_lifetime_days,
            "expires_at": invitation.expires_at,
        },
    )
    return invitation


def _inviter_name(actor: Actor) -> str:
    if actor.member is not None and actor.member.full_name:
        return actor.member.full_name[:200]
    return actor.label[:200]


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
        budget = _DailyBudget(org)
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
    budget: _DailyBudget,
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
        return InviteOutcome(address, InviteStatus.REFUSED, _limit_message(org))
    try:
        ensure_seats(org, 1)
    except SeatLimitExceeded as exc:
        return InviteOutcome(address, InviteStatus.REFUSED, str(exc))
    now = clock.now()
    member = Member(
        organization=org,
        login=free_login_for(org.pk, "", "", address),
        email=address,
        first_name="",
        last_name="",
        language=language,
        state=MemberState.INVITED,
        created_at=now,
        updated_at=now,
    )
    member.set_unusable_password()
    refresh_search_text(member)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        return InviteOutcome(
            address,
            InviteStatus.ALREADY_INVITED,
            _("A member with this e-mail address already exists."),
        )
    MemberRole.objects.create(organization=org, member=member, role=Role.MEMBER)
    if group_ids:
        from equipage.groups.memberships import add_memberships

        add_memberships(actor=actor, member=member, group_ids=group_ids)
    invitation = _issue(
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
            Entry(EventType.INVITATION_SENT, target=member, after=_invitation_facts(invitation)),
        ],
    )
    return InviteOutcome(
        address,
        InviteStatus.INVITED,
        _("Invitation sent to %(email)s.") % {"email": address},
        member=member,
        invitation=invitation,
    )


def _invitation_facts(invitation: Invitation) -> dict[str, object]:
    return {
        "email": invitation.email,
        "roles": invitation.roles,
        "groups": invitation.group_ids,
        "expires_at": invitation.expires_at.isoformat(),
    }


def _latest_invitation(member: Member) -> Invitation | None:
    return Invitation.objects.filter(member=member).order_by("-created_at", "-id").first()


def _answer_existing(
    actor: Actor,
    org: Organization,
    member: Member,
    roles: list[str],
    group_ids: list[int],
    language: str,
    budget: _DailyBudget,
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
        return InviteOutcome(address, InviteStatus.REFUSED, _limit_message(org), member=member)
    was_pending = latest is not None and latest.status == InvitationStatus.PENDING
    if not was_pending or latest is None or latest.is_expired():
        try:
            ensure_seats(org, 1)
        except SeatLimitExceeded as exc:
            return InviteOutcome(address, InviteStatus.REFUSED, str(exc), member=member)
    if group_ids:
        from equipage.groups.memberships import add_memberships

        add_memberships(actor=actor, member=member, group_ids=group_ids)
    invitation = _issue(
        actor=actor, org=org, member=member, roles=roles, group_ids=group_ids, language=language
    )
    _set_state(member, MemberState.INVITED)
    record(
        actor=actor,
        organization=org,
        event=EventType.INVITATION_SENT,
        target=member,
        after=_invitation_facts(invitation),
    )
    return InviteOutcome(
        address,
        InviteStatus.INVITED,
        _("Invitation sent to %(email)s.") % {"email": address},
        member=member,
        invitation=invitation,
    )


def _set_state(member: Member, state: MemberState) -> None:
    if member.state != state:
        member.state = state
        member.updated_at = clock.now()
        Member.objects.filter(pk=member.pk).update(state=state, updated_at=member.updated_at)


def _eligible(actor: Actor, ids: list[int]) -> set[int]:
    return eligible_ids(actor, Cap.MEMBER_INVITE, ids)


def _load(org: Organization, ids: list[int]) -> list[Member]:
    return load_members(org.pk, ids)


def _pending_by_member(member_ids: list[int]) -> dict[int, Invitation]:
    """Return each member's pending invitation (the newest), expired or not."""
    pending: dict[int, Invitation] = {}
    for start in range(0, len(member_ids), 5000):
        for inv in Invitation.objects.filter(
            member_id__in=member_ids[start : start + 5000], status=InvitationStatus.PENDING
        ).order_by("created_at", "id"):
            pending[inv.member_id] = inv
    return pending


def members_invite(
    *, actor: Actor | Member, organization: Organization, members: Iterable[Member | int]
) -> BulkResult:
    """Send a first invitation to members added but never invited (or revoked) — a bulk action.

    Their current roles stay; the invitation grants nothing more. Members
    without an e-mail, already invited, active or deactivated are skipped with
    the reason.
    """
    actor = as_actor(actor)
    authorize(actor, Cap.MEMBER_INVITE, organization)
    ids = unique_ids(members)
    result = BulkResult()
    with transaction.atomic():
        org = lock_organization(organization.pk)
        eligible = _eligible(actor, ids)
        todo = triage(
            _load(org, ids),
            [
                (
                    lambda m: m.pk not in eligible,
                    _("You do not have permission to invite this member."),
                    "forbidden",
                ),
                (
                    lambda m: m.state == MemberState.ACTIVE,
                    _("This user already has an active account."),
                    "noop",
                ),
                (
                    lambda m: m.state == MemberState.DEACTIVATED,
                    _("Deactivated: reactivate instead."),
                    "invariant",
                ),
                (
                    lambda m: m.state == MemberState.INVITED,
                    _("Already invited: resend the invitation instead."),
                    "noop",
                ),
                (
                    lambda m: not m.email,
                    _("No e-mail address to send the invitation to."),
                    "invariant",
                ),
            ],
            result,
        )
        budget = _DailyBudget(org)
        if len(todo) > budget.left:
            raise_limit = _limit_message(org)
            for m in todo[budget.left :]:
                result.skip(m, raise_limit, "invariant")
            todo = todo[: budget.left]
        if todo:
            ensure_seats(org, len(todo))
            entries = []
            for m in todo:
                invitation = _issue(actor=actor, org=org, member=m, roles=[], group_ids=[])
                _set_state(m, MemberState.INVITED)
                entries.append(
                    Entry(EventType.INVITATION_SENT, target=m, after=_invitation_facts(invitation))
                )
            record_many(actor=actor, organization=org, entries=entries)
            result.done = todo
    return result


def invitations_resend(
    *, actor: Actor | Member, organization: Organization, members: Iterable[Member | int]
) -> BulkResult:
    """Send a new invitation to invited members; the old link dies (seed 001 « Renvoyer »)."""
    actor = as_actor(actor)
    authorize(actor, Cap.MEMBER_INVITE, organization)
    ids = unique_ids(members)
    result = BulkResult()
    with transaction.atomic():
        org = lock_organization(organization.pk)
        eligible = _eligible(actor, ids)
        targets = _load(org, ids)
        pending = _pending_by_member([m.pk for m in targets])
        todo = triage(
            targets,
            [
                (
                    lambda m: m.pk not in eligible,
                    _("You do not have permission to invite this member."),
                    "forbidden",
                ),
                (
                    lambda m: m.state != MemberState.INVITED or m.pk not in pending,
                    _("No invitation to resend."),
                    "noop",
                ),
                (
                    lambda m: not m.email,
                    _("No e-mail address to send the invitation to."),
                    "invariant",
                ),
            ],
            result,
        )
        budget = _DailyBudget(org)
        if len(todo) > budget.left:
            for m in todo[budget.left :]:
                result.skip(m, _limit_message(org), "invariant")
            todo = todo[: budget.left]
        if todo:
            # An expired invitation no longer holds a seat; resending takes one again.
            ensure_seats(org, sum(1 for m in todo if pending[m.pk].is_expired()))
            entries = []
            for m in todo:
                old = pending[m.pk]
                invitation = _issue(
                    actor=actor, org=org, member=m, roles=old.roles, group_ids=old.group_ids
                )
                entries.append(
                    Entry(
                        EventType.INVITATION_RESENT,
                        target=m,
                        after={**_invitation_facts(invitation), "replaces": old.pk},
                    )
                )
            record_many(actor=actor, organization=org, entries=entries)
            result.done = todo
    return result


def invitation_resend(*, actor: Actor | Member, member: Member) -> Member:
    """Resend one member's invitation, or raise with the reason it cannot be done."""
    assert member.organization is not None
    result = invitations_resend(actor=actor, organization=member.organization, members=[member])
    _raise_single(result)
    return member


def _raise_single(result: BulkResult) -> None:
    result.raise_for_single()
    for (_item, reason), kind in zip(result.skipped, result.kinds, strict=True):
        if kind == "noop":
            raise ValidationFailed(reason)


def invitations_revoke(
    *, actor: Actor | Member, organization: Organization, members: Iterable[Member | int]
) -> BulkResult:
    """Revoke invited members' access: the link dies, they stay listed, Guide back to « Inviter »."""
    actor = as_actor(actor)
    authorize(actor, Cap.MEMBER_INVITE, organization)
    ids = unique_ids(members)
    result = BulkResult()
    with transaction.atomic():
        org = lock_organization(organization.pk)
        eligible = _eligible(actor, ids)
        todo = triage(
            _load(org, ids),
            [
                (
                    lambda m: m.pk not in eligible,
                    _("You do not have permission to revoke this member's access."),
                    "forbidden",
                ),
                (
                    lambda m: m.state == MemberState.ACTIVE,
                    _("Active account: deactivate it instead."),
                    "invariant",
                ),
                (
                    lambda m: m.state != MemberState.INVITED,
                    _("No pending invitation to revoke."),
                    "noop",
                ),
            ],
            result,
        )
        if todo:
            now = clock.now()
            todo_ids = [m.pk for m in todo]
            for start in range(0, len(todo_ids), 5000):
                chunk = todo_ids[start : start + 5000]
                Invitation.objects.filter(
                    member_id__in=chunk, status=InvitationStatus.PENDING
                ).update(status=InvitationStatus.REVOKED, decided_at=now)
                Member.objects.filter(pk__in=chunk).update(
                    state=MemberState.CREATED, updated_at=now
                )
            record_many(
                actor=actor,
                organization=org,
                entries=(
                    Entry(
                        EventType.INVITATION_REVOKED,
                        target=m,
                        before={"state": MemberState.INVITED},
                        after={"state": MemberState.CREATED},
                    )
                    for m in todo
                ),
            )
            for m in todo:
                m.state = MemberState.CREATED
            result.done = todo
    return result


def invitation_cancel(*, actor: Actor | Member, invitation: Invitation) -> Invitation:
    """Cancel one pending invitation from the Invitations list (seed 002 « Annuler l'invitation »).

    The member stays listed as added-not-invited, so they can be invited again.
    """
    actor = as_actor(actor)
    authorize(actor, Cap.MEMBER_INVITE, invitation.member)
    with transaction.atomic():
        lock_organization(invitation.organization_id)
        inv = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if inv.status != InvitationStatus.PENDING:
            raise ValidationFailed(_("This invitation is no longer pending."))
        now = clock.now()
        inv.status = InvitationStatus.CANCELLED
        inv.decided_at = now
        inv.save(update_fields=["status", "decided_at"])
        member = inv.member
        if member.state == MemberState.INVITED:
            _set_state(member, MemberState.CREATED)
        record(
            actor=actor,
            organization=member.organization,
            event=EventType.INVITATION_CANCELLED,
            target=member,
            before={"state": MemberState.INVITED},
            after={"state": member.state, "invitation": inv.pk},
        )
    return inv


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
        member.set_password(password)
        member.must_change_password = False
        member.uses_temp_password = False
        member.state = MemberState.ACTIVE
        member.activated_at = now
        member.updated_at = now
        refresh_search_text(member)
        member.save(
            update_fields=[
                "first_name",
                "last_name",
                "password",
                "must_change_password",
                "uses_temp_password",
                "state",
                "activated_at",
                "updated_at",
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


def expire_invitations(*, organization: Organization | None = None, limit: int = 1000) -> int:
    """Record ``invitation.expired`` once for each pending invitation whose time has passed.

    Expiry itself is computed from the clock; this only announces it (audit
    trail and webhooks), exactly once per invitation even with several workers.
    """
    from equipage.audit.models import AuditEvent

    now = clock.now()
    due = Invitation.objects.filter(status=InvitationStatus.PENDING, expires_at__lte=now)
    if organization is not None:
        due = due.filter(organization=organization)
    total = 0
    for org_id in list(due.values_list("organization_id", flat=True).distinct()[:1000]):
        with transaction.atomic():
            org = lock_organization(org_id)
            candidates = list(
                due.filter(organization=org).select_related("member").order_by("id")[:limit]
            )
            announced = set(
                AuditEvent.objects.filter(
                    organization=org,
                    event_type=EventType.INVITATION_EXPIRED,
                    target_type="invitation",
                    target_id__in=[str(i.pk) for i in candidates],
                ).values_list("target_id", flat=True)
            )
            fresh = [i for i in candidates if str(i.pk) not in announced]
            if not fresh:
                continue
            record_many(
                actor=Actor.system(org, "invitation expiry"),
                organization=org,
                entries=(
                    Entry(
                        EventType.INVITATION_EXPIRED,
                        target=i,
                        member=i.member,
                        target_label=i.email,
                        after={"email": i.email, "expires_at": i.expires_at.isoformat()},
                    )
                    for i in fresh
                ),
            )
            total += len(fresh)
    return total
