"""The invitation actions on members already listed: invite, resend, revoke, cancel (seed 001)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from equipage.accounts.bulk import (
    BulkRun,
    Check,
    bulk_action,
    eligible_ids,
    load_members,
    moved_rows,
    triage,
)
from equipage.accounts.models import Member, MemberState
from equipage.audit.events import EventType
from equipage.audit.record import Entry, RowTuple, record
from equipage.core import clock
from equipage.core.bulk import BulkResult
from equipage.core.errors import ValidationFailed
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
from equipage.permissions import Actor, Cap, as_actor, authorize


def _may_invite(run: BulkRun, reason: str) -> Check:
    """The first check of every invitation bulk action: the actor's reach over the member."""
    eligible = eligible_ids(run.actor, Cap.MEMBER_INVITE, run.ids)
    return (lambda m: m.pk not in eligible, reason, "forbidden")


def _no_email() -> Check:
    return (lambda m: not m.email, _("No e-mail address to send the invitation to."), "invariant")


def _within_budget(run: BulkRun, todo: list[Member]) -> list[Member]:
    """Keep what the organization's daily invitation limit allows; skip the rest with why."""
    budget = DailyBudget(run.organization)
    if len(todo) > budget.left:
        reason = limit_message(run.organization)
        for m in todo[budget.left :]:
            run.result.skip(m, reason, "invariant")
        todo = todo[: budget.left]
    return todo


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

    def select(run: BulkRun) -> list[Member]:
        checks: list[Check] = [
            _may_invite(run, _("You do not have permission to invite this member.")),
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
            _no_email(),
        ]
        todo = triage(load_members(run.organization.pk, run.ids), checks, run.result)
        return _within_budget(run, todo)

    def apply(run: BulkRun, todo: list[Member]) -> list[Entry]:
        org = run.organization
        ensure_seats(org, len(todo))
        entries = []
        for m in todo:
            invitation = issue_invitation(
                actor=run.actor, org=org, member=m, roles=[], group_ids=[]
            )
            set_member_state(m, MemberState.INVITED)
            entries.append(
                Entry(EventType.INVITATION_SENT, target=m, after=invitation_facts(invitation))
            )
        return entries

    return bulk_action(actor, organization, members, Cap.MEMBER_INVITE, select, apply)


def invitations_resend(
    *, actor: Actor | Member, organization: Organization, members: Iterable[Member | int]
) -> BulkResult:
    """Send a new invitation to invited members; the old link dies (seed 001 « Renvoyer »)."""
    pending: dict[int, Invitation] = {}

    def select(run: BulkRun) -> list[Member]:
        may_invite = _may_invite(run, _("You do not have permission to invite this member."))
        targets = load_members(run.organization.pk, run.ids)
        pending.update(_pending_by_member([m.pk for m in targets]))
        checks: list[Check] = [
            may_invite,
            (
                lambda m: m.state != MemberState.INVITED or m.pk not in pending,
                _("No invitation to resend."),
                "noop",
            ),
            _no_email(),
        ]
        return _within_budget(run, triage(targets, checks, run.result))

    def apply(run: BulkRun, todo: list[Member]) -> list[Entry]:
        org = run.organization
        # An expired invitation no longer holds a seat; resending takes one again.
        ensure_seats(org, sum(1 for m in todo if pending[m.pk].is_expired()))
        entries = []
        for m in todo:
            old = pending[m.pk]
            invitation = issue_invitation(
                actor=run.actor, org=org, member=m, roles=old.roles, group_ids=old.group_ids
            )
            entries.append(
                Entry(
                    EventType.INVITATION_RESENT,
                    target=m,
                    after={**invitation_facts(invitation), "replaces": old.pk},
                )
            )
        return entries

    return bulk_action(actor, organization, members, Cap.MEMBER_INVITE, select, apply)


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

    def select(run: BulkRun) -> list[Member]:
        checks: list[Check] = [
            _may_invite(run, _("You do not have permission to revoke this member's access.")),
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
        ]
        return triage(load_members(run.organization.pk, run.ids), checks, run.result)

    def apply(run: BulkRun, todo: list[Member]) -> list[RowTuple]:
        now = clock.now()
        todo_ids = [m.pk for m in todo]
        for start in range(0, len(todo_ids), 5000):
            chunk = todo_ids[start : start + 5000]
            Invitation.objects.filter(member_id__in=chunk, status=InvitationStatus.PENDING).update(
                status=InvitationStatus.REVOKED, decided_at=now
            )
            Member.objects.filter(pk__in=chunk).update(state=MemberState.CREATED, updated_at=now)
        return moved_rows(EventType.INVITATION_REVOKED, todo, MemberState.CREATED)

    return bulk_action(actor, organization, members, Cap.MEMBER_INVITE, select, apply)


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
            set_member_state(member, MemberState.CREATED)
        record(
            actor=actor,
            organization=member.organization,
            event=EventType.INVITATION_CANCELLED,
            target=member,
            before={"state": MemberState.INVITED},
            after={"state": member.state, "invitation": inv.pk},
        )
    return inv
