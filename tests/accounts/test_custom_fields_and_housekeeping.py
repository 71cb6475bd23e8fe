"""Custom fields (typed values) and auto-deletion dates (seed 002)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from equipage.accounts.actions import custom_field_create, member_set_custom_values, member_update
from equipage.accounts.models import CustomFieldValue, Member
from equipage.core.errors import PermissionDenied, ValidationFailed


def test_custom_values_are_checked_by_type_and_audited(
    org: Any, admin: Any, member: Any, audit_events: Any
) -> None:
    custom_field_create(
        actor=admin, organization=org, name="Service", kind="choice", choices=["Ventes", "Atelier"]
    )
    custom_field_create(actor=admin, organization=org, name="Arrivée", kind="date")
    custom_field_create(actor=admin, organization=org, name="Badge", kind="number")
    member_set_custom_values(
        actor=admin,
        member=member,
        values={"service": "Ventes", "arrivee": "03/02/2025", "badge": "12,5"},
    )
    values = dict(CustomFieldValue.objects.filter(member=member).values_list("field__key", "value"))
    assert values == {"service": "Ventes", "arrivee": "2025-02-03", "badge": "12.5"}
    with pytest.raises(ValidationFailed, match="not one of"):
        member_set_custom_values(actor=admin, member=member, values={"service": "Compta"})
    with pytest.raises(ValidationFailed, match="not a date"):
        member_set_custom_values(actor=admin, member=member, values={"arrivee": "demain"})
    assert "member.custom_fields_changed" in audit_events()


def test_members_cannot_set_custom_values(org: Any, admin: Any, member: Any) -> None:
    custom_field_create(actor=admin, organization=org, name="Service")
    with pytest.raises(PermissionDenied):
        member_set_custom_values(actor=member, member=member, values={"service": "x"})


def test_auto_deletion_date_erases_the_account_and_keeps_a_pseudonymous_trail(
    org: Any, admin: Any, member: Any, owner: Any, frozen_clock: Any
) -> None:
    from equipage.accounts.housekeeping import delete_due_members
    from equipage.audit.models import AuditEvent

    today = frozen_clock.now.date()
    member_update(actor=admin, member=member, auto_delete_on=today + dt.timedelta(days=3))
    assert delete_due_members() == 0  # not yet
    frozen_clock.advance(days=3)
    assert delete_due_members() == 1
    assert not Member.objects.filter(pk=member.pk).exists()
    erased = AuditEvent.objects.get(event_type="member.erased")
    assert erased.actor_label == "erasure" and member.last_name not in erased.target_label
    labels = set(
        AuditEvent.objects.filter(target_type="member", target_id=str(member.pk)).values_list(
            "target_label", flat=True
        )
    )
    assert labels == {erased.target_label}  # the same pseudonym on every event about them


def test_the_owner_cannot_get_an_automatic_deletion_date_and_an_old_one_is_cleared(
    org: Any, owner: Any, frozen_clock: Any
) -> None:
    from equipage.accounts.housekeeping import delete_due_members
    from equipage.core.errors import InvariantViolation

    today = frozen_clock.now.date()
    with pytest.raises(InvariantViolation, match="owner cannot have an automatic deletion"):
        member_update(actor=owner, member=owner, auto_delete_on=today + dt.timedelta(days=1))
    Member.objects.filter(pk=owner.pk).update(auto_delete_on=today)  # set before the rule
    assert delete_due_members() == 0
    owner.refresh_from_db()
    assert owner.auto_delete_on is None
