"""Enrolment, recovery codes, turning off, resets and the requirement, through the actions."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest

from equipage.core import clock
from equipage.core.errors import Conflict, InvariantViolation, NotFound, PermissionDenied
from equipage.twofactor.actions import (
    CodeRefused,
    recovery_codes_renew,
    totp_enrolment_confirm,
    totp_enrolment_start,
    twofactor_policy_update,
    twofactor_reset,
    twofactor_turn_off,
)
from equipage.twofactor.models import RecoveryCode, TotpDevice
from equipage.twofactor.selectors import is_enrolled, recovery_codes_left


def test_enrolment_needs_a_first_valid_code(
    member: Any, frozen_clock: Any, audit_events: Any
) -> None:
    secret = totp_enrolment_start(actor=member, member=member)
    assert not is_enrolled(member)
    with pytest.raises(CodeRefused):
        totp_enrolment_confirm(actor=member, member=member, code="123456")
    codes = totp_enrolment_confirm(
        actor=member, member=member, code=pyotp.TOTP(secret).at(clock.now())
    )
    assert is_enrolled(member) and len(codes) == 10 and len(set(codes)) == 10
    assert audit_events()[0] == "twofactor.enrolled"


def test_secret_and_recovery_codes_are_not_stored_readable(member: Any, enrol: Any) -> None:
    enrolled = enrol(member)
    device = TotpDevice.objects.get(member=member)
    assert enrolled.secret not in device.sealed_secret
    stored = set(RecoveryCode.objects.filter(member=member).values_list("code_hash", flat=True))
    assert not stored & set(enrolled.recovery_codes)
    assert all(len(h) == 64 for h in stored)


def test_enrolment_start_shows_the_same_secret_until_confirmed(member: Any) -> None:
    first = totp_enrolment_start(actor=member, member=member)
    assert totp_enrolment_start(actor=member, member=member) == first


def test_nobody_enrols_someone_else(admin: Any, member: Any) -> None:
    with pytest.raises(PermissionDenied):
        totp_enrolment_start(actor=admin, member=member)


def test_enrolled_member_cannot_start_again_over_their_device(member: Any, enrol: Any) -> None:
    enrol(member)
    with pytest.raises(Conflict):
        totp_enrolment_start(actor=member, member=member)


def test_renewing_recovery_codes_voids_the_old_ones(member: Any, enrol: Any) -> None:
    enrolled = enrol(member)
    new = recovery_codes_renew(actor=member, member=member, code=enrolled.code())
    assert not set(new) & set(enrolled.recovery_codes) and recovery_codes_left(member) == 10
    with pytest.raises(CodeRefused):  # a recovery code does not renew the recovery codes
        recovery_codes_renew(actor=member, member=member, code=new[0])


def test_member_turns_off_their_own_second_factor_with_a_code(
    member: Any, enrol: Any, audit_events: Any
) -> None:
    enrolled = enrol(member)
    twofactor_turn_off(actor=member, member=member, code=enrolled.code())
    assert not is_enrolled(member) and recovery_codes_left(member) == 0
    assert audit_events()[0] == "twofactor.removed"


def test_member_cannot_turn_off_what_the_organization_requires(
    org: Any, owner: Any, member: Any, enrol: Any
) -> None:
    enrolled = enrol(member)
    twofactor_policy_update(actor=owner, organization=org, requirement="everyone", grace_days=7)
    with pytest.raises(InvariantViolation):
        twofactor_turn_off(actor=member, member=member, code=enrolled.code())
    assert is_enrolled(member)


def test_admin_resets_a_members_second_factor_audited(
    admin: Any, member: Any, enrol: Any, audit_events: Any
) -> None:
    enrol(member)
    twofactor_reset(actor=admin, member=member)
    assert not is_enrolled(member)
    assert audit_events(event_type="twofactor.reset", actor=admin, member=member)


def test_user_admin_cannot_reset_an_admins_second_factor(
    user_admin: Any, admin: Any, enrol: Any
) -> None:
    enrol(admin)
    with pytest.raises(PermissionDenied):
        twofactor_reset(actor=user_admin, member=admin)
    assert is_enrolled(admin)


def test_admin_cannot_reset_the_owners_second_factor(admin: Any, owner: Any, enrol: Any) -> None:
    enrol(owner)
    with pytest.raises(PermissionDenied):
        twofactor_reset(actor=admin, member=owner)
    assert is_enrolled(owner)


def test_group_admin_cannot_reset_a_member_of_their_group(
    group_admin: Any, member: Any, enrol: Any
) -> None:
    enrol(member)
    with pytest.raises(PermissionDenied):
        twofactor_reset(actor=group_admin, member=member)


def test_admin_of_another_organization_cannot_reset(
    other_admin: Any, member: Any, enrol: Any
) -> None:
    enrol(member)
    with pytest.raises(NotFound):
        twofactor_reset(actor=other_admin, member=member)
    assert is_enrolled(member)


def test_admin_cannot_reset_their_own_without_a_code(admin: Any, enrol: Any) -> None:
    enrol(admin)
    with pytest.raises(PermissionDenied):
        twofactor_reset(actor=admin, member=admin)


def test_owner_switching_the_requirement_on_without_grace_must_enrol_first(
    org: Any, owner: Any, enrol: Any
) -> None:
    with pytest.raises(InvariantViolation):
        twofactor_policy_update(actor=owner, organization=org, requirement="admins", grace_days=0)
    enrol(owner)
    policy = twofactor_policy_update(
        actor=owner, organization=org, requirement="admins", grace_days=0
    )
    assert policy.twofactor_requirement == "admins"


def test_admin_may_require_it_of_everyone_keeping_a_grace_period_for_themselves(
    org: Any, admin: Any, audit_events: Any, frozen_clock: Any
) -> None:
    policy = twofactor_policy_update(
        actor=admin, organization=org, requirement="everyone", grace_days=3
    )
    assert policy.twofactor_required_since == clock.now()
    assert audit_events()[0] == "twofactor.policy_changed"


def test_member_cannot_change_the_requirement(org: Any, member: Any) -> None:
    with pytest.raises(PermissionDenied):
        twofactor_policy_update(actor=member, organization=org, requirement="off", grace_days=7)


def test_admin_of_another_organization_cannot_change_the_requirement(
    org: Any, other_admin: Any
) -> None:
    with pytest.raises(NotFound):
        twofactor_policy_update(
            actor=other_admin, organization=org, requirement="everyone", grace_days=7
        )


def test_a_stricter_requirement_starts_a_new_grace_period(
    org: Any, owner: Any, frozen_clock: Any
) -> None:
    first = twofactor_policy_update(
        actor=owner, organization=org, requirement="admins", grace_days=7
    )
    started = first.twofactor_required_since
    frozen_clock.advance(days=2)
    same = twofactor_policy_update(
        actor=owner, organization=org, requirement="admins", grace_days=9
    )
    assert same.twofactor_required_since == started
    frozen_clock.advance(days=1)
    wider = twofactor_policy_update(
        actor=owner, organization=org, requirement="everyone", grace_days=9
    )
    assert wider.twofactor_required_since == clock.now()


def test_a_database_copy_without_the_secret_key_opens_nothing(
    member: Any, enrol: Any, settings: Any
) -> None:
    from equipage.twofactor import sealing

    enrol(member)
    device = TotpDevice.objects.get(member=member)
    settings.SECRET_KEY = "another-key-" + "x" * 40
    assert sealing.unseal(device.sealed_secret) is None
