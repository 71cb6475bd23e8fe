"""Signing and sending webhook deliveries; failures are retried with backoff, never lost."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from urllib.parse import urlsplit

from equipage.core import clock
from equipage.emails.leasing import LeasedQueue
from equipage.webhooks import transport
from equipage.webhooks.models import DeliveryStatus, WebhookDelivery

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Equipage-Signature"
MAX_ATTEMPTS = 10
MAX_BACKOFF = dt.timedelta(hours=6)


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


QUEUE = LeasedQueue(
    WebhookDelivery,
    queued=DeliveryStatus.QUEUED,
    sending=DeliveryStatus.SENDING,
    done=DeliveryStatus.DELIVERED,
    max_backoff=MAX_BACKOFF,
)


def deliver(delivery_id: int) -> bool:
    """Send one due delivery; on failure schedule the next try or give up after MAX_ATTEMPTS."""
    claim = QUEUE.claim(delivery_id)
    if claim is None:
        return False
    delivery = WebhookDelivery.objects.select_related("endpoint", "organization").get(
        pk=delivery_id
    )
    endpoint = delivery.endpoint
    if claim.resumed:
        log.warning(
            "webhook delivery possibly sent by a vanished worker: sending it again, same "
            "Equipage-Delivery id (organization=%s endpoint=%s delivery=%s)",
            delivery.organization.slug,
            endpoint.pk,
            delivery.event_id,
        )
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
        with claim.heartbeat():
            status = transport.post(endpoint.url, body, headers)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
    attempts = delivery.attempts + 1
    if status is not None and 200 <= status < 300:
        return claim.succeed(
            attempts=attempts, response_status=status, delivered_at=clock.now(), last_error=""
        )
    if not error:
        error = f"HTTP {status}"  # a 3xx too: redirects are not followed
    give_up = attempts >= MAX_ATTEMPTS or not endpoint.active
    next_at = clock.now() + QUEUE.backoff(attempts)
    released = claim.release(
        status=DeliveryStatus.FAILED if give_up else DeliveryStatus.QUEUED,
        attempts=attempts,
        response_status=status,
        last_error=error,
        **({} if give_up else {"next_attempt_at": next_at}),
    )
    log.warning(
        "webhook delivery %s (organization=%s endpoint=%s host=%s event=%s delivery=%s, "
        "attempt %d): %s",
        "failed for good" if give_up else "failed, will retry",
        delivery.organization.slug,
        endpoint.pk,
        urlsplit(endpoint.url).hostname,
        delivery.event,
        delivery.event_id,
        attempts,
        error,
        extra={
            "organization": delivery.organization.slug,
            "endpoint": endpoint.pk,
            "delivery": delivery.event_id,
            "attempt": attempts,
        },
    )
    if released and not give_up:
        enqueue(delivery.pk, run_after=next_at)
    return False


def due_ids(limit: int = 500) -> list[int]:
    """Return ids of deliveries to send now (queued and due, or whose lease lapsed)."""
    return QUEUE.due_ids(limit)


def deliver_due(limit: int = 500) -> int:
    """Send every due delivery now, in this process; returns how many succeeded."""
    return sum(1 for pk in due_ids(limit) if deliver(pk))
