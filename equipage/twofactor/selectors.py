"""Reads of second factors and of the organization's requirement."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from equipage.accounts.models import Member, MemberRole, Role
from equipage.core import clock
from equipage.organizations.models import Organization
from equipage.organizations.models import TwoFactorRequirement as Requirement
from equipage.twofactor.models import RecoveryCode, TotpDevice

ADMIN_ROLES = (Role.OWNER, Role.ADMIN, Role.USER_ADMIN)


def confirmed_device(member: Member) -> TotpDevice | None:
    return TotpDevice.objects.filter(member=member, confirmed_at__isnull=False).first()


def is_enrolled(member: Member) -> bool:
    return TotpDevice.objects.filter(member=member, confirmed_at__isnull=False).exists()


def recovery_codes_left(member: Member) -> int:
    return RecoveryCode.objects.filter(member=member, used_at__isnull=True).count()


def is_concerned(organization: Organization, member: Member) -> bool:
    """Tell whether the organization's requirement applies to ``member``."""
    if organization.twofactor_requirement == Requirement.EVERYONE:
        return True
    if organization.twofactor_requirement == Requirement.ADMINS:
        return MemberRole.objects.filter(member=member, role__in=ADMIN_ROLES).exists()
    return False


def enrolment_deadline(organization: Organization, member: Member) -> dt.datetime | None:
    """Return when ``member`` must have enrolled if concerned: the grace period after the
    requirement (or after their account's creation, if later); None when nothing is."""
    since = organization.twofactor_required_since
    if organization.twofactor_requirement == Requirement.OFF or since is None:
        return None
    return max(since, member.created_at) + dt.timedelta(days=organization.twofactor_grace_days)


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


def standing_of(member: Member) -> Standing:
    organization = member.organization
    required = organization is not None and is_concerned(organization, member)
    return Standing(
        enrolled=is_enrolled(member),
        required=required,
        deadline=enrolment_deadline(organization, member) if organization and required else None,
        codes_left=recovery_codes_left(member),
    )


def must_enrol_now(member: Member) -> bool:
    """Tell whether every page must send ``member`` to the enrolment page (grace is over).

    No query while the organization requires nothing or the grace period runs (the
    organization comes with the member).
    """
    organization = member.organization
    if organization is None:
        return False
    deadline = enrolment_deadline(organization, member)
    if deadline is None or clock.now() < deadline:
        return False
    return is_concerned(organization, member) and not is_enrolled(member)
