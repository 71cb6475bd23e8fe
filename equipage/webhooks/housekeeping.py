"""Sending webhook deliveries whose task was lost or whose retry time has come."""

from __future__ import annotations

from equipage.core.housekeeping import periodic


@periodic
def send_lost_webhooks() -> int:
    """Send deliveries due for more than a minute (their task is gone or never enqueued) and
    those whose sender's lease lapsed (the worker died while sending)."""
    from equipage.webhooks.delivery import QUEUE, deliver

    return sum(1 for pk in QUEUE.lost_ids() if deliver(pk))
