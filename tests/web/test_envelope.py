"""The directory's envelopes (seed 003): blue for a sent invitation, a click sends a new one."""

from __future__ import annotations

from typing import Any

from django.test import Client

from equipage.invitations.actions import invitations_create
from equipage.invitations.models import Invitation


def logged_in(member: Any) -> Client:
    c = Client()
    c.post("/o/acme/login", {"identifier": member.login, "password": "member-pass-123"})
    return c


def invite(org: Any, admin: Any, email: str) -> Any:
    invitations_create(actor=admin, organization=org, emails=email, roles=["member"], group_ids=[])
    return Invitation.objects.get(email=email)


def test_blue_envelope_sends_a_new_invitation_and_kills_the_old_link(org: Any, admin: Any) -> None:
    old = invite(org, admin, "ines@acme.test")
    c = logged_in(admin)
    page = c.get("/o/acme/members").content.decode()
    url = f"/o/acme/members/{old.member_id}/row"
    assert f'formaction="{url}"' in page and "Send a new invitation to ines@acme.test" in page
    r = c.post(url, {"action": "resend", "filter": "q=ines"})
    assert r.status_code == 302 and r["Location"] == "/o/acme/members?q=ines"
    invitations = Invitation.objects.filter(member_id=old.member_id).order_by("id")
    assert invitations.count() == 2
    assert invitations.last().status == "pending"
    assert invitations.first().status != "pending"


def test_plain_member_cannot_resend_from_the_envelope(org: Any, admin: Any, member: Any) -> None:
    inv = invite(org, admin, "ines@acme.test")
    r = logged_in(member).post(f"/o/acme/members/{inv.member_id}/resend-invitation")
    assert r.status_code == 403
    assert Invitation.objects.filter(member_id=inv.member_id).count() == 1


def test_another_tenant_cannot_resend_our_invitation(
    org: Any, admin: Any, other_admin: Any
) -> None:
    inv = invite(org, admin, "ines@acme.test")
    c = Client()
    c.post("/o/globex/login", {"identifier": other_admin.login, "password": "member-pass-123"})
    assert c.post(f"/o/globex/members/{inv.member_id}/resend-invitation").status_code == 404
    assert Invitation.objects.filter(member_id=inv.member_id).count() == 1
