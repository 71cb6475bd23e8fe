"""Reads of second factors and of the organization's requirement."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from equipage.accounts.models import Member, MemberRole, Role
from equipage.core import clock
from equipage.organizations.models import Organization
from equipage.twofactor.models import RecoveryCode, Requirement, TotpDevice, TwoFactorPolicy

ADMIN_ROLES = (Role.OWNER, Role.ADMIN, Role.USER_ADMIN)


def policy_of(organization: Organization | int) -> TwoFactorPolicy:
    """Return the organization's requirement (an unsaved "optional" one when never set)."""
    org_id = organization if isinstance(organization, int) else organization.pk
    found = TwoFactorPolicy.objects.filter(organization_id=org_id).first()
    return found or TwoFactorPolicy(organization_id=org_id)


def confirmed_device(member: Member) -> TotpDevice | None:
    return TotpDevice.objects.filter(member=member, confirmed_at__isnull=False).first()


def is_enrolled(member: Member) -> bool:
    return TotpDevice.objects.filter(member=member, confirmed_at__isnull=False).exists()


def recovery_codes_left(member: Member) -> int:
    return RecoveryCode.objects.filter(member=member, used_at__isnull=True).count()


def is_concerned(policy: TwoFactorPolicy, member: Member) -> bool:
    """Tell whether the requirement applies to ``member``."""
    if policy.requirement == Requirement.EVERYONE:
        return True
    if policy.requirement == Requirement.ADMINS:
        return MemberRole.objects.filter(member=member, role__in=ADMIN_ROLES).exists()
    return False


def enrolment_deadline(policy: TwoFactorPolicy, member: Member) -> dt.datetime | None:
    """Return when ``member`` must have enrolled: the grace period after the requirement
    (or after their account's creation, if later); None when nothing is required."""
    if policy.requirement == Requirement.OFF or policy.required_since is None:
        return None
    start = max(policy.required_since, member.created_at)
    return start + dt.timedelta(days=policy.grace_days)


@dataclass(frozen=True)
class Standing:
    """Where a member stands: enrolled or not, required or not, and until when."""

    enrolled: bool
    required: bool
    deadline: dt.datetime | None
    codes_left: int

    @property
    def overdue(self) -> bool:
        return (
            self.required
            and not self.enrolled
            and self.deadline is not None
            and clock.now() >= self.deadline
        )


def standing_of(member: Member, policy: TwoFactorPolicy | None = None) -> Standing:
    policy = policy or policy_of(member.organization_id or 0)
    required = is_concerned(policy, member)
    return Standing(
        enrolled=is_enrolled(member),
        required=required,
        deadline=enrolment_deadline(policy, member) if required else None,
        codes_left=recovery_codes_left(member),
    )


def must_enrol_now(member: Member) -> bool:
    """Tell whether every page must send ``member`` to the enrolment page (grace is over).

    One query when the organization requires nothing (most requests).
    """
    policy = policy_of(member.organization_id or 0)
    if policy.requirement == Requirement.OFF:
        return False
    deadline = enrolment_deadline(policy, member)
    if deadline is None or clock.now() < deadline:
        return False
    return is_concerned(policy, member) and not is_enrolled(member)
