"""Housekeeping sends a webhook delivery whose worker vanished, once its lease lapsed."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from equipage.webhooks.actions import webhook_create
from equipage.webhooks.delivery import QUEUE
from equipage.webhooks.housekeeping import send_lost_webhooks
from equipage.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.webhooks.test_webhooks import Receiver


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.EQUIPAGE_WEBHOOKS_ALLOW_PRIVATE = True
    r = Receiver()
    yield r
    r.stop()


def test_delivery_of_a_vanished_worker_is_sent_again_after_its_lease_with_the_same_id(
    org: Any, admin: Any, receiver: Receiver, settings: Any, frozen_clock: Any, caplog: Any
) -> None:
    from equipage.accounts.actions import member_update

    settings.EQUIPAGE_QUEUE_LEASE_SECONDS = 60
    webhook_create(actor=admin, organization=org, url=receiver.url, events=["member.updated"])
    member_update(actor=admin, member=admin, job_title="Boss")
    delivery = WebhookDelivery.objects.get()
    assert QUEUE.claim(delivery.pk) is not None  # ...and the worker is killed mid-request
    frozen_clock.advance(seconds=59)
    assert send_lost_webhooks() == 0
    frozen_clock.advance(seconds=2)
    with caplog.at_level(logging.WARNING, logger="equipage.webhooks.delivery"):
        assert send_lost_webhooks() == 1
    assert (
        "possibly sent by a vanished worker" in caplog.text and "organization=acme" in caplog.text
    )
    [request] = receiver.requests
    assert request["headers"]["Equipage-Delivery"] == delivery.event_id
    assert json.loads(request["body"])["id"] == delivery.event_id
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
