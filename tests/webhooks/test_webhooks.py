"""Outgoing webhooks: emitted from audit events, signed, retried, scoped to their organization."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from equipage.core.errors import NotFound, PermissionDenied, ValidationFailed
from equipage.webhooks.actions import webhook_create, webhook_delete, webhook_update
from equipage.webhooks.delivery import SIGNATURE_HEADER, deliver_due, verify
from equipage.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

ALL = [
    "member.created",
    "member.invited",
    "member.activated",
    "member.updated",
    "member.deactivated",
    "member.reactivated",
    "member.deleted",
    "invitation.expired",
]


class Receiver:
    """A local HTTP endpoint that records requests and answers with scripted status codes."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.EQUIPAGE_WEBHOOKS_ALLOW_PRIVATE = True
    r = Receiver()
    yield r
    r.stop()


def test_admin_adds_an_endpoint_and_audit_records_it(
    org: Any, admin: Any, audit_events: Any
) -> None:
    endpoint = webhook_create(
        actor=admin, organization=org, url="https://hooks.example.com/x", events=ALL
    )
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    assert "webhook.created" in audit_events()


def test_user_admin_cannot_manage_webhooks(org: Any, user_admin: Any) -> None:
    with pytest.raises(PermissionDenied):
        webhook_create(actor=user_admin, organization=org, url="https://h.example.com", events=ALL)


def test_other_tenant_cannot_change_an_endpoint(org: Any, admin: Any, other_admin: Any) -> None:
    endpoint = webhook_create(
        actor=admin, organization=org, url="https://h.example.com", events=ALL
    )
    with pytest.raises(NotFound):
        webhook_update(actor=other_admin, endpoint=endpoint, active=False)
    with pytest.raises(NotFound):
        webhook_delete(actor=other_admin, endpoint=endpoint)


def test_endpoint_url_and_events_are_validated(org: Any, admin: Any) -> None:
    with pytest.raises(ValidationFailed):
        webhook_create(actor=admin, organization=org, url="ftp://x", events=ALL)
    with pytest.raises(ValidationFailed):
        webhook_create(actor=admin, organization=org, url="https://h.example.com", events=["nope"])


def test_member_lifecycle_is_delivered_signed_to_the_receiver(
    org: Any, admin: Any, receiver: Receiver, frozen_clock: Any
) -> None:
    from equipage.accounts.actions import member_deactivate, member_reactivate, member_update
    from equipage.invitations.actions import invitation_accept, invitations_create

    endpoint = webhook_create(actor=admin, organization=org, url=receiver.url, events=ALL)
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    from equipage.emails.models import OutboundEmail

    raw = OutboundEmail.objects.get(to="alice@acme.test").body_text.split("/join/")[1].split("/")[0]
    alice = invitation_accept(
        organization=org,
        raw_token=raw,
        first_name="Alice",
        last_name="M",
        password="Correct-horse-42",
    )
    member_update(actor=admin, member=alice, job_title="Chef")
    member_deactivate(actor=admin, member=alice)
    member_reactivate(actor=admin, member=alice)
    assert deliver_due() == 6
    types = [json.loads(r["body"])["type"] for r in receiver.requests]
    assert types == [
        "member.created",
        "member.invited",
        "member.activated",
        "member.updated",
        "member.deactivated",
        "member.reactivated",
    ]
    first = receiver.requests[0]
    header = first["headers"][SIGNATURE_HEADER]
    assert verify(endpoint.secret, header, first["body"])
    assert not verify("whsec_wrong", header, first["body"])
    assert not verify(endpoint.secret, header, first["body"] + b" ")
    payload = json.loads(first["body"])
    assert payload["organization"] == "acme"
    assert payload["data"]["member"]["email"] == "alice@acme.test"


def test_old_signatures_are_refused_by_verify(org: Any, admin: Any) -> None:
    from equipage.webhooks.delivery import sign

    header = sign("whsec_k", 1_000_000, b"{}")
    assert verify("whsec_k", header, b"{}", now=1_000_100)
    assert not verify("whsec_k", header, b"{}", now=1_000_000 + 301)


def test_failed_delivery_is_retried_with_backoff_until_it_succeeds(
    org: Any, admin: Any, receiver: Receiver, frozen_clock: Any
) -> None:
    from equipage.accounts.actions import member_update

    webhook_create(actor=admin, organization=org, url=receiver.url, events=["member.updated"])
    receiver.statuses = [500, 503]
    member_update(actor=admin, member=admin, job_title="Boss")
    assert deliver_due() == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.QUEUED and delivery.response_status == 500
    assert deliver_due() == 0  # not due yet: backoff
    frozen_clock.advance(seconds=31)
    assert deliver_due() == 0  # 503
    frozen_clock.advance(seconds=61)
    assert deliver_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3
    bodies = {r["body"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(bodies) == 1  # same event, same id


def test_unreachable_endpoint_keeps_the_delivery_queued(
    org: Any, admin: Any, settings: Any
) -> None:
    from equipage.accounts.actions import member_update

    settings.EQUIPAGE_WEBHOOKS_ALLOW_PRIVATE = True
    webhook_create(actor=admin, organization=org, url="http://127.0.0.1:9/x", events=ALL)
    member_update(actor=admin, member=admin, job_title="Boss")
    assert deliver_due() == 0
    d = WebhookDelivery.objects.get()
    assert d.status == DeliveryStatus.QUEUED and d.last_error


def test_private_addresses_are_refused_unless_allowed(
    org: Any, admin: Any, receiver: Receiver, settings: Any
) -> None:
    from equipage.accounts.actions import member_update

    settings.EQUIPAGE_WEBHOOKS_ALLOW_PRIVATE = False
    webhook_create(actor=admin, organization=org, url=receiver.url, events=ALL)
    member_update(actor=admin, member=admin, job_title="Boss")
    assert deliver_due() == 0
    assert receiver.requests == []
    assert "private" in WebhookDelivery.objects.get().last_error


def test_events_of_another_organization_are_not_sent_here(
    org: Any, admin: Any, other_admin: Any, other_member: Any, receiver: Receiver
) -> None:
    from equipage.accounts.actions import member_update

    webhook_create(actor=admin, organization=org, url=receiver.url, events=ALL)
    member_update(actor=other_admin, member=other_member, job_title="X")
    assert WebhookDelivery.objects.count() == 0


def test_unsubscribed_and_paused_endpoints_get_nothing(org: Any, admin: Any, member: Any) -> None:
    from equipage.accounts.actions import member_update

    webhook_create(
        actor=admin, organization=org, url="https://h.example.com", events=["member.deleted"]
    )
    paused = webhook_create(actor=admin, organization=org, url="https://p.example.com", events=ALL)
    webhook_update(actor=admin, endpoint=paused, active=False)
    member_update(actor=admin, member=member, job_title="X")
    assert WebhookDelivery.objects.count() == 0


def test_deleted_member_webhook_carries_no_personal_data(org: Any, admin: Any, member: Any) -> None:
    from equipage.accounts.actions import member_delete

    webhook_create(actor=admin, organization=org, url="https://h.example.com", events=ALL)
    member_delete(actor=admin, member=member)
    d = WebhookDelivery.objects.get(event="member.deleted")
    assert d.payload["data"]["member"] == {"id": member.pk}


def test_invitation_expiry_emits_once(org: Any, admin: Any, frozen_clock: Any) -> None:
    from equipage.invitations.actions import expire_invitations, invitations_create

    webhook_create(
        actor=admin, organization=org, url="https://h.example.com", events=["invitation.expired"]
    )
    invitations_create(actor=admin, organization=org, emails="bob@acme.test")
    frozen_clock.advance(days=8)
    expire_invitations()
    expire_invitations()
    d = WebhookDelivery.objects.get()
    assert d.payload["data"]["member"]["email"] == "bob@acme.test"


def test_rolled_back_action_emits_nothing(org: Any, admin: Any, owner: Any) -> None:
    from equipage.accounts.actions import member_deactivate

    webhook_create(actor=admin, organization=org, url="https://h.example.com", events=ALL)
    with pytest.raises(Exception):  # noqa: B017
        member_deactivate(actor=admin, member=owner)
    assert WebhookDelivery.objects.count() == 0
    assert WebhookEndpoint.objects.count() == 1


def test_housekeeping_announces_expiries_and_sends_late_deliveries(
    org: Any, admin: Any, receiver: Receiver, frozen_clock: Any
) -> None:
    from equipage.invitations.actions import invitations_create
    from equipage.invitations.housekeeping import announce_expired_invitations
    from equipage.webhooks.housekeeping import send_lost_webhooks

    webhook_create(actor=admin, organization=org, url=receiver.url, events=["invitation.expired"])
    invitations_create(actor=admin, organization=org, emails="bob@acme.test")
    frozen_clock.advance(days=8)
    assert announce_expired_invitations() == 1  # records the expiry, queues the delivery
    frozen_clock.advance(minutes=2)
    assert send_lost_webhooks() == 1  # the sweep sends it
    assert [json.loads(r["body"])["type"] for r in receiver.requests] == ["invitation.expired"]
