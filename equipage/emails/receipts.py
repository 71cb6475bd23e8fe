"""What anymail's signature checks lack: a timestamp window and a replay cache.

anymail proves a tracking webhook came from the provider. It does not refuse
an old signature, and Mailgun signs only ``timestamp + token``, not the
body: one captured signature would authenticate any body, forever. Here a
signature that carries its signing time must be at most ``SIGNATURE_WINDOW``
away from our clock, and every signature (or signed event id) is accepted
once: a second request with it is either a harmless retry of the same body
(answered 200, applied nothing) or an attack (refused).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from anymail.exceptions import AnymailWebhookValidationFailure
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from equipage.core import clock
from equipage.emails.models import WebhookReceipt

SIGNATURE_WINDOW = dt.timedelta(minutes=5)
# Signatures without a time are remembered as long as their events would be taken.
UNTIMED_MEMORY = dt.timedelta(days=30)


@dataclass(frozen=True)
class Stamp:
    """The part of a signed request that must not be seen twice, and when it was signed."""

    value: str
    signed_at: dt.datetime | None


def _mailgun(request: HttpRequest) -> Stamp:
    if request.content_type == "application/json":
        block = json.loads(request.body.decode("utf-8"))["signature"]
        timestamp, signature = block["timestamp"], block["signature"]
    else:
        timestamp, signature = request.POST["timestamp"], request.POST["signature"]
    return Stamp(signature, _from_unix(timestamp))


def _svix(request: HttpRequest) -> Stamp:
    # Svix retries one event under one id with fresh signatures: the id is the event.
    return Stamp(request.headers["svix-id"], _from_unix(request.headers["svix-timestamp"]))


def _header(name: str) -> Callable[[HttpRequest], Stamp]:
    def stamp(request: HttpRequest) -> Stamp:
        return Stamp(request.headers[name], None)

    return stamp


def _sendgrid(request: HttpRequest) -> Stamp:
    prefix = "X-Twilio-Email-Event-Webhook-"
    return Stamp(
        request.headers[prefix + "Signature"], _from_unix(request.headers[prefix + "Timestamp"])
    )


STAMPS: dict[str, Callable[[HttpRequest], Stamp]] = {
    "mailgun": _mailgun,
    "resend": _svix,
    "sendgrid": _sendgrid,
    "mailersend": _header("Signature"),
    "mailtrap": _header("Mailtrap-Signature"),
    "postal": _header("X-Postal-Signature"),
}


def _from_unix(value: object) -> dt.datetime:
    return dt.datetime.fromtimestamp(float(str(value)), tz=dt.UTC)


def stamp_of(esp: str, request: HttpRequest) -> Stamp | None:
    """Return the signed request's stamp (``None`` for providers that do not sign).

    Raise ``AnymailWebhookValidationFailure`` (a 400) when it is missing,
    malformed or signed outside the window.
    """
    reader = STAMPS.get(esp)
    if reader is None:
        return None
    try:
        stamp = reader(request)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise AnymailWebhookValidationFailure(f"{esp} webhook without a usable signature") from exc
    if stamp.signed_at is not None and abs(clock.now() - stamp.signed_at) > SIGNATURE_WINDOW:
        raise AnymailWebhookValidationFailure(
            f"{esp} webhook signed more than {SIGNATURE_WINDOW} away from now: refused"
        )
    return stamp


def first_use(esp: str, stamp: Stamp, body: bytes) -> bool:
    """Record the stamp; tell whether this is its first use.

    Call inside the transaction that applies the events, so a request that
    fails leaves no record and the provider's retry is taken. Raise
    ``AnymailWebhookValidationFailure`` when the stamp comes back with another body.
    """
    key = hashlib.sha256(f"{esp}:{stamp.value}".encode()).hexdigest()
    digest = hashlib.sha256(body).hexdigest()
    now = clock.now()
    expires = stamp.signed_at + 2 * SIGNATURE_WINDOW if stamp.signed_at else now + UNTIMED_MEMORY
    try:
        with transaction.atomic():
            WebhookReceipt.objects.create(
                key=key, body_sha256=digest, received_at=now, expires_at=expires
            )
    except IntegrityError:
        seen = WebhookReceipt.objects.filter(key=key).values_list("body_sha256", flat=True).first()
        if seen != digest:
            raise AnymailWebhookValidationFailure(
                f"{esp} webhook signature already used for another body: refused"
            ) from None
        return False
    return True
