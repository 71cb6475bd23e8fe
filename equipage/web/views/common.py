"""Helpers every console view shares: capability gates and mapping domain errors to forms."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpRequest, HttpResponse

from equipage.core.errors import DomainError, NotFound, PermissionDenied
from equipage.permissions import Actor, Cap, can
from equipage.web.tenancy import member_required


def requires(cap: Cap) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Serve the view to members of the organization who hold ``cap`` there; 403 otherwise."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @member_required
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not can(request.actor, cap, request.organization):  # type: ignore[attr-defined]
                raise HttpForbidden("capability")
            with edge_errors():
                return view(request, slug, *args, **kwargs)

        return wrapper

    return decorator


class edge_errors:
    """Turn NotFound into 404 and PermissionDenied into 403 for the whole view."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if isinstance(exc, NotFound):
            raise Http404(str(exc)) from exc
        if isinstance(exc, PermissionDenied):
            raise HttpForbidden(str(exc)) from exc


def attach_error(form: forms.Form, exc: DomainError) -> None:
    """Show a domain error beside its field when the form has it, else above the form."""
    field = getattr(form, "error_fields", {}).get(exc.field, exc.field)
    field = field if field in form.fields else None
    form.add_error(field, str(exc))


def actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


def submitted(request: HttpRequest, but_not: str | None = None) -> Any:
    """Return the posted data for a form, or None (an unbound form) when nothing was posted.

    A GET's ``request.POST`` is an empty QueryDict, not None: a form given it is bound and
    shows « This field is required » before anything was submitted. ``but_not``: a form
    that shares its page with another operation (``op``) is not bound by that one.
    """
    if request.method != "POST":
        return None
    if but_not is not None and request.POST.get("op") == but_not:
        return None
    return request.POST
