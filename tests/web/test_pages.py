"""Every console page × role: who may see and do what; other tenants' objects answer 404."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ["/o/acme/groups/", "/o/acme/labels/", "/o/acme/fields/", "/o/acme/settings/"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_pages_open_for_admins(login_as: Any, admin: Any, url: str) -> None:
    assert login_as(admin).get(url).status_code == 200


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_pages_are_forbidden_to_user_admins_and_members(
    login_as: Any, user_admin: Any, member: Any, url: str
) -> None:
    assert login_as(user_admin).get(url).status_code == 403
    assert login_as(member).get(url).status_code == 403


@pytest.mark.parametrize("url", [*ADMIN_PAGES, "/o/acme/members", "/o/acme/me/"])
def test_anonymous_visitors_are_sent_to_the_login(client: Any, org: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and "/o/acme/login" in response.url


def test_profile_shows_details_activity_and_mails(login_as: Any, admin: Any, member: Any) -> None:
    body = login_as(admin).get(f"/o/acme/members/{member.pk}/").content.decode()
    assert "Mia Member" in body and "Recent activity" in body and "Member created" in body
    assert "E-mails sent" in body


def test_profile_of_another_tenant_is_404(login_as: Any, admin: Any, other_member: Any) -> None:
    assert login_as(admin).get(f"/o/acme/members/{other_member.pk}/").status_code == 404


def test_group_admin_cannot_open_a_profile_outside_their_groups(
    login_as: Any, group_admin: Any, member: Any, outsider: Any
) -> None:
    client = login_as(group_admin)
    assert client.get(f"/o/acme/members/{member.pk}/").status_code == 200
    assert client.get(f"/o/acme/members/{outsider.pk}/").status_code == 404


def test_admin_edits_details_and_errors_show_beside_fields(
    login_as: Any, admin: Any, member: Any, outsider: Any
) -> None:
    client = login_as(admin)
    data = {
        "first_name": "Mia",
        "last_name": "Martin",
        "login": member.login,
        "email": member.email,
    }
    assert client.post(f"/o/acme/members/{member.pk}/edit", data).status_code == 302
    member.refresh_from_db()
    assert member.last_name == "Martin"
    taken = {**data, "email": outsider.email}
    response = client.post(f"/o/acme/members/{member.pk}/edit", taken)
    assert response.status_code == 400
    assert "already uses the e-mail address" in response.content.decode()


def test_user_admin_cannot_edit_the_owner(login_as: Any, user_admin: Any, owner: Any) -> None:
    data = {"first_name": "X", "last_name": "Y", "login": owner.login}
    assert login_as(user_admin).post(f"/o/acme/members/{owner.pk}/edit", data).status_code == 403
    owner.refresh_from_db()
    assert owner.first_name == "Olivia"


def test_edit_of_another_tenant_member_is_404(login_as: Any, admin: Any, other_member: Any) -> None:
    data = {"first_name": "X", "last_name": "Y", "login": "x"}
    assert login_as(admin).post(f"/o/acme/members/{other_member.pk}/edit", data).status_code == 404


def test_roles_form_changes_roles_and_refuses_above_rank(
    login_as: Any, admin: Any, user_admin: Any, member: Any
) -> None:
    from equipage.accounts.selectors import roles_of

    login_as(admin).post(f"/o/acme/members/{member.pk}/roles", {"roles": ["user_admin"]})
    assert roles_of(member) == ["user_admin"]
    login_as(user_admin).post(f"/o/acme/members/{member.pk}/roles", {"roles": ["admin"]})
    assert roles_of(member) == ["user_admin"]


def test_custom_values_and_group_membership_from_the_profile(
    login_as: Any, admin: Any, owner: Any, member: Any, org: Any, groups: dict[str, Any]
) -> None:
    from equipage.accounts.actions import custom_field_create
    from equipage.accounts.models import CustomFieldValue
    from equipage.groups.models import GroupMembership

    field = custom_field_create(actor=owner, organization=org, name="Site")
    client = login_as(admin)
    client.post(f"/o/acme/members/{member.pk}/custom", {f"cf_{field.key}": "Lille"})
    assert CustomFieldValue.objects.get(member=member, field=field).value == "Lille"
    client.post(f"/o/acme/members/{member.pk}/groups", {"group": groups["atelier"].pk})
    assert GroupMembership.objects.filter(member=member, group=groups["atelier"]).exists()
    client.post(
        f"/o/acme/members/{member.pk}/groups", {"group": groups["atelier"].pk, "op": "remove"}
    )
    assert not GroupMembership.objects.filter(member=member, group=groups["atelier"]).exists()


def test_add_a_member_directly(login_as: Any, admin: Any, org: Any) -> None:
    from equipage.accounts.models import Member, MemberState

    response = login_as(admin).post(
        "/o/acme/members/new",
        {
            "first_name": "Élodie",
            "last_name": "Œuvray",
            "email": "eo@acme.test",
            "role": "member",
            "send": "policy",
        },
    )
    assert response.status_code == 302
    created = Member.objects.get(organization=org, login="elodie.oeuvray")
    assert created.state == MemberState.ACTIVE


def test_add_a_member_refused_when_seats_are_full(
    login_as: Any, admin: Any, org: Any, operator: Any
) -> None:
    from equipage.organizations.actions import organization_update

    organization_update(actor=operator, organization=org, seats=2)
    response = login_as(admin).post(
        "/o/acme/members/new",
        {
            "first_name": "A",
            "last_name": "B",
            "role": "member",
            "send": "password",
            "password": "Long-enough-pass-42",
        },
    )
    assert response.status_code == 200
    assert "Not enough seats" in response.content.decode()


def test_plain_member_cannot_add_members(login_as: Any, member: Any) -> None:
    assert login_as(member).get("/o/acme/members/new").status_code == 403


def test_groups_create_rename_move_and_delete(
    login_as: Any, admin: Any, groups: dict[str, Any], audit_events: Any
) -> None:
    from equipage.groups.models import Group

    client = login_as(admin)
    client.post("/o/acme/groups/", {"name": "Support", "visibility": "private"})
    support = Group.objects.get(name="Support")
    assert support.visibility == "private"
    client.post(
        f"/o/acme/groups/{support.pk}/",
        {
            "op": "edit",
            "name": "Support client",
            "parent": groups["atelier"].pk,
            "visibility": "public",
        },
    )
    support.refresh_from_db()
    assert support.name == "Support client" and support.parent_id == groups["atelier"].pk
    client.post(f"/o/acme/groups/{support.pk}/", {"op": "delete", "confirmed": "yes"})
    assert not Group.objects.filter(pk=support.pk).exists()
    assert {"group.created", "group.updated", "group.moved", "group.deleted"} <= set(audit_events())


def test_group_of_another_tenant_is_404(
    login_as: Any, admin: Any, other_owner: Any, other_org: Any
) -> None:
    from equipage.groups.actions import group_create

    theirs = group_create(actor=other_owner, organization=other_org, name="Secret")
    assert login_as(admin).get(f"/o/acme/groups/{theirs.pk}/").status_code == 404


def test_group_admins_are_named_from_the_group_page(
    login_as: Any, admin: Any, member: Any, groups: dict[str, Any]
) -> None:
    from equipage.groups.models import GroupMembership

    login_as(admin).post(
        f"/o/acme/groups/{groups['atelier'].pk}/", {"op": "add_admin", "member": member.pk}
    )
    assert GroupMembership.objects.get(group=groups["atelier"], member=member).role == "group_admin"


def test_labels_and_custom_fields_management(login_as: Any, admin: Any, org: Any) -> None:
    from equipage.accounts.models import CustomField
    from equipage.groups.models import Label

    client = login_as(admin)
    client.post("/o/acme/labels/", {"op": "create", "name": "Nouveau", "color": "#067647"})
    label = Label.objects.get(organization=org, name="Nouveau")
    duplicate = client.post(
        "/o/acme/labels/", {"op": "create", "name": "Nouveau", "color": "#067647"}
    )
    assert duplicate.status_code == 400 and "already exists" in duplicate.content.decode()
    client.post("/o/acme/labels/", {"op": "delete", "label": label.pk, "confirmed": "yes"})
    assert not Label.objects.filter(pk=label.pk).exists()
    client.post(
        "/o/acme/fields/",
        {"op": "create", "name": "Taille", "kind": "choice", "choices": "S\nM\nL"},
    )
    field = CustomField.objects.get(organization=org, name="Taille")
    assert field.choices == ["S", "M", "L"]
    client.post("/o/acme/fields/", {"op": "delete", "field": field.pk, "confirmed": "yes"})
    assert not CustomField.objects.filter(pk=field.pk).exists()


def test_labels_of_another_tenant_cannot_be_deleted(
    login_as: Any, admin: Any, other_owner: Any, other_org: Any
) -> None:
    from equipage.groups.actions import label_create
    from equipage.groups.models import Label

    theirs = label_create(actor=other_owner, organization=other_org, name="Theirs")
    assert (
        login_as(admin)
        .post("/o/acme/labels/", {"op": "delete", "label": theirs.pk, "confirmed": "yes"})
        .status_code
        == 404
    )
    assert Label.objects.filter(pk=theirs.pk).exists()


def test_settings_saved_and_link_policy_recommended(login_as: Any, admin: Any, org: Any) -> None:
    client = login_as(admin)
    body = client.get("/o/acme/settings/").content.decode()
    assert "recommended" in body and "ASVS" in body
    response = client.post(
        "/o/acme/settings/",
        {
            "op": "settings",
            "name": "Acme SA",
            "language": "fr",
            "invitation_lifetime_days": 10,
            "first_password_policy": "link",
        },
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.language, org.invitation_lifetime_days, org.first_password_policy) == (
        "Acme SA",
        "fr",
        10,
        "link",
    )


def test_settings_errors_show_beside_the_field(login_as: Any, admin: Any) -> None:
    response = login_as(admin).post(
        "/o/acme/settings/",
        {
            "op": "settings",
            "name": "Acme",
            "language": "fr",
            "invitation_lifetime_days": 500,
            "first_password_policy": "link",
        },
    )
    assert response.status_code == 400
    assert 'class="field has-error"' in response.content.decode()


def test_ownership_transfer_start_and_accept(login_as: Any, owner: Any, admin: Any) -> None:
    from equipage.accounts.models import OwnershipTransfer
    from equipage.accounts.selectors import roles_of

    login_as(owner).post("/o/acme/settings/", {"op": "transfer", "to_member": admin.pk})
    transfer = OwnershipTransfer.objects.get(to_member=admin)
    assert login_as(admin).get(f"/o/acme/ownership/{transfer.pk}/").status_code == 200
    login_as(admin).post(f"/o/acme/ownership/{transfer.pk}/", {"op": "accept"})
    assert "owner" in roles_of(admin) and "owner" not in roles_of(owner)


def test_only_the_owner_sees_the_transfer_form(login_as: Any, admin: Any) -> None:
    body = login_as(admin).get("/o/acme/settings/").content.decode()
    assert "Only the owner can transfer ownership." in body


def test_someone_else_cannot_open_a_transfer(
    login_as: Any, owner: Any, admin: Any, user_admin: Any
) -> None:
    from equipage.accounts.actions import ownership_transfer_start

    transfer = ownership_transfer_start(actor=owner, to_member=admin)
    assert login_as(user_admin).get(f"/o/acme/ownership/{transfer.pk}/").status_code == 404


def test_member_edits_own_contact_details_only_when_allowed(
    login_as: Any, member: Any, org: Any, operator: Any
) -> None:
    from equipage.organizations.actions import organization_update

    client = login_as(member)
    client.post("/o/acme/me/", {"form": "contact", "phone": "0600000000", "email": member.email})
    member.refresh_from_db()
    assert member.phone == ""
    organization_update(actor=operator, organization=org, members_can_edit_contact=True)
    client.post("/o/acme/me/", {"form": "contact", "phone": "0600000000", "email": member.email})
    member.refresh_from_db()
    assert member.phone == "0600000000"


def test_member_home_shows_the_administrators_contact_card(
    login_as: Any, member: Any, admin: Any
) -> None:
    body = login_as(member).get("/o/acme/me/").content.decode()
    assert "Adam Admin" in body and "Olivia Owner" in body
