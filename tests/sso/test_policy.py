"""« Require single sign-on »: passwords open only the owner's account (the break-glass)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from equipage.accounts.models import Member
from equipage.sso.actions import sso_configure
from equipage.sso.policy import password_allowed
from tests.conftest import make_member
from tests.sso.idp import CLIENT_ID


def _require(sso: Any, owner: Any) -> None:
    sso_configure(
        actor=owner,
        organization=sso.organization,
        display_name=sso.display_name,
        issuer=sso.issuer,
        client_id=CLIENT_ID,
        require_sso=True,
    )


def _password_login(identifier: str, password: str) -> Any:
    client = Client()
    response = client.post("/o/acme/login", {"identifier": identifier, "password": password})
    return client, response


def test_non_owner_password_login_is_refused_while_sso_is_required(
    sso: Any, owner: Any, admin: Any
) -> None:
    _require(sso, owner)
    client, response = _password_login(admin.login, "member-pass-123")
    assert response.status_code == 200
    assert "signs in with Loopback IdP" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # An unknown identifier gets the very same answer: nothing to enumerate.
    _, unknown = _password_login("nobody", "whatever")
    assert "signs in with Loopback IdP" in unknown.content.decode()


def test_owner_keeps_the_password_break_glass(sso: Any, owner: Any) -> None:
    _require(sso, owner)
    client, response = _password_login(owner.login, "owner-pass-123")
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == owner.pk
    assert password_allowed(owner)


def test_password_login_works_again_once_the_requirement_is_lifted(
    sso: Any, owner: Any, admin: Any
) -> None:
    _require(sso, owner)
    sso.refresh_from_db()
    sso.require_sso = False
    sso.save(update_fields=["require_sso"])
    _client, response = _password_login(admin.login, "member-pass-123")
    assert response.status_code == 302


def _session(member: Any) -> Client:
    client = Client()
    client.force_login(member, backend="equipage.accounts.backends.MemberBackend")
    assert client.get("/o/acme/me/").status_code == 200
    return client


def test_requiring_sso_ends_the_other_members_sessions_but_the_owners(
    sso: Any, owner: Any, admin: Any, member: Any
) -> None:
    sessions = {"owner": _session(owner), "admin": _session(admin), "member": _session(member)}
    _require(sso, admin)  # an admin turns it on: their own session and the owner's stay
    assert sessions["owner"].get("/o/acme/me/").status_code == 200
    assert sessions["admin"].get("/o/acme/me/").status_code == 200
    assert sessions["member"].get("/o/acme/me/")["Location"].startswith("/o/acme/login")


def test_set_password_link_does_not_open_a_non_owner_account_while_sso_is_required(
    sso: Any, owner: Any, org: Any
) -> None:
    from equipage.accounts.actions.passwords import send_set_password_link

    _require(sso, owner)
    mia = make_member(org, owner, "Mia", "Member")
    link = send_set_password_link(mia)
    path = link.split("testserver", 1)[1]
    client = Client()
    done = client.post(
        path, {"new_password1": "a-long-new-pass-42", "new_password2": "a-long-new-pass-42"}
    )
    assert done.status_code == 302 and done["Location"] == "/o/acme/login"
    assert "_auth_user_id" not in client.session
    _, response = _password_login(mia.login, "a-long-new-pass-42")
    assert "signs in with Loopback IdP" in response.content.decode()
    assert not password_allowed(Member.objects.get(pk=mia.pk))


def test_owner_of_another_organization_is_not_concerned(
    sso: Any, owner: Any, other_owner: Any
) -> None:
    _require(sso, owner)
    assert password_allowed(other_owner)


def test_accepted_invitation_does_not_log_in_while_sso_is_required(
    sso: Any, owner: Any, org: Any
) -> None:
    from equipage.emails.models import OutboundEmail
    from equipage.invitations.actions import invitations_create

    _require(sso, owner)
    invitations_create(actor=owner, organization=org, emails="ivy@acme.test")
    body = OutboundEmail.objects.filter(to="ivy@acme.test").get().body_text
    link = "/o/" + body.split("/o/")[1].split()[0]
    client = Client()
    done = client.post(
        link,
        {
            "first_name": "Ivy",
            "last_name": "Invited",
            "password1": "a-long-new-pass-42",
            "password2": "a-long-new-pass-42",
        },
    )
    assert done.status_code == 302 and done["Location"] == "/o/acme/login"
    assert "_auth_user_id" not in client.session
    assert Member.objects.get(email="ivy@acme.test").state == "active"
