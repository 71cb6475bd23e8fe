"""The first-password policy: ``link`` by default, ``shared`` only with a password of one's own."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password, make_password

from equipage.audit.models import AuditEvent
from equipage.core.errors import NotFound, PermissionDenied, ValidationFailed
from equipage.organizations.actions import organization_update
from equipage.organizations.first_password import (
    first_password_notice,
    propose_temporary_password,
    validate_temporary_password,
)
from equipage.organizations.models import FirstPasswordPolicy, Organization


def choose_shared(org: Any, actor: Any, password: str) -> None:
    organization_update(
        actor=actor,
        organization=org,
        first_password_policy=FirstPasswordPolicy.SHARED,
        temporary_password=password,
    )


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("tempeos", "published in public help pages"),
        ("TEMPEOS", "published in public help pages"),
        ("qwertyuiop", "too common"),
        ("1234567890123", "entirely numeric"),
        ("abc-12", "too short"),
        ("Boulangerie1", "too similar"),
        ("", "Choose the temporary password"),
    ],
)
def test_shared_policy_refuses_common_and_published_temporary_passwords(
    org: Any, owner: Any, password: str, why: str
) -> None:
    organization_update(actor=owner, organization=org, name="Boulangerie Martin")
    with pytest.raises(ValidationFailed, match=why) as refused:
        choose_shared(org, owner, password)
    assert refused.value.field == "temporary_password"
    org.refresh_from_db()
    assert org.first_password_policy == FirstPasswordPolicy.LINK and org.temp_password_hash == ""


def test_shared_policy_cannot_be_chosen_without_a_temporary_password(org: Any, owner: Any) -> None:
    with pytest.raises(ValidationFailed, match="Choose the temporary password"):
        organization_update(actor=owner, organization=org, first_password_policy="shared")


def test_temporary_password_is_stored_hashed_and_forgotten_when_going_back_to_link(
    org: Any, owner: Any
) -> None:
    choose_shared(org, owner, "kq7m-x3fa-9wpt")
    org.refresh_from_db()
    assert check_password("kq7m-x3fa-9wpt", org.temp_password_hash)
    # Other settings changed later keep it.
    organization_update(actor=owner, organization=org, name="Acme SA")
    org.refresh_from_db()
    assert check_password("kq7m-x3fa-9wpt", org.temp_password_hash)
    organization_update(actor=owner, organization=org, first_password_policy="link")
    org.refresh_from_db()
    assert org.temp_password_hash == ""
    # Back to shared: a password must be chosen again.
    with pytest.raises(ValidationFailed):
        organization_update(actor=owner, organization=org, first_password_policy="shared")


def test_a_temporary_password_goes_only_with_the_shared_policy(org: Any, owner: Any) -> None:
    with pytest.raises(ValidationFailed, match="only used with the shared policy"):
        organization_update(actor=owner, organization=org, temporary_password="kq7m-x3fa-9wpt")


def test_member_and_other_tenant_cannot_choose_the_temporary_password(
    org: Any, member: Any, user_admin: Any, other_admin: Any
) -> None:
    for actor in (member, user_admin):
        with pytest.raises(PermissionDenied):
            choose_shared(org, actor, "kq7m-x3fa-9wpt")
    with pytest.raises(NotFound):
        choose_shared(org, other_admin, "kq7m-x3fa-9wpt")
    org.refresh_from_db()
    assert org.temp_password_hash == ""


def test_proposed_temporary_passwords_are_random_and_accepted(org: Any) -> None:
    proposals = {propose_temporary_password() for _ in range(50)}
    assert len(proposals) == 50
    for proposal in list(proposals)[:5]:
        validate_temporary_password(proposal, org)


def test_notice_says_which_policy_applies_to_new_accounts(org: Any, owner: Any) -> None:
    assert "single-use link by e-mail" in first_password_notice(org)
    choose_shared(org, owner, "kq7m-x3fa-9wpt")
    org.refresh_from_db()
    assert "temporary password, within 14 days" in first_password_notice(org)


def test_migration_moves_organizations_off_the_public_tempeos(
    org: Any, other_org: Any, operator: Any
) -> None:
    from django.apps import apps

    from equipage.organizations.actions import organization_create

    own = organization_create(
        actor=operator, slug="initech", name="Initech", owner_email="o@initech.test"
    ).organization
    # As the old code left them: acme and globex on the public password, initech on its own.
    Organization.objects.filter(pk=org.pk).update(
        first_password_policy="shared", temp_password_hash=make_password("tempeos")
    )
    Organization.objects.filter(pk=other_org.pk).update(
        first_password_policy="link", temp_password_hash=make_password("tempeos")
    )
    Organization.objects.filter(pk=own.pk).update(
        first_password_policy="shared", temp_password_hash=make_password("kq7m-x3fa-9wpt")
    )
    migration = importlib.import_module(
        "equipage.organizations.migrations.0003_first_password_link_by_default"
    )
    migration.retire_public_password(apps, None)
    policies = dict(Organization.objects.values_list("slug", "first_password_policy"))
    assert policies == {"acme": "link", "globex": "link", "initech": "shared"}
    assert Organization.objects.get(pk=org.pk).temp_password_hash == ""
    assert Organization.objects.get(pk=other_org.pk).temp_password_hash == ""
    event = AuditEvent.objects.get(organization=org, actor_label="migration")
    assert event.event_type == "org.updated"
    assert event.before["first_password_policy"] == "shared"
    assert event.after["first_password_policy"] == "link"
    assert not AuditEvent.objects.filter(organization=other_org, actor_label="migration").exists()
