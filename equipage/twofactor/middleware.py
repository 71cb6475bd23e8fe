"""Second factor enforced on every page, whatever the view forgets.

- A session whose code is awaited reaches the login pages (code page included)
  and logout, nothing else: every other console page sends it to the code page.
  It is not logged in anyway (``equipage.twofactor.login``): the API and SCIM
  authenticate by token only and see nobody.
- A member whose organization requires a second factor of them, past the
  grace period, reaches only the enrolment page, the password change and
  logout until they enrol; unless an identity provider logged the session in
  (``login.vouch_external``: single sign-on's factors are the provider's business).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from equipage.twofactor.login import SESSION_KEY, code_page, pending_slug, settled
from equipage.twofactor.selectors import must_enrol_now

_ALWAYS = r"^/static/|^/i18n/|^/api/|^/scim/|^/hooks/|^/healthz|^/readyz|^/metrics"
PENDING_EXEMPT = re.compile(rf"^/o/[a-z0-9-]+/(login|logout)|{_ALWAYS}")
ENROL_EXEMPT = re.compile(rf"^/o/[a-z0-9-]+/(me/two-factor/|logout|password/change/)|{_ALWAYS}")


def enrolment_page(slug: str) -> str:
    return f"/o/{slug}/me/two-factor/"


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        path = request.path
        if user is None or not user.is_authenticated:
            session = getattr(request, "session", None)
            if session is not None and SESSION_KEY in session and not PENDING_EXEMPT.match(path):
                slug = pending_slug(request)
                if slug:
                    return redirect(code_page(slug))
        elif (
            getattr(user, "organization_id", None)
            and not ENROL_EXEMPT.match(path)
            and not settled(request)
            and must_enrol_now(user)  # type: ignore[arg-type]
        ):
            return redirect(enrolment_page(user.organization.slug))
        return self.get_response(request)
