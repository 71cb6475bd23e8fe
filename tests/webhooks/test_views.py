"""The webhooks page: admins only, scoped to their organization."""

from __future__ import annotations

from typing import Any

from django.test import Client

from equipage.webhooks.actions import webhook_create
from equipage.webhooks.models import WebhookEndpoint

BACKEND = "equipage.accounts.backends.MemberBackend"


def _client(member: Any) -> Client:
    c = Client()
    c.force_login(member, backend=BACKEND)
    return c


def test_admin_adds_a_webhook_from_the_page(org: Any, admin: Any) -> None:
    response = _client(admin).post(
        "/o/acme/webhooks/",
        {"url": "https://hooks.example.com/a", "events": ["member.created"], "active": "on"},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/o/acme/webhooks/{endpoint.pk}/"
    )
    page = _client(admin).get(response["Location"]).content.decode()
    assert endpoint.secret in page


def test_user_admin_cannot_open_the_webhooks_page(org: Any, user_admin: Any) -> None:
    assert _client(user_admin).get("/o/acme/webhooks/").status_code == 403


def test_other_tenant_gets_404_for_an_endpoint(org: Any, admin: Any, other_admin: Any) -> None:
    endpoint = webhook_create(
        actor=admin, organization=org, url="https://h.example.com", events=["member.created"]
    )
    assert _client(other_admin).get(f"/o/globex/webhooks/{endpoint.pk}/").status_code == 404
    assert _client(other_admin).post(f"/o/globex/webhooks/{endpoint.pk}/delete").status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
