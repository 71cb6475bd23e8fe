"""Delivery tracking webhooks (anymail, Postmark flavour): signed, matched by id, never stale."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from equipage.emails.models import DeliveryStatus, MailKind, OutboundEmail
from equipage.invitations.actions import invitations_create

URL = "/hooks/mail/postmark/tracking/"


@pytest.fixture
def postmark(settings: Any) -> None:
    settings.EQUIPAGE_ESP = "postmark"
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}


def _auth(secret: str = "hook:s3cret") -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def _bounce(message_id: str, email: str, at: dt.datetime, **extra: Any) -> str:
    return json.dumps(
        {
            "RecordType": "Bounce",
            "Type": "HardBounce",
            "ID": 42,
            "MessageID": message_id,
            "Email": email,
            "BouncedAt": at.isoformat(),
            **extra,
        }
    )


def _delivery(message_id: str, email: str, at: dt.datetime) -> str:
    return json.dumps(
        {
            "RecordType": "Delivery",
            "MessageID": message_id,
            "Recipient": email,
            "DeliveredAt": at.isoformat(),
        }
    )


def _invite(org: Any, admin: Any, address: str = "alice@acme.test") -> OutboundEmail:
    invitations_create(actor=admin, organization=org, emails=address)
    row = OutboundEmail.objects.get(to=address, kind=MailKind.INVITATION)
    OutboundEmail.objects.filter(pk=row.pk).update(esp_message_id=f"pm-{row.pk}")
    row.refresh_from_db()
    return row


def _guide(address: str) -> str:
    from equipage.accounts.models import Member
    from equipage.directory.listing import member_facts

    return member_facts([Member.objects.get(email=address)])[0]["guide"]


def test_signed_bounce_turns_the_envelope_orange_and_guide_check_email(
    postmark: None, org: Any, admin: Any, frozen_clock: Any
) -> None:
    mail = _invite(org, admin)
    body = _bounce(mail.esp_message_id, mail.to, frozen_clock.now)
    response = Client().post(URL, body, content_type="application/json", **_auth())
    assert response.status_code == 200
    mail.refresh_from_db()
    assert mail.delivery_status == DeliveryStatus.BOUNCED
    assert _guide(mail.to) == "check_email"


def test_bad_basic_auth_is_refused_and_changes_nothing(
    postmark: None, org: Any, admin: Any, frozen_clock: Any
) -> None:
    mail = _invite(org, admin)
    body = _bounce(mail.esp_message_id, mail.to, frozen_clock.now)
    response = Client().post(URL, body, content_type="application/json", **_auth("hook:wrong"))
    assert response.status_code == 400
    response = Client().post(URL, body, content_type="application/json")
    assert response.status_code == 400
    mail.refresh_from_db()
    assert mail.delivery_status == ""


def test_webhook_without_a_configured_secret_accepts_nothing(
    settings: Any, org: Any, admin: Any, frozen_clock: Any
) -> None:
    settings.EQUIPAGE_ESP = "postmark"
    settings.ANYMAIL = {}
    mail = _invite(org, admin)
    body = _bounce(mail.esp_message_id, mail.to, frozen_clock.now)
    assert Client().post(URL, body, content_type="application/json").status_code == 503
    mail.refresh_from_db()
    assert mail.delivery_status == ""


def test_other_providers_urls_do_not_exist(postmark: None) -> None:
    assert (
        Client()
        .post("/hooks/mail/sendgrid/tracking/", "[]", content_type="application/json")
        .status_code
        == 404
    )


def test_our_message_id_matches_when_the_provider_echoes_it(
    postmark: None, org: Any, admin: Any, frozen_clock: Any
) -> None:
    mail = _invite(org, admin)
    body = _delivery(mail.message_id, mail.to, frozen_clock.now)
    Client().post(URL, body, content_type="application/json", **_auth())
    mail.refresh_from_db()
    assert mail.delivery_status == DeliveryStatus.DELIVERED


def test_unknown_message_changes_nothing(
    postmark: None, org: Any, admin: Any, frozen_clock: Any
) -> None:
    mail = _invite(org, admin)
    body = _bounce("pm-unknown", mail.to, frozen_clock.now)
    assert Client().post(URL, body, content_type="application/json", **_auth()).status_code == 200
    assert not OutboundEmail.objects.exclude(delivery_status="").exists()


def test_event_naming_another_recipient_changes_nothing(
    postmark: None, org: Any, admin: Any, other_org: Any, other_admin: Any, frozen_clock: Any
) -> None:
    ours = _invite(org, admin)
    theirs = _invite(other_org, other_admin, "zoe@globex.test")
    body = _bounce(theirs.esp_message_id, ours.to, frozen_clock.now)
    Client().post(URL, body, content_type="application/json", **_auth())
    theirs.refresh_from_db()
    ours.refresh_from_db()
    assert theirs.delivery_status == "" and ours.delivery_status == ""


def test_replayed_and_stale_events_are_ignored(
    postmark: None, org: Any, admin: Any, frozen_clock: Any
) -> None:
    mail = _invite(org, admin)
    t0 = frozen_clock.now
    client = Client()
    client.post(
        URL, _bounce(mail.esp_message_id, mail.to, t0), content_type="application/json", **_auth()
    )
    # An older "delivered" arriving late must not turn the bounce back to delivered.
    older = _delivery(mail.esp_message_id, mail.to, t0 - dt.timedelta(minutes=5))
    client.post(URL, older, content_type="application/json", **_auth())
    # A replay of the same bounce changes nothing either.
    client.post(
        URL, _bounce(mail.esp_message_id, mail.to, t0), content_type="application/json", **_auth()
    )
    mail.refresh_from_db()
    assert mail.delivery_status == DeliveryStatus.BOUNCED and mail.delivery_at == t0
    # Events older than a month are refused outright.
    fresh = _invite(org, admin, "bob@acme.test")
    ancient = _bounce(fresh.esp_message_id, fresh.to, t0 - dt.timedelta(days=40))
    client.post(URL, ancient, content_type="application/json", **_auth())
    fresh.refresh_from_db()
    assert fresh.delivery_status == ""


def test_resending_after_a_bounce_clears_check_email(
    postmark: None, org: Any, admin: Any, frozen_clock: Any
) -> None:
    from equipage.accounts.models import Member
    from equipage.invitations.actions import invitations_resend

    mail = _invite(org, admin)
    Client().post(
        URL,
        _bounce(mail.esp_message_id, mail.to, frozen_clock.now),
        content_type="application/json",
        **_auth(),
    )
    assert _guide(mail.to) == "check_email"
    invitations_resend(actor=admin, organization=org, members=[Member.objects.get(email=mail.to)])
    assert _guide(mail.to) == "wait"
