"""Dormant accounts (issue #19.5): one warning mail, then deactivation, moved by the clock."""

from __future__ import annotations

from typing import Any

import pytest

from equipage.accounts.dormancy import apply_dormancy
from equipage.accounts.models import Member, MemberState
from equipage.audit.models import AuditEvent
from equipage.emails.models import MailKind, OutboundEmail
from equipage.organizations.lifecycle import lifecycle_policy_update
from equipage.organizations.models import DormancyWarning
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def _warnings_to(member: Any) -> int:
    return OutboundEmail.objects.filter(member=member, kind=MailKind.DORMANT_WARNING).count()


def _state(member: Any) -> str:
    return Member.objects.get(pk=member.pk).state


@pytest.fixture
def dormant_policy(org: Any, owner: Any) -> Any:
    return lifecycle_policy_update(
        actor=owner,
        organization=org,
        dormant_enabled=True,
        dormant_after_days=90,
        dormant_warning_days=7,
    )


def test_dormant_member_is_warned_once_then_deactivated_as_the_system(
    frozen_clock: Any, org: Any, owner: Any, dormant_policy: Any
) -> None:
    mia = make_member(org, owner, "Mia", "Member")
    frozen_clock.advance(days=82)
    apply_dormancy()
    assert _warnings_to(mia) == 0 and _state(mia) == MemberState.ACTIVE
    frozen_clock.advance(days=1)  # day 83 = 90 - 7: the warning
    apply_dormancy()
    apply_dormancy()  # a second round (or a second worker) mails nobody again
    assert _warnings_to(mia) == 1
    mail = OutboundEmail.objects.get(member=mia, kind=MailKind.DORMANT_WARNING)
    assert "deactivated" in mail.subject and mail.to == mia.email
    frozen_clock.advance(days=6)
    apply_dormancy()
    assert _state(mia) == MemberState.ACTIVE
    frozen_clock.advance(days=1)  # day 90: deactivated, through the one deactivation routine
    apply_dormancy()
    assert _state(mia) == MemberState.DEACTIVATED
    event = AuditEvent.objects.get(member_id=mia.pk, event_type="member.deactivated")
    assert event.actor_id is None and event.actor_label == "dormant accounts"
    assert event.origin == {"channel": "task"}
    assert _warnings_to(mia) == 1
    apply_dormancy()
    assert AuditEvent.objects.filter(member_id=mia.pk, event_type="member.deactivated").count() == 1


def test_the_owner_is_never_warned_nor_deactivated(
    frozen_clock: Any, org: Any, owner: Any, dormant_policy: Any
) -> None:
    frozen_clock.advance(days=400)
    apply_dormancy()
    frozen_clock.advance(days=30)
    apply_dormancy()
    assert _state(owner) == MemberState.ACTIVE
    assert _warnings_to(owner) == 0
    assert not DormancyWarning.objects.filter(member=owner).exists()


def test_a_login_after_the_warning_starts_a_new_period(
    frozen_clock: Any, org: Any, owner: Any, dormant_policy: Any
) -> None:
    from django.contrib.auth.signals import user_logged_in
    from django.test import RequestFactory

    mia = make_member(org, owner, "Mia", "Member")
    frozen_clock.advance(days=84)
    apply_dormancy()
    assert _warnings_to(mia) == 1
    frozen_clock.advance(days=3)
    # A real login stamps last_login from the application's clock (accounts.apps).
    user_logged_in.send(sender=Member, request=RequestFactory().get("/"), user=mia)
    assert Member.objects.get(pk=mia.pk).last_login == frozen_clock.now
    frozen_clock.advance(days=10)  # past the first period's deactivation day
    apply_dormancy()
    assert _state(mia) == MemberState.ACTIVE
    assert _warnings_to(mia) == 1
    frozen_clock.advance(days=73)  # 83 days after the login: a new warning, once
    apply_dormancy()
    assert _warnings_to(mia) == 2
    frozen_clock.advance(days=7)
    apply_dormancy()
    assert _state(mia) == MemberState.DEACTIVATED


def test_a_member_already_long_dormant_gets_the_full_warning_delay(
    frozen_clock: Any, org: Any, owner: Any
) -> None:
    mia = make_member(org, owner, "Mia", "Member")
    frozen_clock.advance(days=300)
    lifecycle_policy_update(
        actor=owner, organization=org, dormant_enabled=True, dormant_after_days=90
    )
    apply_dormancy()
    assert _warnings_to(mia) == 1 and _state(mia) == MemberState.ACTIVE
    frozen_clock.advance(days=6)
    apply_dormancy()
    assert _state(mia) == MemberState.ACTIVE
    frozen_clock.advance(days=1)
    apply_dormancy()
    assert _state(mia) == MemberState.DEACTIVATED


def test_policy_off_by_default_touches_nobody(frozen_clock: Any, org: Any, owner: Any) -> None:
    mia = make_member(org, owner, "Mia", "Member")
    frozen_clock.advance(days=4000)
    apply_dormancy()
    assert _state(mia) == MemberState.ACTIVE and _warnings_to(mia) == 0


def test_other_organizations_policy_does_not_reach_here(
    frozen_clock: Any, org: Any, owner: Any, other_org: Any, other_owner: Any
) -> None:
    mia = make_member(org, owner, "Mia", "Member")
    gina = make_member(other_org, other_owner, "Gina", "Globex")
    lifecycle_policy_update(
        actor=other_owner, organization=other_org, dormant_enabled=True, dormant_after_days=30
    )
    frozen_clock.advance(days=40)
    apply_dormancy()
    frozen_clock.advance(days=7)
    apply_dormancy()
    assert _state(mia) == MemberState.ACTIVE
    assert _state(gina) == MemberState.DEACTIVATED


def test_only_owner_and_admins_set_the_policy_and_it_is_audited(
    org: Any, owner: Any, user_admin: Any, other_admin: Any, audit_events: Any
) -> None:
    from equipage.core.errors import NotFound, PermissionDenied, ValidationFailed

    with pytest.raises(PermissionDenied):
        lifecycle_policy_update(actor=user_admin, organization=org, dormant_enabled=True)
    with pytest.raises(NotFound):
        lifecycle_policy_update(actor=other_admin, organization=org, dormant_enabled=True)
    with pytest.raises(ValidationFailed):
        lifecycle_policy_update(
            actor=owner, organization=org, dormant_after_days=30, dormant_warning_days=30
        )
    lifecycle_policy_update(actor=owner, organization=org, reminders_enabled=True)
    assert "org.lifecycle_updated" in audit_events()


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_warn_each_dormant_member_once(
    frozen_clock: Any, org: Any, owner: Any
) -> None:
    from tests.accounts.test_concurrency import race

    members = [make_member(org, owner, f"Mia{i}", "Member") for i in range(3)]
    lifecycle_policy_update(
        actor=owner, organization=org, dormant_enabled=True, dormant_after_days=90
    )
    frozen_clock.advance(days=83)
    results = race(apply_dormancy, apply_dormancy)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert [_warnings_to(m) for m in members] == [1, 1, 1]
    frozen_clock.advance(days=7)
    results = race(apply_dormancy, apply_dormancy)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert {_state(m) for m in members} == {MemberState.DEACTIVATED}
    deactivations = AuditEvent.objects.filter(event_type="member.deactivated", organization=org)
    assert deactivations.count() == 3
