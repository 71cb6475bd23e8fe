"""Resolving the organization of a /o/<slug>/ page and the actor behind a request."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from equipage.core.errors import NotFound
from equipage.organizations.models import Organization
from equipage.organizations.selectors import organization_by_slug
from equipage.permissions import Actor
from equipage.permissions.actor import origin_of as origin_of  # re-exported for the views


def actor_of(request: HttpRequest) -> Actor:
    return Actor.for_member(request.user, origin_of(request))  # type: ignore[arg-type]


def organization_or_404(slug: str) -> Organization:
    try:
        return organization_by_slug(slug)
    except NotFound:
        raise Http404("organization") from None


def member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the view only to an active member of the organization in the URL.

    Sets ``request.organization`` and ``request.actor``; anyone else is sent to
    that organization's login page (a member of another tenant included).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        org = organization_or_404(slug)
        user = request.user
        if not user.is_authenticated or getattr(user, "organization_id", None) != org.pk:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"/o/{org.slug}/login?{query}")
        request.organization = org  # type: ignore[attr-defined]
        request.actor = actor_of(request)  # type: ignore[attr-defined]
        return view(request, org.slug, *args, **kwargs)

    return wrapper
