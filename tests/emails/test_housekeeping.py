"""Housekeeping hands a mail whose worker vanished to the next worker, once its lease lapsed."""

from __future__ import annotations

import logging
from typing import Any

from django.core import mail as django_mail

from equipage.emails.housekeeping import requeue_lost_mails
from equipage.emails.models import MailStatus, OutboundEmail
from equipage.emails.outbox import QUEUE, deliver


def test_mail_of_a_vanished_worker_is_requeued_after_its_lease_and_sent_with_its_message_id(
    org: Any, settings: Any, frozen_clock: Any, caplog: Any
) -> None:
    settings.EQUIPAGE_QUEUE_LEASE_SECONDS = 60
    mail = OutboundEmail.objects.get(organization=org, to="owner@acme.test")
    assert QUEUE.claim(mail.pk) is not None  # ...and the worker is killed
    frozen_clock.advance(seconds=30)
    assert requeue_lost_mails() == 0  # its lease still runs
    frozen_clock.advance(seconds=31)
    assert requeue_lost_mails() == 1
    with caplog.at_level(logging.WARNING, logger="equipage.emails.outbox"):
        assert deliver(mail.pk)
    assert "possibly sent by a vanished worker" in caplog.text
    assert "organization=acme" in caplog.text and mail.message_id in caplog.text
    [sent] = django_mail.outbox
    assert sent.extra_headers["Message-ID"] == mail.message_id
    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT and mail.claim_token == ""
    assert requeue_lost_mails() == 0
