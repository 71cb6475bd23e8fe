"""Organization creation and settings: operator-only creation, seats, features, temp password."""

from __future__ import annotations

from typing import Any

import pytest

from equipage.accounts.models import Member, MemberRole
from equipage.audit.models import AuditEvent
from equipage.core.errors import PermissionDenied, ValidationFailed
from equipage.organizations.actions import (
    organization_create,
    organization_set_temp_password,
    organization_update,
)
from equipage.organizations.models import FirstPasswordPolicy, Organization


def test_create_makes_exactly_one_owner_with_a_set_password_link(operator: Any, db: Any) -> None:
    created = organization_create(
        actor=operator, slug="initech", name="Initech", owner_email="boss@initech.test", seats=10
    )
    org = created.organization
    assert org.language == "fr" and org.first_password_policy == FirstPasswordPolicy.LINK
    assert org.temp_password_hash == ""
    assert list(
        MemberRole.objects.filter(organization=org, role="owner").values_list(
            "member_id", flat=True
        )
    ) == [created.owner.pk]
    assert not created.owner.has_usable_password()
    assert "/o/initech/password/set/" in created.set_password_link
    assert set(
        AuditEvent.objects.filter(organization=org).values_list("event_type", flat=True)
    ) >= {"org.created", "member.created"}


def test_only_the_operator_creates_organizations(org: Any, owner: Any) -> None:
    from equipage.permissions import as_actor

    with pytest.raises(PermissionDenied):
        organization_create(
            actor=as_actor(owner), slug="mine", name="Mine", owner_email="o@mine.test"
        )


def test_new_organization_has_no_temporary_password_anyone_could_read(org: Any) -> None:
    from django.contrib.auth.hashers import check_password

    assert org.first_password_policy == FirstPasswordPolicy.LINK
    assert not check_password("tempeos", org.temp_password_hash)


def test_admin_changes_settings_and_temp_password_but_not_seats(org: Any, admin: Any) -> None:
    from django.contrib.auth.hashers import check_password

    organization_update(actor=admin, organization=org, name="Acme SA", invitation_lifetime_days=14)
    org.refresh_from_db()
    assert (org.name, org.invitation_lifetime_days) == ("Acme SA", 14)
    organization_update(
        actor=admin,
        organization=org,
        first_password_policy=FirstPasswordPolicy.SHARED,
        temporary_password="kq7m-x3fa-9wpt",
    )
    organization_set_temp_password(actor=admin, organization=org, password="Bienvenue-chez-Acme-7")
    org.refresh_from_db()
    assert check_password("Bienvenue-chez-Acme-7", org.temp_password_hash)
    assert "Bienvenue" not in org.temp_password_hash
    with pytest.raises(PermissionDenied):
        organization_update(actor=admin, organization=org, seats=99)
    first, policy, password = AuditEvent.objects.filter(event_type="org.updated").order_by("id")
    assert first.before == {"name": "Acme", "invitation_lifetime_days": 7}
    # The audit says a temporary password was set, never the password nor its hash.
    assert policy.after == {"first_password_policy": "shared", "temporary_password": "new"}
    assert password.before == {"temporary_password": "set"}
    assert password.after == {"temporary_password": "new"}


def test_seats_cannot_go_below_what_is_used(org: Any, owner: Any, member: Any) -> None:
    used = Member.objects.filter(organization=org, state="active").count()
    with pytest.raises(ValidationFailed) as refused:
        organization_update(actor=owner, organization=org, seats=used - 1)
    assert str(refused.value) == (
        f"Seats cannot be set to {used - 1}: seats in use: {used} "
        f"(active accounts: {used}, pending invitations: 0)."
    )
    organization_update(actor=owner, organization=org, seats=used)


def test_features_are_switched_by_the_operator_only(org: Any, owner: Any, operator: Any) -> None:
    with pytest.raises(PermissionDenied):
        organization_update(actor=owner, organization=org, features={"import_export": False})
    organization_update(actor=operator, organization=org, features={"import_export": False})
    assert not Organization.objects.get(pk=org.pk).has_feature("import_export")


def test_another_tenant_cannot_change_our_settings(org: Any, other_admin: Any) -> None:
    from equipage.core.errors import NotFound

    with pytest.raises(NotFound):
        organization_update(actor=other_admin, organization=org, name="Pwned")
