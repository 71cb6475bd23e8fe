"""Re-enqueue mails whose task was lost (a crash between commit and enqueue, a dead worker)."""

from __future__ import annotations

from equipage.core import clock
from equipage.core.housekeeping import periodic
from equipage.emails.models import MailStatus, OutboundEmail, WebhookReceipt
from equipage.emails.outbox import QUEUE, _enqueue
from equipage.organizations.retention import forget_older


@periodic
def requeue_lost_mails() -> int:
    """Enqueue a delivery for every mail due for more than a minute, or whose sender's lease
    lapsed (the worker died, possibly while sending: the mail goes again, same Message-ID)."""
    ids = QUEUE.lost_ids()
    for pk in ids:
        _enqueue(pk)
    return len(ids)


@periodic
def forget_expired_webhook_receipts() -> int:
    """Delete replay-cache rows of signatures that would be refused as too old anyway."""
    deleted, _ = WebhookReceipt.objects.filter(expires_at__lt=clock.now()).delete()
    return deleted


@periodic
def forget_old_mails() -> int:
    """Delete sent mails older than the organization keeps them (organizations.retention)."""
    return forget_older(
        OutboundEmail.objects.filter(status=MailStatus.SENT),
        days_field="mail_retention_days",
        date_field="created_at",
    )
