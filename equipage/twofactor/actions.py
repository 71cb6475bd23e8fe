"""Writes of two-factor authentication: enrol, renew recovery codes, turn off, reset, require.

A member manages their own second factor, proving each change with a current
code; an admin who may set that member's password may reset it (a second
factor is a credential, like the password); the operator resets anyone's
(``equipage members reset-2fa``), the last resort of a locked-out owner.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from equipage.accounts.models import Member
from equipage.audit.events import EventType
from equipage.audit.record import record
from equipage.core import clock
from equipage.core.errors import Conflict, InvariantViolation, ValidationFailed
from equipage.organizations.models import Organization
from equipage.organizations.models import TwoFactorRequirement as Requirement
from equipage.permissions import Actor, Cap, as_actor, authorize, refuse
from equipage.twofactor import sealing, totp
from equipage.twofactor.checking import Check, check_code
from equipage.twofactor.models import RecoveryCode, TotpDevice
from equipage.twofactor.selectors import confirmed_device, is_concerned, is_enrolled

_STRICTNESS = {Requirement.OFF: 0, Requirement.ADMINS: 1, Requirement.EVERYONE: 2}


class CodeRefused(ValidationFailed):
    """A wrong, replayed or paused code; ``check.retry_at`` says when to try again."""

    def __init__(self, check: Check) -> None:
        message = (
            _("Too many wrong codes: wait a moment before trying again.")
            if check.retry_at is not None
            else _("This code is not valid. Type the current code of your app.")
        )
        super().__init__(message, code="code_refused", field="code")
        self.check = check


def _own(actor: Actor | Member, member: Member) -> Actor:
    """Return the actor if they act on their own account; refuse anyone else."""
    actor = as_actor(actor)
    if actor.member is None or actor.member.pk != member.pk:
        raise refuse(actor, _("Only the member can change their own second factor."))
    return actor


def _require_code(actor: Actor, member: Member, code: str, device: TotpDevice | None = None,
                  allow_recovery: bool = True) -> Check:  # fmt: skip
    check = check_code(
        member=member, code=code, origin=actor.origin, device=device, allow_recovery=allow_recovery
    )
    if not check.ok:
        raise CodeRefused(check)
    return check


def _new_recovery_codes(member: Member) -> list[str]:
    codes = totp.new_recovery_codes()
    RecoveryCode.objects.filter(member=member).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(
            organization_id=member.organization_id or 0,
            member=member,
            code_hash=sealing.code_digest(c),
        )
        for c in codes
    )
    return codes


def totp_enrolment_start(*, actor: Actor | Member, member: Member) -> str:
    """Return the secret of the member's authenticator being enrolled (a new one if none).

    Nothing changes at login until ``totp_enrolment_confirm`` accepts a first code.
    """
    _own(actor, member)
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(member=member).first()
        if device is not None and device.confirmed_at is not None:
            raise Conflict(_("Two-factor authentication is already on."))
        if device is not None:
            secret = sealing.unseal(device.sealed_secret)
            if secret:
                return secret
            device.delete()  # sealed under a former SECRET_KEY: start again
        secret = totp.new_secret()
        TotpDevice.objects.create(
            organization_id=member.organization_id or 0,
            member=member,
            sealed_secret=sealing.seal(secret),
            created_at=clock.now(),
        )
    return secret


def totp_enrolment_confirm(*, actor: Actor | Member, member: Member, code: str) -> list[str]:
    """Turn the second factor on with a first valid code; return the recovery codes (shown
    once, stored hashed)."""
    act = _own(actor, member)
    device = TotpDevice.objects.filter(member=member, confirmed_at=None).first()
    if device is None:
        raise Conflict(_("Start the set-up again: no authenticator is waiting for a code."))
    _require_code(act, member, code, device=device, allow_recovery=False)
    with transaction.atomic():
        TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=clock.now())
        codes = _new_recovery_codes(member)
        record(
            actor=act,
            organization=member.organization,
            event=EventType.TWOFACTOR_ENROLLED,
            target=member,
            after={"method": "totp", "recovery_codes": len(codes)},
        )
    return codes


def recovery_codes_renew(*, actor: Actor | Member, member: Member, code: str) -> list[str]:
    """Replace the member's recovery codes (the old ones stop working) after a valid code."""
    act = _own(actor, member)
    if not is_enrolled(member):
        raise Conflict(_("Two-factor authentication is off."))
    _require_code(act, member, code, allow_recovery=False)
    with transaction.atomic():
        codes = _new_recovery_codes(member)
        record(
            actor=act,
            organization=member.organization,
            event=EventType.TWOFACTOR_RECOVERY_RENEWED,
            target=member,
            after={"recovery_codes": len(codes)},
        )
    return codes


def twofactor_turn_off(*, actor: Actor | Member, member: Member, code: str) -> None:
    """Remove the member's own second factor, unless their organization requires it."""
    act = _own(actor, member)
    organization = Organization.objects.get(pk=member.organization_id or 0)  # fresh
    if is_concerned(organization, member):
        raise InvariantViolation(
            _("Your organization requires two-factor authentication for you."), field="code"
        )
    _require_code(act, member, code)
    _erase(act, member, EventType.TWOFACTOR_REMOVED)


def twofactor_reset(*, actor: Actor | Member, member: Member) -> None:
    """Remove a member's second factor for them (a lost phone): an admin who may set their
    password, or the operator. An admin's own goes through their profile, with a code."""
    act = as_actor(actor)
    authorize(act, Cap.MEMBER_SET_PASSWORD, member)
    if act.member is not None and act.member.pk == member.pk:
        raise refuse(act, _("Turn off your own second factor from your profile, with a code."))
    if not TotpDevice.objects.filter(member=member).exists():
        raise Conflict(_("This member has no second factor."))
    _erase(act, member, EventType.TWOFACTOR_RESET)


def _erase(actor: Actor, member: Member, event: EventType) -> None:
    with transaction.atomic():
        TotpDevice.objects.filter(member=member).delete()
        RecoveryCode.objects.filter(member=member).delete()
        record(
            actor=actor,
            organization=member.organization,
            event=event,
            target=member,
            before={"method": "totp"},
        )


def twofactor_policy_update(
    *, actor: Actor | Member, organization: Organization, requirement: str, grace_days: int
) -> Organization:
    """Set who must use a second factor and the grace period to enrol.

    Never locks out the one making the change: without a second factor of
    their own, they must give themselves a grace period (at least a day).
    A stricter requirement starts a new grace period for everyone it concerns.
    """
    from equipage.organizations.seats import lock_organization

    act = as_actor(actor)
    authorize(act, Cap.ORG_SETTINGS, organization)
    wanted = Requirement(requirement)
    if not 0 <= grace_days <= 365:
        raise ValidationFailed(_("The grace period is 0 to 365 days."), field="grace_days")
    with transaction.atomic():
        org = lock_organization(organization.pk)
        before = {"requirement": org.twofactor_requirement, "grace_days": org.twofactor_grace_days}
        stricter = _STRICTNESS[wanted] > _STRICTNESS[Requirement(org.twofactor_requirement)]
        org.twofactor_requirement, org.twofactor_grace_days = wanted, grace_days
        if wanted == Requirement.OFF:
            org.twofactor_required_since = None
        elif stricter or org.twofactor_required_since is None:
            org.twofactor_required_since = clock.now()
        me = act.member
        if (
            me is not None
            and grace_days == 0
            and is_concerned(org, me)
            and not confirmed_device(me)
        ):
            raise InvariantViolation(
                _(
                    "Turn on two-factor authentication for yourself first, or give a grace"
                    " period: you would be sent to the set-up page at once."
                ),
                field="grace_days",
            )
        after = {"requirement": org.twofactor_requirement, "grace_days": grace_days}
        if before == after:
            return org
        org.updated_at = clock.now()
        org.save(
            update_fields=[
                "twofactor_requirement",
                "twofactor_grace_days",
                "twofactor_required_since",
                "updated_at",
            ]
        )
        record(
            actor=act,
            organization=org,
            event=EventType.TWOFACTOR_POLICY_CHANGED,
            target=org,
            before=before,
            after=after,
        )
    return org
