"""Background tasks of the outbox."""

from __future__ import annotations

from django.tasks import task

from equipage.emails import outbox


@task()
def deliver_email(email_id: int) -> bool:
    """Send one mail from the outbox (retries are scheduled by ``outbox.deliver``)."""
    return outbox.deliver(email_id)


@task()
def deliver_emails(email_ids: list[int]) -> int:
    """Send a batch of mails queued together (a bulk action); returns how many went out."""
    return sum(1 for email_id in email_ids if outbox.deliver(email_id))
