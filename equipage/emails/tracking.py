"""Delivery tracking (seed 003's envelopes): the ESP's signed webhooks mark mails delivered,
bounced or complained.

Provider, basic-auth secret and signing key come from the environment
(``EQUIPAGE_ESP``, ``EQUIPAGE_ESP_WEBHOOK_SECRET``, ``EQUIPAGE_ESP_SIGNING_KEY``);
django-anymail verifies and normalises the events. An event changes at most
the one mail it names by id: unknown ids, other recipients, replays and
events older than what we already know change nothing. A signature is taken
only within five minutes of its time and only once (``receipts``).
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from equipage.core import clock
from equipage.emails import receipts
from equipage.emails.models import DeliveryStatus, OutboundEmail
from equipage.emails.outbox import METADATA_KEY

log = logging.getLogger(__name__)

# anymail's tracking view of each provider we accept (module, class).
TRACKING_VIEWS: dict[str, tuple[str, str]] = {
    "amazon_ses": ("anymail.webhooks.amazon_ses", "AmazonSESTrackingWebhookView"),
    "brevo": ("anymail.webhooks.brevo", "BrevoTrackingWebhookView"),
    "mailersend": ("anymail.webhooks.mailersend", "MailerSendTrackingWebhookView"),
    "mailgun": ("anymail.webhooks.mailgun", "MailgunTrackingWebhookView"),
    "mailjet": ("anymail.webhooks.mailjet", "MailjetTrackingWebhookView"),
    "mailtrap": ("anymail.webhooks.mailtrap", "MailtrapTrackingWebhookView"),
    "postal": ("anymail.webhooks.postal", "PostalTrackingWebhookView"),
    "postmark": ("anymail.webhooks.postmark", "PostmarkTrackingWebhookView"),
    "resend": ("anymail.webhooks.resend", "ResendTrackingWebhookView"),
    "sendgrid": ("anymail.webhooks.sendgrid", "SendGridTrackingWebhookView"),
    "sparkpost": ("anymail.webhooks.sparkpost", "SparkPostTrackingWebhookView"),
}

_STATUS = {
    "delivered": DeliveryStatus.DELIVERED,
    "bounced": DeliveryStatus.BOUNCED,
    "rejected": DeliveryStatus.BOUNCED,
    "failed": DeliveryStatus.BOUNCED,
    "complained": DeliveryStatus.COMPLAINED,
}

# Events older than this are replays or lost in transit; they change nothing.
MAX_EVENT_AGE = dt.timedelta(days=30)


def _signed(esp: str) -> bool:
    """Tell whether the provider's signing key is configured (its signature is then checked)."""
    conf = getattr(settings, "ANYMAIL", {}) or {}
    names = getattr(settings, "EQUIPAGE_ESP_SIGNING_KEY_SETTINGS", {})
    return bool(conf.get(names.get(esp, "-")))


def _configured(esp: str) -> bool:
    conf = getattr(settings, "ANYMAIL", {}) or {}
    # Never accept unauthenticated events: anymail would only warn.
    return bool(conf.get("WEBHOOK_SECRET") or _signed(esp))


def _find(event: Any) -> OutboundEmail | None:
    metadata = getattr(event, "metadata", None) or {}
    ours = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    if ours:
        return OutboundEmail.objects.filter(message_id=str(ours)).first()
    esp_id = str(getattr(event, "message_id", "") or "").strip()
    if not esp_id:
        return None
    found = OutboundEmail.objects.filter(esp_message_id=esp_id).first()
    if found is None:
        bare = esp_id.strip("<>")
        found = OutboundEmail.objects.filter(message_id=f"<{bare}>").first()
    return found


def apply_event(event: Any) -> bool:
    """Record one normalised anymail tracking event; tell whether it changed a mail."""
    status = _STATUS.get(str(getattr(event, "event_type", "")))
    if status is None:
        return False
    at = getattr(event, "timestamp", None) or clock.now()
    if at < clock.now() - MAX_EVENT_AGE:
        return False
    with transaction.atomic():
        email = _find(event)
        if email is None:
            return False
        email = OutboundEmail.objects.select_for_update().get(pk=email.pk)
        recipient = str(getattr(event, "recipient", "") or "")
        if recipient and recipient.lower() != email.to.lower():
            return False
        if email.delivery_at is not None and at <= email.delivery_at:
            return False  # a replay, or older than what we already know
        email.delivery_status = status
        email.delivery_at = at
        email.save(update_fields=["delivery_status", "delivery_at"])
    return True


@functools.cache
def _view_class(esp: str) -> type:
    module, name = TRACKING_VIEWS[esp]
    base = getattr(importlib.import_module(module), name)

    class TrackingView(base):  # type: ignore[misc, valid-type]
        def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            body = request.body  # read first: a multipart form can be read only once
            self.run_validators(request)  # anymail: basic auth and the provider's signature
            stamp = receipts.stamp_of(esp, request) if _signed(esp) else None  # its window
            with transaction.atomic():
                if stamp is not None and not receipts.first_use(esp, stamp, body):
                    log.info("%s tracking webhook: a retry already applied", esp)
                    return HttpResponse()
                changed = sum(1 for event in self.parse_events(request) if apply_event(event))
            log.info("%s tracking webhook: %d mail(s) updated", esp, changed)
            return HttpResponse()

    return TrackingView


@csrf_exempt
def tracking_webhook(request: HttpRequest, esp: str) -> HttpResponse:
    """Receive the configured provider's tracking webhook; anything else is a 404."""
    configured = getattr(settings, "EQUIPAGE_ESP", "")
    if not configured or esp != configured or esp not in TRACKING_VIEWS:
        raise Http404("no such webhook")
    if not _configured(esp):
        return HttpResponse("tracking webhook secret not configured", status=503)
    view = _view_class(esp).as_view()  # type: ignore[attr-defined]
    return view(request)  # type: ignore[no-any-return]
