"""Admins see when mail is off or waiting for the SMTP server; members do not."""

from __future__ import annotations

from typing import Any

from django.test import Client, override_settings

from equipage.emails.models import OutboundEmail


def logged_in(member: Any, password: str) -> Client:
    c = Client()
    c.post("/o/acme/login", {"identifier": member.login, "password": password})
    return c


@override_settings(EQUIPAGE_MAIL_CONFIGURED=False)
def test_admin_is_told_that_mail_is_not_configured(org: Any, admin: Any, member: Any) -> None:
    page = logged_in(admin, "member-pass-123").get("/o/acme/members").content.decode()
    assert "until your host sets up outgoing mail" in page
    assert "EQUIPAGE_SMTP_URL" not in page  # a coordinator's words, no variable names
    home = logged_in(member, "member-pass-123").get("/o/acme/").content.decode()
    assert "outgoing mail" not in home


@override_settings(EQUIPAGE_MAIL_CONFIGURED=True)
def test_admin_sees_mails_waiting_for_the_smtp_server(
    org: Any, admin: Any, member: Any, other_admin: Any
) -> None:
    c = logged_in(admin, "member-pass-123")
    assert "waiting" not in c.get("/o/acme/members").content.decode()
    from equipage.accounts.actions import password_reset_request
    from equipage.permissions import Origin

    password_reset_request(organization=org, identifier=member.login, origin=Origin("test"))
    OutboundEmail.objects.filter(organization=org).update(status="queued", attempts=2)
    waiting = OutboundEmail.objects.filter(organization=org).count()
    assert waiting == 2
    assert "2 e-mails are waiting" in c.get("/o/acme/members").content.decode()
    # Another tenant's backlog is not ours to see.
    other = logged_in(other_admin, "member-pass-123")
    assert "waiting" not in other.get("/o/globex/members").content.decode()
