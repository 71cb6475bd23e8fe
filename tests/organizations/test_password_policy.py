"""The organization's password policy (#18.7, ASVS 6.2): a minimum length of its own (12 by
default, never below 8) and no password from the breach list, on every path that sets one.

Each test tries what an attacker or a careless user would: 11 characters where 12 are
asked, "password123", a policy lowered below the floor by someone who may not.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from equipage.accounts.actions import member_create, password_change
from equipage.accounts.models import Member
from equipage.audit.models import AuditEvent
from equipage.core.errors import NotFound, PermissionDenied, ValidationFailed
from equipage.organizations.actions import organization_update
from equipage.organizations.models import Organization
from equipage.organizations.password_policy import (
    password_refusal,
    policy_summary,
    validate_member_password,
)

ELEVEN = "Elevenchars"  # 11 characters, not common
TWELVE = "Twelve-chars"  # 12


def test_new_organizations_ask_for_twelve_characters(org: Any) -> None:
    assert org.password_min_length == 12
    with pytest.raises(ValidationFailed) as refused:
        validate_member_password(ELEVEN, org)
    assert "at least 12 characters" in str(refused.value)
    validate_member_password(TWELVE, org)


def test_a_common_password_is_refused_whatever_its_length(org: Any) -> None:
    organization_update(actor=org_owner(org), organization=org, password_min_length=8)
    for common in ("password123", "azertyuiop", "motdepasse"):
        with pytest.raises(ValidationFailed) as refused:
            validate_member_password(common, Organization.objects.get(pk=org.pk))
        assert "too common" in str(refused.value)


def test_the_rules_are_named_in_french_too(org: Any) -> None:
    with translation.override("fr"):
        with pytest.raises(ValidationFailed) as short:
            validate_member_password(ELEVEN, org)
        with pytest.raises(ValidationFailed) as common:
            validate_member_password("password123", org)
        assert "12 caractères" in str(short.value)
        assert "trop courant" in str(common.value)
        assert "Au moins 12 caractères" in policy_summary(org)


def test_no_composition_rule_a_long_lowercase_sentence_is_fine(org: Any) -> None:
    validate_member_password("les chats dorment au soleil", org)


def org_owner(org: Any) -> Any:
    from equipage.accounts.selectors import owner_of

    return owner_of(org)


def test_owner_and_admin_change_the_minimum_and_it_is_audited(org: Any, admin: Any) -> None:
    organization_update(actor=admin, organization=org, password_min_length=16)
    org.refresh_from_db()
    assert org.password_min_length == 16
    event = AuditEvent.objects.filter(event_type="org.updated").latest("id")
    assert (event.before, event.after) == ({"password_min_length": 12}, {"password_min_length": 16})
    with pytest.raises(ValidationFailed, match="at least 16 characters"):
        validate_member_password("Fifteen-chars-x", org)
    organization_update(actor=org_owner(org), organization=org, password_min_length=8)
    validate_member_password(ELEVEN, Organization.objects.get(pk=org.pk))


@pytest.mark.parametrize("wanted", [7, 0, 65, "douze"])
def test_the_minimum_cannot_leave_its_bounds(org: Any, admin: Any, wanted: Any) -> None:
    with pytest.raises(ValidationFailed, match="from 8 to 64"):
        organization_update(actor=admin, organization=org, password_min_length=wanted)
    assert Organization.objects.get(pk=org.pk).password_min_length == 12


def test_a_user_admin_cannot_lower_the_policy(org: Any, user_admin: Any) -> None:
    with pytest.raises(PermissionDenied):
        organization_update(actor=user_admin, organization=org, password_min_length=8)
    assert Organization.objects.get(pk=org.pk).password_min_length == 12


def test_another_tenants_admin_cannot_lower_our_policy(org: Any, other_admin: Any) -> None:
    with pytest.raises(NotFound):
        organization_update(actor=other_admin, organization=org, password_min_length=8)
    assert Organization.objects.get(pk=org.pk).password_min_length == 12


def test_a_member_cannot_change_to_a_password_of_eleven(member: Any) -> None:
    with pytest.raises(ValidationFailed, match="at least 12"):
        password_change(
            actor=member, member=member, old_password="member-pass-123", new_password=ELEVEN
        )
    assert Member.objects.get(pk=member.pk).check_password("member-pass-123")


def test_an_admin_cannot_create_a_member_with_a_common_password(org: Any, admin: Any) -> None:
    with pytest.raises(ValidationFailed, match="too common"):
        member_create(
            actor=admin, organization=org, first_name="A", last_name="B", password="password123"
        )
    assert not Member.objects.filter(organization=org, first_name="A").exists()


def test_the_shared_temporary_password_follows_the_minimum_too(org: Any, admin: Any) -> None:
    with pytest.raises(ValidationFailed, match="at least 12"):
        organization_update(
            actor=admin,
            organization=org,
            first_password_policy="shared",
            temporary_password="kq7m-x3fa",
        )
    assert not Organization.objects.get(pk=org.pk).temp_password_hash


def test_the_import_words_each_refusal_with_its_code() -> None:
    assert password_refusal(ELEVEN, 12) == ("password_too_short", {"n": 12})
    assert password_refusal("password123", 8) == ("password_too_common", {})
    assert password_refusal("12345678901234", 12) == ("password_entirely_numeric", {})
    assert password_refusal(TWELVE, 12) is None


def test_the_proposed_temporary_password_is_long_enough_for_the_policy(
    org: Any, admin: Any
) -> None:
    from equipage.organizations.first_password import propose_temporary_password

    organization_update(actor=admin, organization=org, password_min_length=30)
    org.refresh_from_db()
    proposed = propose_temporary_password(org)
    assert len(proposed) >= 30
    organization_update(
        actor=admin, organization=org, first_password_policy="shared", temporary_password=proposed
    )
