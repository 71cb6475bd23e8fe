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
    """The signed-in member as the request's actor, with the roles read along with them."""
    from equipage.accounts.backends import roles_read_along

    user = request.user
    return Actor.for_member(user, origin_of(request), roles_read_along(user))  # type: ignore[arg-type]


def organization_or_404(slug: str, request: HttpRequest | None = None) -> Organization:
    """The organization named by ``slug``; given the request, the one it already loaded."""
    org = url_organization(request, slug) if request is not None else _by_slug(slug)
    if org is None:
        raise Http404("organization")
    return org


def url_organization(request: HttpRequest, slug: str) -> Organization | None:
    """The organization of a /o/<slug>/ URL, loaded at most once per request.

    The signed-in member's organization came with the member (``MemberBackend``
    selects it along): on their own organization's pages nothing more is read.
    The language middleware and the view then share one copy, where each used
    to read it again (two queries on every console page and on the login page).
    """
    memo: dict[str, Organization | None] = request.__dict__.setdefault("_url_organizations", {})
    if slug not in memo:
        user = getattr(request, "user", None)
        own = getattr(user, "organization", None) if user is not None else None
        if own is not None and user.is_authenticated and own.slug == slug:  # type: ignore[union-attr]
            memo[slug] = own
        else:
            memo[slug] = _by_slug(slug)
    return memo[slug]


def _by_slug(slug: str) -> Organization | None:
    try:
        return organization_by_slug(slug)
    except NotFound:
        return None


def member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the view only to an active member of the organization in the URL.

    Sets ``request.organization`` and ``request.actor``; anyone else is sent to
    that organization's login page (a member of another tenant included).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        org = organization_or_404(slug, request)
        user = request.user
        if not user.is_authenticated or getattr(user, "organization_id", None) != org.pk:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"/o/{org.slug}/login?{query}")
        request.organization = org  # type: ignore[attr-defined]
        request.actor = actor_of(request)  # type: ignore[attr-defined]
        return view(request, org.slug, *args, **kwargs)

    return wrapper
