"""Signed tracking webhooks (Mailgun flavour): a signature is good for five minutes, and once.

Mailgun signs ``timestamp + token``, not the body. The attacks of issue #13:
a signature captured a week ago, and one captured signature sent again with a
body naming another mail, must both bounce nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from typing import Any

import pytest
from django.test import Client

from equipage.emails.housekeeping import forget_expired_webhook_receipts
from equipage.emails.models import DeliveryStatus, MailKind, OutboundEmail, WebhookReceipt
from equipage.invitations.actions import invitations_create

URL = "/hooks/mail/mailgun/tracking/"
KEY = "mailgun-signing-key-0123456789"


@pytest.fixture
def mailgun(settings: Any) -> None:
    settings.EQUIPAGE_ESP = "mailgun"
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": KEY}


def _signature(at: dt.datetime, key: str = KEY) -> dict[str, str]:
    timestamp, token = str(int(at.timestamp())), secrets.token_hex(25)
    mac = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"timestamp": timestamp, "token": token, "signature": mac}


def _bounce(signature: dict[str, str], mail: OutboundEmail, at: dt.datetime) -> str:
    return json.dumps(
        {
            "signature": signature,
            "event-data": {
                "event": "failed",
                "severity": "permanent",
                "timestamp": at.timestamp(),
                "recipient": mail.to,
                "user-variables": {"equipage_message_id": mail.message_id},
            },
        }
    )


def _post(body: str) -> int:
    return Client().post(URL, body, content_type="application/json").status_code


def _invite(org: Any, admin: Any, address: str) -> OutboundEmail:
    invitations_create(actor=admin, organization=org, emails=address)
    return OutboundEmail.objects.get(to=address, kind=MailKind.INVITATION)


def _status(mail: OutboundEmail) -> str:
    mail.refresh_from_db()
    return mail.delivery_status


def test_fresh_mailgun_signature_bounces_the_mail_it_names(
    mailgun: None, org: Any, admin: Any, frozen_clock: Any
) -> None:
    mail = _invite(org, admin, "alice@acme.test")
    now = frozen_clock.now
    assert _post(_bounce(_signature(now - dt.timedelta(minutes=4)), mail, now)) == 200
    assert _status(mail) == DeliveryStatus.BOUNCED


def test_mailgun_signature_seven_days_old_is_refused_even_with_a_fresh_event(
    mailgun: None, org: Any, admin: Any, frozen_clock: Any
) -> None:
    mail = _invite(org, admin, "alice@acme.test")
    now = frozen_clock.now
    # The attacker kept a week-old signature and writes today's event around it.
    assert _post(_bounce(_signature(now - dt.timedelta(days=7)), mail, now)) == 400
    assert _post(_bounce(_signature(now - dt.timedelta(minutes=6)), mail, now)) == 400
    assert _post(_bounce(_signature(now + dt.timedelta(minutes=6)), mail, now)) == 400
    assert _status(mail) == ""


def test_captured_mailgun_signature_reused_with_a_new_body_bounces_no_second_mail(
    mailgun: None, org: Any, admin: Any, frozen_clock: Any
) -> None:
    alice = _invite(org, admin, "alice@acme.test")
    bob = _invite(org, admin, "bob@acme.test")
    now = frozen_clock.now
    captured = _signature(now)
    assert _post(_bounce(captured, alice, now)) == 200
    assert _status(alice) == DeliveryStatus.BOUNCED
    # Within the five minutes, the same signature around a body naming Bob's mail.
    frozen_clock.advance(seconds=30)
    assert _post(_bounce(captured, bob, frozen_clock.now)) == 400
    assert _status(bob) == ""


def test_provider_retry_of_the_same_signed_body_is_answered_ok_and_applied_once(
    mailgun: None, org: Any, admin: Any, frozen_clock: Any
) -> None:
    mail = _invite(org, admin, "alice@acme.test")
    now = frozen_clock.now
    body = _bounce(_signature(now), mail, now)
    assert _post(body) == 200
    assert WebhookReceipt.objects.count() == 1
    OutboundEmail.objects.filter(pk=mail.pk).update(delivery_status="", delivery_at=None)
    assert _post(body) == 200  # the provider did not get our first answer: no error...
    assert _status(mail) == ""  # ...and nothing applied a second time


def test_wrong_mailgun_signature_is_refused_and_leaves_no_receipt(
    mailgun: None, org: Any, admin: Any, frozen_clock: Any
) -> None:
    mail = _invite(org, admin, "alice@acme.test")
    now = frozen_clock.now
    assert _post(_bounce(_signature(now, key="not-the-key"), mail, now)) == 400
    assert _post(json.dumps({"event-data": {"event": "failed"}})) == 400
    assert _status(mail) == "" and not WebhookReceipt.objects.exists()


def test_legacy_form_mailgun_webhook_is_held_to_the_same_window(
    mailgun: None, org: Any, admin: Any, frozen_clock: Any
) -> None:
    mail = _invite(org, admin, "alice@acme.test")
    old = _signature(frozen_clock.now - dt.timedelta(days=7))
    form = {**old, "event": "bounced", "recipient": mail.to, "Message-Id": mail.message_id}
    assert Client().post(URL, form).status_code == 400
    assert _status(mail) == ""
    fresh = {**form, **_signature(frozen_clock.now)}
    assert Client().post(URL, fresh).status_code == 200


def test_housekeeping_forgets_receipts_once_their_signature_has_expired(
    mailgun: None, org: Any, admin: Any, frozen_clock: Any
) -> None:
    mail = _invite(org, admin, "alice@acme.test")
    now = frozen_clock.now
    body = _bounce(_signature(now), mail, now)
    assert _post(body) == 200
    assert forget_expired_webhook_receipts() == 0
    frozen_clock.advance(minutes=11)
    assert forget_expired_webhook_receipts() == 1
    # Forgotten, but the signature is now far too old to be taken again.
    assert _post(body) == 400


MAILERSEND_SECRET = "mailersend-signing-secret"


def _mailersend_bounce(mail: OutboundEmail, at: dt.datetime) -> tuple[bytes, str]:
    body = json.dumps(
        {
            "type": "activity.hard_bounced",
            "data": {
                "id": secrets.token_hex(12),
                "type": "hard_bounced",
                "created_at": at.isoformat(),
                "email": {"message": {"id": mail.esp_message_id}, "recipient": {"email": mail.to}},
            },
        }
    ).encode()
    return body, hmac.new(MAILERSEND_SECRET.encode(), body, hashlib.sha256).hexdigest()


def test_mailersend_signed_webhook_set_up_from_the_environment_names_is_taken_once(
    settings: Any, org: Any, admin: Any, frozen_clock: Any
) -> None:
    settings.EQUIPAGE_ESP = "mailersend"
    # What settings.py builds from EQUIPAGE_ESP_SIGNING_KEY.
    settings.ANYMAIL = {settings.EQUIPAGE_ESP_SIGNING_KEY_SETTINGS["mailersend"]: MAILERSEND_SECRET}
    mail = _invite(org, admin, "alice@acme.test")
    OutboundEmail.objects.filter(pk=mail.pk).update(esp_message_id="ms-1")
    mail.refresh_from_db()
    body, signature = _mailersend_bounce(mail, frozen_clock.now)
    url = "/hooks/mail/mailersend/tracking/"

    def post(data: bytes, sig: str) -> int:
        return (
            Client()
            .post(url, data, content_type="application/json", HTTP_SIGNATURE=sig)
            .status_code
        )

    assert post(body, signature) == 200
    assert _status(mail) == DeliveryStatus.BOUNCED
    OutboundEmail.objects.filter(pk=mail.pk).update(delivery_status="", delivery_at=None)
    assert post(body, signature) == 200  # the same signed request again: applied nothing
    assert _status(mail) == ""
    assert post(body.replace(b"ms-1", b"ms-2"), signature) == 400  # anymail: wrong signature
