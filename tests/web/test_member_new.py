"""« Ajouter un membre »: the three ways of seed 002 and members without an e-mail."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db

FORM = {"first_name": "Élodie", "last_name": "Martin", "roles": ["member"]}


def _mails(member: Any) -> list[str]:
    from equipage.emails.models import OutboundEmail

    return list(OutboundEmail.objects.filter(member=member).values_list("kind", flat=True))


def test_notification_only_sends_the_notification_mail_and_sets_the_typed_password(
    login_as: Any, admin: Any, org: Any
) -> None:
    from equipage.accounts.models import Member, MemberState
    from equipage.emails.models import MailKind

    response = login_as(admin).post(
        "/o/acme/members/new",
        {**FORM, "email": "em@acme.test", "send": "notification", "password": "Long-pass-4242"},
    )
    assert response.status_code == 302
    created = Member.objects.get(organization=org, email="em@acme.test")
    assert created.state == MemberState.ACTIVE
    assert created.check_password("Long-pass-4242") and created.must_change_password
    assert _mails(created) == [MailKind.NOTIFICATION]


def test_notification_only_without_a_password_follows_the_policy(
    login_as: Any, admin: Any, org: Any
) -> None:
    from equipage.accounts.models import Member
    from equipage.emails.models import MailKind

    response = login_as(admin).post(
        "/o/acme/members/new", {**FORM, "email": "em@acme.test", "send": "notification"}
    )
    assert response.status_code == 302
    created = Member.objects.get(organization=org, email="em@acme.test")
    assert not created.has_usable_password()
    assert _mails(created) == [MailKind.NOTIFICATION]


def test_credentials_mail_generates_a_password(login_as: Any, admin: Any, org: Any) -> None:
    from equipage.accounts.models import Member
    from equipage.emails.models import MailKind

    login_as(admin).post(
        "/o/acme/members/new", {**FORM, "email": "em@acme.test", "send": "credentials"}
    )
    created = Member.objects.get(organization=org, email="em@acme.test")
    assert created.has_usable_password()
    assert _mails(created) == [MailKind.CREDENTIALS]


def test_member_without_email_is_created_with_the_password_set_now(
    login_as: Any, admin: Any, org: Any
) -> None:
    from equipage.accounts.models import Member

    response = login_as(admin).post(
        "/o/acme/members/new", {**FORM, "send": "password", "password": "Long-pass-4242"}
    )
    assert response.status_code == 302
    created = Member.objects.get(organization=org, login="elodie.martin")
    assert created.email == "" and created.check_password("Long-pass-4242")
    assert _mails(created) == []


@pytest.mark.parametrize("send", ["policy", "credentials", "link", "notification"])
def test_member_without_email_needs_a_password_set_now(
    login_as: Any, admin: Any, org: Any, send: str
) -> None:
    from equipage.accounts.models import Member

    response = login_as(admin).post("/o/acme/members/new", {**FORM, "send": send})
    assert response.status_code == 200
    assert "needs a password set now" in response.content.decode()
    assert not Member.objects.filter(organization=org, login="elodie.martin").exists()


def test_the_form_offers_the_notification_option_in_french(login_as: Any, admin: Any) -> None:
    client = login_as(admin)
    client.cookies["django_language"] = "fr"
    page = client.get("/o/acme/members/new").content.decode()
    assert 'value="notification"' in page
    assert "notification" in page.lower()


def test_plain_member_cannot_create_with_notification(login_as: Any, member: Any, org: Any) -> None:
    from equipage.accounts.models import Member

    response = login_as(member).post(
        "/o/acme/members/new", {**FORM, "email": "em@acme.test", "send": "notification"}
    )
    assert response.status_code == 403
    assert not Member.objects.filter(organization=org, email="em@acme.test").exists()


def test_admin_of_another_organization_is_sent_to_this_organizations_login(
    login_as: Any, other_admin: Any, org: Any
) -> None:
    from equipage.accounts.models import Member

    response = login_as(other_admin).post(
        "/o/acme/members/new", {**FORM, "email": "em@acme.test", "send": "notification"}
    )
    assert response.status_code == 302 and response["Location"].startswith("/o/acme/login")
    assert not Member.objects.filter(organization=org, email="em@acme.test").exists()


def test_several_roles_several_groups_and_the_language_are_set_at_creation(
    login_as: Any, admin: Any, org: Any, groups: dict[str, Any]
) -> None:
    from equipage.accounts.models import Member
    from equipage.accounts.selectors import roles_of
    from equipage.groups.models import GroupMembership

    body = login_as(admin).get("/o/acme/members/new").content.decode()
    assert '<fieldset class="field' in body and 'type="checkbox" name="groups"' in body
    response = login_as(admin).post(
        "/o/acme/members/new",
        {
            **FORM,
            "roles": ["member", "user_admin"],
            "groups": [groups["ventes"].pk, groups["atelier"].pk],
            "language": "fr",
            "send": "password",
            "password": "Long-pass-4242",
        },
    )
    assert response.status_code == 302
    created = Member.objects.get(organization=org, last_name="Martin")
    assert set(roles_of(created)) == {"member", "user_admin"}
    assert created.language == "fr"
    in_groups = set(
        GroupMembership.objects.filter(member=created).values_list("group_id", flat=True)
    )
    assert in_groups == {groups["ventes"].pk, groups["atelier"].pk}


def test_a_role_above_ones_own_is_refused_and_nobody_is_created(
    login_as: Any, user_admin: Any, org: Any
) -> None:
    from equipage.accounts.models import Member

    response = login_as(user_admin).post(
        "/o/acme/members/new",
        {**FORM, "roles": ["admin"], "send": "password", "password": "Long-pass-4242"},
    )
    assert response.status_code == 200
    assert not Member.objects.filter(organization=org, last_name="Martin").exists()


def test_another_organizations_group_id_is_refused_and_nobody_is_created(
    login_as: Any, admin: Any, org: Any, groups: dict[str, Any], other_org: Any, other_owner: Any
) -> None:
    from equipage.accounts.models import Member
    from equipage.groups.actions import group_create

    foreign = group_create(actor=other_owner, organization=other_org, name="Globex")
    response = login_as(admin).post(
        "/o/acme/members/new",
        {**FORM, "groups": [foreign.pk], "send": "password", "password": "Long-pass-4242"},
    )
    assert response.status_code == 200
    assert not Member.objects.filter(organization=org, last_name="Martin").exists()
