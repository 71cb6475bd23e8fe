"""The whole invitation lifecycle through a real SMTP server on loopback (aiosmtpd).

SMTP down, then up: every mail arrives, once. Alice accepts and logs in; Bob
waits; his invitation expires, is resent, and the new link works.
"""

from __future__ import annotations

import contextlib
import email
import json
import re
import socket
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from equipage.emails.models import MailStatus, OutboundEmail
from equipage.emails.outbox import deliver_due


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.original_content or envelope.content)
        )
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_port(settings: Any) -> int:
    port = _free_port()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    return port


@pytest.fixture
def smtp_server(smtp_port: int) -> Iterator[tuple[Inbox, Controller]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    yield inbox, controller
    with contextlib.suppress(AssertionError):  # never started
        controller.stop()


def _text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


def _link(message: Message) -> str:
    found = re.search(r"http://testserver(/o/[^\s]+/join/[^\s/]+/)", _text(message))
    assert found, _text(message)
    return found.group(1)


def _members_json(capsys: Any) -> dict[str, dict[str, Any]]:
    from equipage.cli import main

    assert main(["members", "list", "--org", "acme", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    return {r["email"]: r for r in rows}


def test_invitation_lifecycle_through_real_smtp_survives_an_outage(
    org: Any,
    admin: Any,
    smtp_server: tuple[Inbox, Controller],
    frozen_clock: Any,
    capsys: Any,
) -> None:
    inbox, controller = smtp_server
    console = Client()
    console.force_login(admin, backend="equipage.accounts.backends.MemberBackend")
    response = console.post(
        "/o/acme/invitations/new",
        {"emails": "alice@acme.test; bob@acme.test", "roles": ["member"], "language": "fr"},
    )
    assert response.status_code == 200  # the admin's action succeeds with SMTP down
    assert "alice@acme.test" in response.content.decode()

    # SMTP is down: nothing is sent, nothing is lost.
    assert deliver_due() == 0
    invitations = OutboundEmail.objects.filter(kind="invitation")
    assert invitations.filter(status=MailStatus.QUEUED).count() == 2
    assert all(m.last_error for m in invitations)
    waiting = OutboundEmail.objects.filter(status=MailStatus.QUEUED).count()

    # SMTP comes back; once the backoff has passed, every mail leaves, once.
    controller.start()
    frozen_clock.advance(seconds=31)
    assert deliver_due() == waiting
    frozen_clock.advance(hours=2)
    assert deliver_due() == 0
    assert len(inbox.to("alice@acme.test")) == 1
    assert len(inbox.to("bob@acme.test")) == 1
    alice_mail = inbox.to("alice@acme.test")[0]
    assert "Invitation" in alice_mail["Subject"] or "invit" in alice_mail["Subject"].lower()
    assert alice_mail.is_multipart()

    # Alice opens the link, fills the first-login form and is in.
    link = _link(alice_mail)
    visitor = Client()
    page = visitor.get(link)
    assert page.status_code == 200
    done = visitor.post(
        link,
        {
            "first_name": "Alice",
            "last_name": "Martin",
            "password1": "Correct-horse-42",
            "password2": "Correct-horse-42",
        },
    )
    assert done.status_code == 302 and done["Location"] == "/o/acme/"
    # The link works once.
    again = Client().get(link)
    assert again.status_code == 410
    assert "already used" in again.content.decode() or "déjà" in again.content.decode()

    # Alice logs in with her e-mail and new password.
    fresh = Client()
    login = fresh.post(
        "/o/acme/login", {"identifier": "alice@acme.test", "password": "Correct-horse-42"}
    )
    assert login.status_code == 302 and login["Location"] == "/o/acme/"

    rows = _members_json(capsys)
    assert rows["alice@acme.test"]["guide"] == "ok"
    assert rows["alice@acme.test"]["state"] == "active"
    assert rows["bob@acme.test"]["guide"] == "wait"
    assert rows["bob@acme.test"]["state"] == "invited"

    # Bob's invitation expires: « Renvoyer l'invitation »; the list offers a resend.
    frozen_clock.advance(days=8)
    assert _members_json(capsys)["bob@acme.test"]["guide"] == "resend"
    old_link = _link(inbox.to("bob@acme.test")[0])
    assert Client().get(old_link).status_code == 410
    from equipage.invitations.models import Invitation

    inv = Invitation.objects.get(email="bob@acme.test", status="pending")
    # Eight days later the admin's session has long ended (idle timeout): they log in again.
    assert console.get("/o/acme/invitations/").status_code == 302
    console.force_login(admin, backend="equipage.accounts.backends.MemberBackend")
    listing = console.get("/o/acme/invitations/?state=expired")
    assert "bob@acme.test" in listing.content.decode()
    assert console.post(f"/o/acme/invitations/{inv.pk}/resend").status_code == 302
    assert deliver_due() == 1
    bob_mails = inbox.to("bob@acme.test")
    assert len(bob_mails) == 2
    new_link = _link(bob_mails[1])
    assert new_link != old_link
    assert Client().get(new_link).status_code == 200
    assert Client().get(old_link).status_code == 410
    assert _members_json(capsys)["bob@acme.test"]["guide"] == "wait"
