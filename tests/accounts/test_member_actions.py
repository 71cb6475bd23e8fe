"""Member actions: each one changes what it says, records its audit event, and refuses what it must."""

from __future__ import annotations

from typing import Any

import pytest

from equipage.accounts.actions import (
    member_create,
    member_deactivate,
    member_delete,
    member_reactivate,
    member_set_roles,
    member_update,
    members_deactivate,
)
from equipage.accounts.models import Member, MemberRole, MemberState
from equipage.audit.models import AuditEvent
from equipage.core.errors import (
    Conflict,
    InvariantViolation,
    NotFound,
    PermissionDenied,
    SeatLimitExceeded,
)
from equipage.emails.models import OutboundEmail
from equipage.organizations.actions import organization_update


def test_create_member_is_active_and_audited(org: Any, admin: Any) -> None:
    m = member_create(
        actor=admin, organization=org, first_name="Élodie", last_name="Œuvray", email="e@acme.test"
    )
    assert m.login == "elodie.oeuvray"
    assert m.state == MemberState.ACTIVE
    # The default ``link`` policy: no shared password, a single-use link by mail instead.
    assert not m.uses_temp_password and not m.has_usable_password()
    assert OutboundEmail.objects.get(member=m).kind == "set_password"
    event = AuditEvent.objects.get(event_type="member.created", target_id=str(m.pk))
    assert event.actor_id == admin.pk and event.after["email"] == "e@acme.test"


def test_default_login_is_numbered_on_collision(org: Any, admin: Any) -> None:
    a = member_create(actor=admin, organization=org, first_name="Jean", last_name="D'Almeida")
    b = member_create(actor=admin, organization=org, first_name="Jean", last_name="D'Almeida")
    assert (a.login, b.login) == ("jean.d-almeida", "jean.d-almeida2")


def test_email_is_unique_case_insensitively_within_an_organization(
    org: Any, other_org: Any, admin: Any, other_admin: Any
) -> None:
    member_create(
        actor=admin, organization=org, first_name="A", last_name="B", email="Same@Mail.test"
    )
    with pytest.raises(Conflict):
        member_create(
            actor=admin, organization=org, first_name="C", last_name="D", email="same@mail.TEST"
        )
    # Another tenant may use the same address.
    member_create(
        actor=other_admin,
        organization=other_org,
        first_name="C",
        last_name="D",
        email="same@mail.test",
    )


def test_member_cannot_create_members(org: Any, member: Any) -> None:
    with pytest.raises(PermissionDenied):
        member_create(actor=member, organization=org, first_name="X", last_name="Y")


def test_admin_of_another_tenant_cannot_create_members_here(org: Any, other_admin: Any) -> None:
    with pytest.raises(NotFound):
        member_create(actor=other_admin, organization=org, first_name="X", last_name="Y")


def test_seats_are_never_exceeded_by_creation(org: Any, owner: Any, operator: Any) -> None:
    organization_update(actor=operator, organization=org, seats=2)
    member_create(actor=owner, organization=org, first_name="One", last_name="More")
    with pytest.raises(SeatLimitExceeded, match="2 of 2 seats"):
        member_create(actor=owner, organization=org, first_name="Too", last_name="Many")
    assert Member.objects.filter(organization=org).count() == 2


def test_deactivation_ends_sessions_and_keeps_history(org: Any, admin: Any, member: Any) -> None:
    version = member.session_version
    member_deactivate(actor=admin, member=member)
    member.refresh_from_db()
    assert member.state == MemberState.DEACTIVATED
    assert member.session_version == version + 1
    assert AuditEvent.objects.filter(member=member, event_type="member.deactivated").exists()
    assert AuditEvent.objects.filter(member=member, event_type="member.created").exists()


def test_nobody_deactivates_the_owner(org: Any, owner: Any, admin: Any) -> None:
    with pytest.raises(InvariantViolation, match="owner cannot be deactivated"):
        member_deactivate(actor=admin, member=owner)
    with pytest.raises(InvariantViolation):
        member_deactivate(actor=owner, member=owner)


def test_bulk_deactivation_reports_what_was_skipped_and_why(
    org: Any, owner: Any, admin: Any, member: Any, outsider: Any
) -> None:
    result = members_deactivate(
        actor=admin, organization=org, members=[owner, member, outsider, admin]
    )
    assert {m.pk for m in result.done} == {member.pk, outsider.pk}
    reasons = {m.pk: r for m, r in result.skipped}
    assert "owner" in reasons[owner.pk]
    assert "yourself" in reasons[admin.pk]


def test_reactivation_needs_a_free_seat(org: Any, owner: Any, operator: Any, member: Any) -> None:
    member_deactivate(actor=owner, member=member)
    organization_update(
        actor=operator,
        organization=org,
        seats=Member.objects.filter(organization=org, state="active").count(),
    )
    member_create(
        actor=owner,
        organization=org,
        first_name="Fills",
        last_name="Last",
        state=MemberState.CREATED,
    )
    with pytest.raises(SeatLimitExceeded):
        member_reactivate(actor=owner, member=member)


def test_user_admin_cannot_grant_admin(org: Any, user_admin: Any, member: Any) -> None:
    with pytest.raises(PermissionDenied):
        member_set_roles(actor=user_admin, member=member, roles=["admin"])


def test_admin_grants_user_admin_and_it_is_audited(org: Any, admin: Any, member: Any) -> None:
    assert member_set_roles(actor=admin, member=member, roles=["user_admin", "member"]) == [
        "member",
        "user_admin",
    ]
    e = AuditEvent.objects.get(event_type="member.roles_changed", member=member)
    assert e.before == {"roles": ["member"]} and e.after == {"roles": ["member", "user_admin"]}


def test_nobody_demotes_or_deletes_the_owner(org: Any, owner: Any, admin: Any) -> None:
    with pytest.raises(InvariantViolation, match="owner cannot be demoted"):
        member_set_roles(actor=admin, member=owner, roles=["member"])
    with pytest.raises(InvariantViolation, match="owner cannot be deleted"):
        member_delete(actor=admin, member=owner)
    with pytest.raises(InvariantViolation, match="owner cannot be demoted"):
        member_set_roles(actor=owner, member=owner, roles=["admin"])
    assert MemberRole.objects.filter(organization=org, role="owner", member=owner).exists()


def test_delete_moves_the_member_to_the_bin_with_an_audited_state_change(
    org: Any, admin: Any, member: Any
) -> None:
    member_delete(actor=admin, member=member)
    member.refresh_from_db()
    assert member.state == "binned" and member.binned_from == "active"
    event = AuditEvent.objects.get(event_type="member.deleted", target_id=str(member.pk))
    assert event.before == {"state": "active"} and event.after == {"state": "binned"}


def test_member_edits_own_contact_details_only_when_allowed(
    org: Any, operator: Any, owner: Any, member: Any
) -> None:
    with pytest.raises(PermissionDenied):
        member_update(actor=member, member=member, phone="0600000000")
    organization_update(actor=owner, organization=org, members_can_edit_contact=True)
    member.organization.refresh_from_db()
    member_update(actor=member, member=member, phone="0600000000")
    with pytest.raises(PermissionDenied):
        member_update(actor=member, member=member, last_name="Changed")


def test_bulk_reactivation_changes_only_deactivated_members(
    org: Any, admin: Any, member: Any, outsider: Any
) -> None:
    from equipage.accounts.actions import members_reactivate

    member_deactivate(actor=admin, member=member)
    result = members_reactivate(actor=admin, organization=org, members=[member, outsider])
    assert [m.pk for m in result.done] == [member.pk]
    assert [(m.pk, r) for m, r in result.skipped] == [(outsider.pk, "Not deactivated.")]
    assert result.kinds == ["noop"]
    member.refresh_from_db()
    assert member.state == MemberState.ACTIVE


@pytest.mark.parametrize("bad", ["Du\x00pont", "Du\tpont", "Dupont\x1b", "Du\u2028pont"])
def test_create_member_refuses_control_characters_in_names(org: Any, admin: Any, bad: str) -> None:
    from equipage.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        member_create(actor=admin, organization=org, first_name="Jean", last_name=bad)
    assert refused.value.field == "last_name"
    assert not Member.objects.filter(organization=org, first_name="Jean").exists()


def test_update_member_refuses_control_characters_and_over_long_text(
    org: Any, admin: Any, member: Any
) -> None:
    from equipage.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        member_update(actor=admin, member=member, first_name="Zo\x00é")
    assert refused.value.field == "first_name"
    with pytest.raises(ValidationFailed) as too_long:
        member_update(actor=admin, member=member, job_title="x" * 151)
    assert too_long.value.field == "job_title"
    member.refresh_from_db()
    assert "\x00" not in member.first_name and len(member.job_title) <= 150
    assert not AuditEvent.objects.filter(event_type="member.updated", member=member).exists()


def test_changing_the_owners_role_keeps_their_ownership(org: Any, owner: Any, admin: Any) -> None:
    from equipage.accounts.selectors import roles_after_role_change

    assert roles_after_role_change(owner, "user_admin") == ["owner", "user_admin"]
    assert roles_after_role_change(admin, "user_admin") == ["user_admin"]
