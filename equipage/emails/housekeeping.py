"""Re-enqueue mails whose task was lost (a crash between commit and enqueue)."""

from __future__ import annotations

import datetime as dt

from equipage.core import clock
from equipage.core.housekeeping import periodic
from equipage.emails.models import MailStatus, OutboundEmail
from equipage.emails.outbox import STALE_CLAIM, _enqueue


@periodic
def requeue_lost_mails() -> int:
    """Enqueue a delivery for every mail due for more than a minute (its task is gone)."""
    from django.db.models import Q

    now = clock.now()
    ids = list(
        OutboundEmail.objects.filter(
            Q(status=MailStatus.QUEUED, next_attempt_at__lte=now - dt.timedelta(minutes=1))
            | Q(status=MailStatus.SENDING, claimed_at__lt=now - STALE_CLAIM)
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in ids:
        _enqueue(pk)
    return len(ids)
