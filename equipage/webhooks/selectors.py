"""Reads about webhooks, scoped to the actor's organization."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from equipage.core.errors import NotFound
from equipage.permissions import Actor, Cap, authorize
from equipage.webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoints_of(actor: Actor) -> QuerySet[WebhookEndpoint]:
    """Return the organization's endpoints, for admins who manage webhooks."""
    authorize(actor, Cap.WEBHOOK_MANAGE, None)
    return WebhookEndpoint.objects.filter(organization_id=actor.organization_id or 0)


def access_endpoint_by_id(actor: Actor, endpoint_id: object) -> WebhookEndpoint:
    """Fetch one endpoint of the actor's organization, or raise ``NotFound``."""
    try:
        return endpoints_of(actor).select_related("organization").get(pk=int(str(endpoint_id)))
    except (WebhookEndpoint.DoesNotExist, ValueError):
        raise NotFound(_("Webhook not found.")) from None


def delivery_log(endpoint: WebhookEndpoint, limit: int = 100) -> list[WebhookDelivery]:
    """Return the endpoint's latest deliveries, newest first."""
    return list(
        WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")[:limit]
    )
