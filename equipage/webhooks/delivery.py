"""Signing and sending webhook deliveries; failures are retried with backoff, never lost."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q

from equipage.core import clock
from equipage.webhooks.models import DeliveryStatus, WebhookDelivery

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Equipage-Signature"
MAX_ATTEMPTS = 10
MAX_BACKOFF = dt.timedelta(hours=6)
STALE_CLAIM = dt.timedelta(minutes=10)
TIMEOUT_SECONDS = 10


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the signature header value ``t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">``.

    The timestamp is inside the signed text, so a receiver can refuse old
    replays; it should compare with ``hmac.compare_digest``.
    """
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, header: str, body: bytes, tolerance: int = 300, now: int | None = None
) -> bool:
    """Tell whether ``header`` signs ``body`` with ``secret`` within ``tolerance`` seconds."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    current = now if now is not None else int(clock.now().timestamp())
    if abs(current - timestamp) > tolerance:
        return False
    return hmac.compare_digest(
        sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}"
    )


def backoff(attempts: int) -> dt.timedelta:
    """Return the wait before the next try: 30 s, 1 min, 2 min, ... capped at six hours."""
    return min(dt.timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def enqueue(delivery_id: int, run_after: dt.datetime | None = None) -> None:
    from equipage.webhooks.tasks import deliver_webhook

    try:
        task = deliver_webhook.using(run_after=run_after) if run_after else deliver_webhook
        task.enqueue(delivery_id)
    except Exception:
        log.exception("could not enqueue webhook %s; the sweep will retry", delivery_id)


def enqueue_sweep() -> None:
    from equipage.webhooks.tasks import deliver_due_webhooks

    try:
        deliver_due_webhooks.enqueue()
    except Exception:
        log.exception("could not enqueue the webhook sweep; housekeeping will run it")


def _claim(delivery_id: int) -> WebhookDelivery | None:
    now = clock.now()
    claimed = WebhookDelivery.objects.filter(
        Q(status=DeliveryStatus.QUEUED)
        | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM),
        pk=delivery_id,
        next_attempt_at__lte=now,
    ).update(status=DeliveryStatus.SENDING, claimed_at=now)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def _refuse_private(url: str) -> None:
    """Refuse loopback, private and link-local targets unless the operator allows them."""
    if getattr(settings, "EQUIPAGE_WEBHOOKS_ALLOW_PRIVATE", False):
        return
    host = urlsplit(url).hostname or ""
    for info in socket.getaddrinfo(host, None):
        address = ipaddress.ip_address(info[4][0])
        if (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
        ):
            raise PermissionError(f"{host} resolves to a private address ({address})")


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    _refuse_private(url)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def deliver(delivery_id: int) -> bool:
    """Send one due delivery; on failure schedule the next try or give up after MAX_ATTEMPTS."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return False
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(clock.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Equipage-Webhooks/1",
        "Equipage-Event": delivery.event,
        "Equipage-Delivery": delivery.event_id,
        SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
    }
    status: int | None = None
    error = ""
    try:
        status = _post(endpoint.url, body, headers)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
    attempts = delivery.attempts + 1
    if status is not None and 200 <= status < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.DELIVERED,
            attempts=attempts,
            response_status=status,
            delivered_at=clock.now(),
            last_error="",
            claimed_at=None,
        )
        return True
    if not error:
        error = f"HTTP {status}"
    if attempts >= MAX_ATTEMPTS or not endpoint.active:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED,
            attempts=attempts,
            response_status=status,
            last_error=error,
            claimed_at=None,
        )
        return False
    next_at = clock.now() + backoff(attempts)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.QUEUED,
        attempts=attempts,
        response_status=status,
        last_error=error,
        next_attempt_at=next_at,
        claimed_at=None,
    )
    log.warning("webhook %s failed (attempt %s): %s", delivery.pk, attempts, error)
    enqueue(delivery.pk, run_after=next_at)
    return False


def due_ids(limit: int = 500) -> list[int]:
    now = clock.now()
    return list(
        WebhookDelivery.objects.filter(
            Q(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def deliver_due(limit: int = 500) -> int:
    """Send every due delivery now, in this process; returns how many succeeded."""
    return sum(1 for pk in due_ids(limit) if deliver(pk))
