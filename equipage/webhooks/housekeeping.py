"""Sending webhook deliveries whose task was lost or whose retry time has come."""

from __future__ import annotations

from equipage.core.housekeeping import periodic
from equipage.organizations.retention import forget_older
from equipage.webhooks.models import DeliveryStatus, WebhookDelivery


@periodic
def send_lost_webhooks() -> int:
    """Send deliveries due for more than a minute (their task is gone or never enqueued) and
    those whose sender's lease lapsed (the worker died while sending)."""
    from equipage.webhooks.delivery import QUEUE, deliver

    return sum(1 for pk in QUEUE.lost_ids() if deliver(pk))


@periodic
def forget_old_deliveries() -> int:
    """Delete delivered or failed deliveries older than the organization keeps their log."""
    return forget_older(
        WebhookDelivery.objects.filter(
            status__in=(DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)
        ),
        days_field="webhook_log_retention_days",
        date_field="created_at",
    )
