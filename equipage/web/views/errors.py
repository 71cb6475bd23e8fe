"""The 403, 404 and 500 pages: the console's look, the viewer's language, and a way back.

The API (``/api/``) and SCIM (``/scim/``) answer their own errors in JSON; a path under
them that no view serves keeps Django's plain answers, which API clients already expect.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

from equipage.core.elision import elide

MACHINE_PREFIXES = ("/api/", "/scim/")


def _for_machines(request: HttpRequest) -> bool:
    return request.path.startswith(MACHINE_PREFIXES)


def _way_back(request: HttpRequest) -> tuple[str, str]:
    """Where to go from here: the organization's home for its members, else its login page."""
    org = getattr(request, "organization", None)
    if org is None:
        parts = request.path.split("/")
        if len(parts) > 2 and parts[1] == "o" and parts[2] and "\x00" not in parts[2]:
            from equipage.organizations.models import Organization

            org = Organization.objects.filter(slug=parts[2]).first()
    if org is None:
        return "/", _("Back to the start page")
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "organization_id", None) == org.pk:
        label = _("Back to the home page of %(o)s") % {"o": org.name}
        return f"/o/{org.slug}/", elide(label, org.name)
    label = _("Go to the login page of %(o)s") % {"o": org.name}
    return f"/o/{org.slug}/login", elide(label, org.name)


def _page(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    back_url, back_label = _way_back(request)
    context: dict[str, Any] = {
        "status": status,
        "title": title,
        "text": text,
        "back_url": back_url,
        "back_label": back_label,
    }
    body = loader.render_to_string("web/error.html", context, request=request)
    return HttpResponse(body, status=status)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _for_machines(request):
        return defaults.permission_denied(request, exception)  # type: ignore[arg-type]
    return _page(
        request,
        403,
        _("You may not open this page"),
        _(
            "Your role in this organization does not allow it. "
            "If you need it, ask an administrator of the organization."
        ),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _for_machines(request):
        return defaults.page_not_found(request, exception)  # type: ignore[arg-type]
    return _page(
        request,
        404,
        _("This page does not exist"),
        _(
            "The address may be mistyped, or what it showed was deleted "
            "or belongs to another organization."
        ),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """Render without the database: the error may be the database itself."""
    if _for_machines(request):
        return defaults.server_error(request)
    context = {
        "status": 500,
        "title": _("Something went wrong on our side"),
        "text": _(
            "Nothing you did caused it and it has been logged. "
            "Try again in a moment; if it keeps happening, tell the people who run this server."
        ),
        "back_url": "/",
        "back_label": _("Back to the start page"),
        "bare": True,
    }
    return HttpResponse(loader.render_to_string("web/error.html", context), status=500)
