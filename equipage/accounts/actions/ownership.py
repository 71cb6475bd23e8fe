"""Ownership: exactly one owner, always. Transfer by the owner, reassignment by the operator."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from equipage.accounts.models import (
    Member,
    MemberRole,
    MemberState,
    OwnershipTransfer,
    Role,
    TransferStatus,
)
from equipage.audit.events import EventType
from equipage.audit.record import record
from equipage.core import clock
from equipage.core.errors import InvariantViolation, NotFound, ValidationFailed
from equipage.instance.links import base_url
from equipage.organizations.models import Organization
from equipage.organizations.seats import lock_organization
from equipage.permissions import Actor, Cap, as_actor, authorize, refuse


def _is_active_admin(member: Member) -> bool:
    return (
        member.state == MemberState.ACTIVE
        and MemberRole.objects.filter(member=member, role=Role.ADMIN).exists()
    )


def ownership_transfer_start(*, actor: Actor | Member, to_member: Member) -> OwnershipTransfer:
    """Offer ownership to an active admin; nothing changes until they accept."""
    from equipage.emails.models import MailKind
    from equipage.emails.outbox import queue_mail

    actor = as_actor(actor)
    org = to_member.organization
    assert org is not None
    authorize(actor, Cap.OWNERSHIP_TRANSFER, org)
    if actor.member is None:
        raise refuse(actor, _("Only the owner can transfer ownership."))
    if to_member.pk == actor.member.pk:
        raise ValidationFailed(_("You are already the owner."))
    if not _is_active_admin(to_member):
        raise InvariantViolation(_("Ownership can only be transferred to an active admin."))
    with transaction.atomic():
        lock_organization(org.pk)
        now = clock.now()
        OwnershipTransfer.objects.filter(organization=org, status=TransferStatus.PENDING).update(
            status=TransferStatus.CANCELLED, decided_at=now
        )
        transfer = OwnershipTransfer.objects.create(
            organization=org, from_member=actor.member, to_member=to_member, created_at=now
        )
        record(
            actor=actor,
            organization=org,
            event=EventType.OWNERSHIP_TRANSFER_STARTED,
            target=to_member,
            after={"transfer": transfer.pk, "to": to_member.login},
        )
        if to_member.email:
            queue_mail(
                kind=MailKind.OWNERSHIP_TRANSFER,
                to=to_member.email,
                organization=org,
                member=to_member,
                context={
                    "from_name": actor.member.full_name,
                    "link": f"{base_url()}/o/{org.slug}/ownership/{transfer.pk}/",
                },
            )
    return transfer


def _swap_owner(org: Organization, old: Member, new: Member) -> None:
    MemberRole.objects.filter(organization=org, role=Role.OWNER).delete()
    MemberRole.objects.create(organization=org, member=new, role=Role.OWNER)
    for member in (old, new):
        MemberRole.objects.get_or_create(organization=org, member=member, role=Role.ADMIN)
    _clear_deletion_date(new)


def _clear_deletion_date(new_owner: Member) -> None:
    """Drop the new owner's automatic deletion date: the owner cannot have one
    (``rules.deletion_date_refusal``), it would never apply."""
    Member.objects.filter(pk=new_owner.pk).update(auto_delete_on=None)


def ownership_transfer_accept(*, actor: Actor | Member, transfer: OwnershipTransfer) -> None:
    """Accept a pending transfer: the roles swap in one transaction, or nothing happens."""
    actor = as_actor(actor)
    if actor.member is None or actor.member.pk != transfer.to_member_id:
        raise NotFound(_("Ownership transfer not found."))
    with transaction.atomic():
        org = lock_organization(transfer.organization_id)
        transfer = OwnershipTransfer.objects.select_for_update().get(pk=transfer.pk)
        current_owner = MemberRole.objects.filter(organization=org, role=Role.OWNER).first()
        if (
            transfer.status != TransferStatus.PENDING
            or current_owner is None
            or current_owner.member_id != transfer.from_member_id
        ):
            raise InvariantViolation(_("This transfer is no longer valid."))
        new_owner = Member.objects.get(pk=transfer.to_member_id)
        if not _is_active_admin(new_owner):
            raise InvariantViolation(_("Ownership can only be transferred to an active admin."))
        old_owner = Member.objects.get(pk=transfer.from_member_id)
        _swap_owner(org, old_owner, new_owner)
        transfer.status = TransferStatus.ACCEPTED
        transfer.decided_at = clock.now()
        transfer.save(update_fields=["status", "decided_at"])
        record(
            actor=actor,
            organization=org,
            event=EventType.OWNERSHIP_TRANSFERRED,
            target=new_owner,
            before={"owner": old_owner.login},
            after={"owner": new_owner.login},
        )


def ownership_transfer_cancel(*, actor: Actor | Member, transfer: OwnershipTransfer) -> None:
    """Cancel (the owner) or decline (the named admin) a pending transfer."""
    actor = as_actor(actor)
    if actor.member is None or actor.member.pk not in (
        transfer.from_member_id,
        transfer.to_member_id,
    ):
        raise NotFound(_("Ownership transfer not found."))
    with transaction.atomic():
        updated = OwnershipTransfer.objects.filter(
            pk=transfer.pk, status=TransferStatus.PENDING
        ).update(status=TransferStatus.CANCELLED, decided_at=clock.now())
        if updated:
            record(
                actor=actor,
                organization=Organization.objects.get(pk=transfer.organization_id),
                event=EventType.OWNERSHIP_TRANSFER_CANCELLED,
                target=transfer.to_member,
            )


def ownership_reassign(
    *, actor: Actor, organization: Organization, to_member: Member, reason: str
) -> None:
    """Give ownership to another member on the operator's authority (seed 004's signed letter)."""
    if actor.kind != "operator":
        raise refuse(actor, _("Only the platform operator can reassign ownership."))
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(_("A reason is required."), field="reason")
    if to_member.organization_id != organization.pk:
        raise NotFound(_("Member not found."))
    if to_member.state != MemberState.ACTIVE:
        raise InvariantViolation(_("The new owner must be an active member."))
    with transaction.atomic():
        org = lock_organization(organization.pk)
        old = (
            MemberRole.objects.filter(organization=org, role=Role.OWNER)
            .select_related("member")
            .first()
        )
        if old is not None and old.member_id == to_member.pk:
            raise ValidationFailed(_("This member is already the owner."))
        if old is not None:
            _swap_owner(org, old.member, to_member)
        else:
            MemberRole.objects.create(organization=org, member=to_member, role=Role.OWNER)
            MemberRole.objects.get_or_create(organization=org, member=to_member, role=Role.ADMIN)
            _clear_deletion_date(to_member)
        OwnershipTransfer.objects.filter(organization=org, status=TransferStatus.PENDING).update(
            status=TransferStatus.CANCELLED, decided_at=clock.now()
        )
        record(
            actor=actor,
            organization=org,
            event=EventType.OWNERSHIP_REASSIGNED,
            target=to_member,
            before={"owner": old.member.login if old else None},
            after={"owner": to_member.login, "reason": reason},
        )
