"""Invitation pages: invite form, Invitations list, acceptance page and its clear error pages."""

from __future__ import annotations

from typing import Any

from django.test import Client

from equipage.emails.models import OutboundEmail
from equipage.invitations.actions import invitations_create
from equipage.invitations.models import Invitation

BACKEND = "equipage.accounts.backends.MemberBackend"


def _client(member: Any) -> Client:
    c = Client()
    c.force_login(member, backend=BACKEND)
    return c


def _link(address: str) -> str:
    body = OutboundEmail.objects.filter(to=address).order_by("-id").first().body_text
    return "/o/" + body.split("/o/")[1].split()[0]


def test_admin_sees_one_answer_line_per_address(org: Any, admin: Any, member: Any) -> None:
    response = _client(admin).post(
        "/o/acme/invitations/new", {"emails": f"new@acme.test\nbad-address, {member.email}"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Invitation sent to new@acme.test" in html
    assert "not a valid e-mail address" in html
    assert "already has an active account" in html


def test_plain_member_cannot_open_the_invite_form_or_the_list(org: Any, member: Any) -> None:
    c = _client(member)
    assert c.get("/o/acme/invitations/new").status_code == 403
    assert c.get("/o/acme/invitations/").status_code == 403


def test_member_of_another_organization_is_sent_to_its_login(org: Any, other_admin: Any) -> None:
    response = _client(other_admin).get("/o/acme/invitations/")
    assert response.status_code == 302 and "/o/acme/login" in response["Location"]


def test_list_shows_pending_and_hides_accepted(org: Any, admin: Any) -> None:
    invitations_create(actor=admin, organization=org, emails="a@acme.test b@acme.test")
    Client().post(
        _link("a@acme.test"),
        {
            "first_name": "A",
            "last_name": "B",
            "password1": "Correct-horse-42",
            "password2": "Correct-horse-42",
        },
    )
    html = _client(admin).get("/o/acme/invitations/").content.decode()
    assert "b@acme.test" in html and "a@acme.test" not in html


def test_cancel_from_the_list(org: Any, admin: Any) -> None:
    invitations_create(actor=admin, organization=org, emails="a@acme.test")
    inv = Invitation.objects.get()
    client = _client(admin)
    asked = client.post(f"/o/acme/invitations/{inv.pk}/cancel")
    inv.refresh_from_db()
    assert asked.status_code == 200 and inv.status == "pending"  # one click only asks
    assert "a@acme.test" in asked.content.decode()
    done = client.post(f"/o/acme/invitations/{inv.pk}/cancel", {"confirmed": "yes"})
    assert done.status_code == 302
    inv.refresh_from_db()
    assert inv.status == "cancelled"
    page = Client().get(_link("a@acme.test"))
    assert page.status_code == 410 and "cancelled" in page.content.decode()


def test_other_tenant_cannot_cancel_by_id(org: Any, admin: Any, other_admin: Any) -> None:
    invitations_create(actor=admin, organization=org, emails="a@acme.test")
    inv = Invitation.objects.get()
    cancel = f"/o/globex/invitations/{inv.pk}/cancel"
    assert _client(other_admin).post(cancel, {"confirmed": "yes"}).status_code == 404
    inv.refresh_from_db()
    assert inv.status == "pending"


def test_tampered_link_shows_a_clear_page_not_a_stack_trace(org: Any, admin: Any) -> None:
    invitations_create(actor=admin, organization=org, emails="a@acme.test")
    page = Client().get("/o/acme/join/not-a-real-token/")
    assert page.status_code == 404
    html = page.content.decode()
    assert "not valid" in html and "Ask for a new invitation" in html


def test_link_of_one_organization_does_not_work_in_another(
    org: Any, other_org: Any, admin: Any
) -> None:
    invitations_create(actor=admin, organization=org, emails="a@acme.test")
    token = _link("a@acme.test").split("/join/")[1]
    assert Client().get(f"/o/globex/join/{token}").status_code == 404


def test_expired_link_page_offers_to_ask_for_a_new_invitation(
    org: Any, admin: Any, frozen_clock: Any
) -> None:
    invitations_create(actor=admin, organization=org, emails="a@acme.test")
    frozen_clock.advance(days=8)
    page = Client().get(_link("a@acme.test"))
    assert page.status_code == 410
    assert "expired" in page.content.decode()


def test_accept_form_errors_stay_on_the_page(org: Any, admin: Any) -> None:
    invitations_create(actor=admin, organization=org, emails="a@acme.test")
    page = Client().post(
        _link("a@acme.test"),
        {"first_name": "A", "last_name": "B", "password1": "short", "password2": "short"},
    )
    assert page.status_code == 200
    assert Invitation.objects.get().status == "pending"


def test_french_invitation_page_uses_the_seed_words(org: Any, admin: Any) -> None:
    org.language = "fr"
    org.save(update_fields=["language"])
    c = _client(admin)
    c.cookies["django_language"] = "fr"
    html = c.get("/o/acme/invitations/new", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Inviter" in html
