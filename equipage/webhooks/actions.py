"""Every write about webhook endpoints: create, update, delete (admins only)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from equipage.accounts.models import Member
from equipage.audit.events import EventType
from equipage.audit.record import record
from equipage.core import clock
from equipage.core.errors import ValidationFailed
from equipage.organizations.models import Organization
from equipage.permissions import Actor, Cap, as_actor, authorize
from equipage.webhooks.models import WebhookEndpoint, WebhookEvent


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationFailed(_("Enter a valid http:// or https:// URL."), field="url") from None
    return url


def _clean_events(events: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(str(e) for e in events))
    unknown = [e for e in chosen if e not in WebhookEvent.values]
    if unknown:
        raise ValidationFailed(
            _("Unknown event: %(e)s.") % {"e": ", ".join(unknown)}, field="events"
        )
    if not chosen:
        raise ValidationFailed(_("Choose at least one event."), field="events")
    return chosen


def _facts(endpoint: WebhookEndpoint) -> dict[str, object]:
    return {
        "url": endpoint.url,
        "events": endpoint.events,
        "active": endpoint.active,
        "description": endpoint.description,
    }


def webhook_create(
    *,
    actor: Actor | Member,
    organization: Organization,
    url: str,
    events: Sequence[str],
    description: str = "",
) -> WebhookEndpoint:
    """Add an endpoint; its signing secret is generated here and shown to the admin."""
    actor = as_actor(actor)
    authorize(actor, Cap.WEBHOOK_MANAGE, organization)
    url, chosen = _clean_url(url), _clean_events(events)
    with transaction.atomic():
        now = clock.now()
        endpoint = WebhookEndpoint.objects.create(
            organization=organization,
            url=url,
            description=description.strip()[:200],
            secret=new_secret(),
            events=chosen,
            created_at=now,
            updated_at=now,
        )
        record(
            actor=actor,
            organization=organization,
            event=EventType.WEBHOOK_CREATED,
            target=endpoint,
            after=_facts(endpoint),
        )
    return endpoint


def webhook_update(
    *,
    actor: Actor | Member,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: Sequence[str] | None = None,
    active: bool | None = None,
    description: str | None = None,
    rotate_secret: bool = False,
) -> WebhookEndpoint:
    """Change an endpoint's URL, events, switch or description; optionally a new secret."""
    actor = as_actor(actor)
    authorize(actor, Cap.WEBHOOK_MANAGE, endpoint)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = _facts(endpoint)
        if url is not None:
            endpoint.url = _clean_url(url)
        if events is not None:
            endpoint.events = _clean_events(events)
        if active is not None:
            endpoint.active = bool(active)
        if description is not None:
            endpoint.description = description.strip()[:200]
        if rotate_secret:
            endpoint.secret = new_secret()
        endpoint.updated_at = clock.now()
        endpoint.save()
        after = _facts(endpoint)
        if rotate_secret:
            after["secret_rotated"] = True
        record(
            actor=actor,
            organization=endpoint.organization,
            event=EventType.WEBHOOK_UPDATED,
            target=endpoint,
            before=before,
            after=after,
        )
    return endpoint


def webhook_delete(*, actor: Actor | Member, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its delivery log."""
    actor = as_actor(actor)
    authorize(actor, Cap.WEBHOOK_MANAGE, endpoint)
    with transaction.atomic():
        record(
            actor=actor,
            organization=endpoint.organization,
            event=EventType.WEBHOOK_DELETED,
            target=endpoint,
            before=_facts(endpoint),
        )
        endpoint.delete()
