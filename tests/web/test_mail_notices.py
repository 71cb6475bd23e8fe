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


@override_settings(EQUIPAGE_MAIL_CONFIGURED=False)
def test_the_owner_hides_the_mail_notice_once_and_finds_it_on_the_settings_page(
    org: Any, owner: Any, admin: Any
) -> None:
    from django.test import Client

    from equipage.audit.models import AuditEvent
    from equipage.web.models import NoticeDismissal

    c = Client()
    c.force_login(owner, backend="equipage.accounts.backends.MemberBackend")
    page = c.get("/o/acme/members").content.decode()
    assert "until your host sets up outgoing mail" in page and "Hide this notice" in page
    response = c.post("/o/acme/notices/mail_unconfigured/dismiss", {"next": "/o/acme/members?q=x"})
    assert response.status_code == 302 and response["Location"] == "/o/acme/members?q=x"
    assert "outgoing mail" not in c.get("/o/acme/members").content.decode()
    # Stored in the database (every node knows it), audited once even if posted twice.
    c.post("/o/acme/notices/mail_unconfigured/dismiss")
    assert NoticeDismissal.objects.filter(member=owner).count() == 1
    events = AuditEvent.objects.filter(member=owner, event_type="member.notice_dismissed")
    assert events.count() == 1
    # Still findable where settings live; never a variable name.
    settings_page = c.get("/o/acme/settings/").content.decode()
    assert "until your host sets up outgoing mail" in settings_page
    assert "EQUIPAGE_" not in settings_page
    # Remembered per member: another settings-capable member still sees it once.
    other = Client()
    other.force_login(admin, backend="equipage.accounts.backends.MemberBackend")
    assert "Hide this notice" in other.get("/o/acme/members").content.decode()


@override_settings(EQUIPAGE_MAIL_CONFIGURED=False)
def test_dismissing_refuses_an_unknown_notice_a_get_and_an_outside_redirect(
    org: Any, owner: Any, other_owner: Any
) -> None:
    from django.test import Client

    from equipage.web.models import NoticeDismissal

    c = Client()
    c.force_login(owner, backend="equipage.accounts.backends.MemberBackend")
    assert c.get("/o/acme/notices/mail_unconfigured/dismiss").status_code == 405
    assert c.post("/o/acme/notices/nothing/dismiss").status_code == 404
    away = c.post("/o/acme/notices/mail_unconfigured/dismiss", {"next": "https://evil.test/"})
    assert away["Location"] == "/o/acme/"
    # The attack: another tenant's owner posting to our organization is sent to its login.
    intruder = Client()
    intruder.force_login(other_owner, backend="equipage.accounts.backends.MemberBackend")
    response = intruder.post("/o/acme/notices/mail_unconfigured/dismiss")
    assert response.status_code == 302 and "/o/acme/login" in response["Location"]
    assert not NoticeDismissal.objects.filter(member=other_owner).exists()
