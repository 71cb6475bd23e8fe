"""Re-enqueue mails whose task was lost (a crash between commit and enqueue, a dead worker)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from equipage.core import clock
from equipage.core.housekeeping import periodic
from equipage.emails.models import MailStatus, OutboundEmail, WebhookReceipt
from equipage.emails.outbox import _enqueue


@periodic
def requeue_lost_mails() -> int:
    """Enqueue a delivery for every mail due for more than a minute, or whose sender's lease
    lapsed (the worker died, possibly while sending: the mail goes again, same Message-ID)."""
    now = clock.now()
    ids = list(
        OutboundEmail.objects.filter(
            Q(status=MailStatus.QUEUED, next_attempt_at__lte=now - dt.timedelta(minutes=1))
            | Q(status=MailStatus.SENDING, lease_until__lt=now)
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in ids:
        _enqueue(pk)
    return len(ids)


@periodic
def forget_expired_webhook_receipts() -> int:
    """Delete replay-cache rows of signatures that would be refused as too old anyway."""
    deleted, _ = WebhookReceipt.objects.filter(expires_at__lt=clock.now()).delete()
    return deleted
