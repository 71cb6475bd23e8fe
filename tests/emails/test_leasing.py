"""Claims under a lease: one holder at a time, taken over when it lapses, late writers fenced."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from equipage.emails.models import MailStatus, OutboundEmail
from equipage.emails.outbox import QUEUE


@pytest.fixture
def mail(org: Any) -> OutboundEmail:
    """The owner's set-password mail, queued when the organization was created."""
    return OutboundEmail.objects.get(organization=org, to="owner@acme.test")


def test_a_live_lease_keeps_every_other_worker_off(
    mail: OutboundEmail, settings: Any, frozen_clock: Any
) -> None:
    settings.EQUIPAGE_QUEUE_LEASE_SECONDS = 60
    first = QUEUE.claim(mail.pk)
    assert first is not None and not first.resumed
    assert QUEUE.claim(mail.pk) is None
    assert mail.pk not in QUEUE.due_ids()
    frozen_clock.advance(seconds=59)
    assert QUEUE.claim(mail.pk) is None


def test_a_lapsed_lease_is_taken_over_and_marked_as_possibly_sent(
    mail: OutboundEmail, settings: Any, frozen_clock: Any
) -> None:
    settings.EQUIPAGE_QUEUE_LEASE_SECONDS = 60
    assert QUEUE.claim(mail.pk) is not None  # ...and its worker dies
    frozen_clock.advance(seconds=61)
    assert mail.pk in QUEUE.due_ids()
    second = QUEUE.claim(mail.pk)
    assert second is not None and second.resumed


def test_a_worker_that_lost_its_lease_cannot_reschedule_the_new_holders_mail(
    mail: OutboundEmail, settings: Any, frozen_clock: Any
) -> None:
    settings.EQUIPAGE_QUEUE_LEASE_SECONDS = 60
    slow = QUEUE.claim(mail.pk)
    frozen_clock.advance(seconds=61)
    new = QUEUE.claim(mail.pk)
    assert slow is not None and new is not None
    assert not slow.release(status=MailStatus.QUEUED, last_error="late")
    assert not slow.renew()
    assert new.renew()
    # A success is a fact whoever holds the row; it is recorded once.
    assert slow.succeed(attempts=1)
    assert not new.succeed(attempts=2)
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.last_error) == (MailStatus.SENT, 1, "")
    assert mail.claim_token == "" and mail.lease_until is None


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_the_lease_while_the_sender_works(
    mail: OutboundEmail, settings: Any
) -> None:
    settings.EQUIPAGE_QUEUE_LEASE_SECONDS = 1  # renewed every 0.25 s
    claim = QUEUE.claim(mail.pk)
    assert claim is not None
    first = OutboundEmail.objects.get(pk=mail.pk).lease_until
    with claim.heartbeat():
        time.sleep(1.6)  # longer than the lease
        assert QUEUE.claim(mail.pk) is None  # still ours
        renewed = OutboundEmail.objects.get(pk=mail.pk).lease_until
    assert first is not None and renewed is not None and renewed > first
    time.sleep(1.1)  # the heartbeat stopped with the sender: the lease lapses
    assert QUEUE.claim(mail.pk) is not None


@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_one_mail_give_it_to_exactly_one(mail: OutboundEmail) -> None:
    from django.db import connection

    barrier = threading.Barrier(6)
    claims: list[object] = []

    def worker() -> None:
        try:
            barrier.wait()
            claims.append(QUEUE.claim(mail.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(claims) == 6
    assert sum(1 for c in claims if c is not None) == 1
