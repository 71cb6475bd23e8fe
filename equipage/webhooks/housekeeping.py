"""Sending webhook deliveries whose task was lost or whose retry time has come."""

from __future__ import annotations

import datetime as dt

from equipage.core import clock
from equipage.core.housekeeping import periodic


@periodic
def send_lost_webhooks() -> int:
    """Send deliveries due for more than a minute (their task is gone or never enqueued)."""
    from equipage.webhooks.delivery import deliver, due_ids
    from equipage.webhooks.models import WebhookDelivery

    late = set(
        WebhookDelivery.objects.filter(
            pk__in=due_ids(1000), next_attempt_at__lte=clock.now() - dt.timedelta(minutes=1)
        ).values_list("pk", flat=True)
    )
    return sum(1 for pk in sorted(late) if deliver(pk))
