"""Sending webhook deliveries whose task was lost or whose retry time has come."""

from __future__ import annotations

import datetime as dt

from equipage.core import clock
from equipage.core.housekeeping import periodic


@periodic
def send_lost_webhooks() -> int:
    """Send deliveries due for more than a minute (their task is gone or never enqueued) and
    those whose sender's lease lapsed (the worker died while sending)."""
    from django.db.models import Q

    from equipage.webhooks.delivery import deliver
    from equipage.webhooks.models import DeliveryStatus, WebhookDelivery

    now = clock.now()
    late = WebhookDelivery.objects.filter(
        Q(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now - dt.timedelta(minutes=1))
        | Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
    ).order_by("pk")
    return sum(1 for pk in late.values_list("pk", flat=True)[:1000] if deliver(pk))
