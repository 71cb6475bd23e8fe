"""The webhooks page for admins: endpoints, their secret, delivery log."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from equipage.core.errors import DomainError, NotFound
from equipage.permissions import Actor, Cap, can
from equipage.web.tenancy import member_required
from equipage.webhooks.actions import webhook_create, webhook_delete, webhook_update
from equipage.webhooks.forms import EndpointForm
from equipage.webhooks.models import WebhookEndpoint
from equipage.webhooks.selectors import access_endpoint_by_id, delivery_log, endpoints_of


def _may_manage(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @member_required
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can(request.actor, Cap.WEBHOOK_MANAGE, request.organization):  # type: ignore[attr-defined]
            raise HttpForbidden("webhooks")
        return view(request, slug, *args, **kwargs)

    return wrapper


def _endpoint(request: HttpRequest, endpoint_id: int) -> WebhookEndpoint:
    try:
        return access_endpoint_by_id(request.actor, endpoint_id)  # type: ignore[attr-defined]
    except NotFound:
        raise Http404("webhook") from None


def _add_error(form: EndpointForm, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


@require_http_methods(["GET", "POST"])
@_may_manage
def webhooks(request: HttpRequest, slug: str) -> HttpResponse:
    """List endpoints and add one."""
    actor: Actor = request.actor  # type: ignore[attr-defined]
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint = webhook_create(
                actor=actor,
                organization=request.organization,  # type: ignore[attr-defined]
                url=data["url"],
                events=data["events"],
                description=data["description"],
            )
        except DomainError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Webhook added. Copy its signing secret below."))
            return redirect(f"/o/{slug}/webhooks/{endpoint.pk}/")
    return render(
        request,
        "webhooks/list.html",
        {"nav": "webhooks", "endpoints": list(endpoints_of(actor)), "form": form},
    )


@require_http_methods(["GET", "POST"])
@_may_manage
def detail(request: HttpRequest, slug: str, endpoint_id: int) -> HttpResponse:
    """Show one endpoint: edit it, see its secret and delivery log."""
    endpoint = _endpoint(request, endpoint_id)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "active": endpoint.active,
    }
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            webhook_update(
                actor=request.actor,  # type: ignore[attr-defined]
                endpoint=endpoint,
                url=data["url"],
                events=data["events"],
                active=data["active"],
                description=data["description"],
            )
        except DomainError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect(f"/o/{slug}/webhooks/{endpoint.pk}/")
    return render(
        request,
        "webhooks/detail.html",
        {"nav": "webhooks", "endpoint": endpoint, "form": form, "log": delivery_log(endpoint)},
    )


@require_POST
@_may_manage
def rotate(request: HttpRequest, slug: str, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    webhook_update(actor=request.actor, endpoint=endpoint, rotate_secret=True)  # type: ignore[attr-defined]
    messages.success(request, _("A new signing secret was generated; the old one no longer signs."))
    return redirect(f"/o/{slug}/webhooks/{endpoint.pk}/")


@require_POST
@_may_manage
def delete(request: HttpRequest, slug: str, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    webhook_delete(actor=request.actor, endpoint=endpoint)  # type: ignore[attr-defined]
    messages.success(request, _("Webhook deleted."))
    return redirect(f"/o/{slug}/webhooks/")
