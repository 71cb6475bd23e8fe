"""Background tasks of the outbox."""

from __future__ import annotations

from django.tasks import task

from equipage.emails import outbox


@task()
def deliver_email(email_id: int) -> bool:
    """Send one mail from the outbox (retries are scheduled by ``outbox.deliver``)."""
    return outbox.deliver(email_id)
