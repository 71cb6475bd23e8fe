"""Request-wide rules of the console: the tenant's language, the forced password change."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation

from equipage.sso.session import authenticated_by_sso

_ORG_PATH = re.compile(r"^/o/(?P<slug>[a-z0-9-]+)/")


class TenantLanguageMiddleware:
    """Speak the member's language, else the organization's (French by default).

    A language chosen with the switcher (the language cookie) wins over both.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
            language = self._language(request)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)

    def _language(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "language", ""):
            return user.language
        match = _ORG_PATH.match(request.path)
        if match:
            from equipage.web.tenancy import url_organization

            org = url_organization(request, match["slug"])
            return org.language if org is not None else None
        return None


class ForcePasswordChangeMiddleware:
    """Send a member who must change their password to the change page, on every page."""

    EXEMPT = re.compile(
        r"^/o/[a-z0-9-]+/(password/change/|logout)|^/static/|^/i18n/|^/api/|^/scim/"
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and user.organization_id
            and not self.EXEMPT.match(request.path)
            and not authenticated_by_sso(request.session)  # the provider vouched (equipage.sso)
        ):
            return redirect(f"/o/{user.organization.slug}/password/change/")
        return self.get_response(request)
