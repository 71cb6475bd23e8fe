"""Background tasks sending webhook deliveries."""

from __future__ import annotations

from django.tasks import task

from equipage.webhooks import delivery


@task()
def deliver_webhook(delivery_id: int) -> bool:
    """Send one webhook delivery (retries are scheduled by ``delivery.deliver``)."""
    return delivery.deliver(delivery_id)


@task()
def deliver_due_webhooks() -> int:
    """Send every due delivery (used after actions that emit many events at once)."""
    return delivery.deliver_due(limit=5000)
