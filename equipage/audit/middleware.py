"""Audit the security events of a request once it is over (see ``equipage.audit.security``)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from equipage.audit import security


class SecurityEventsMiddleware:
    """Collect a request's refused actions and write them after the view, outside its actions.

    A 403 answered to an identified actor (a member of the console, an API or
    SCIM token) with nothing noted by the permission layer (a page gated by a
    capability, an action refusing on its own) is noted here, so that every
    refusal leaves a trace.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with security.collecting():
            response = self.get_response(request)
            actor = getattr(request, "actor", None)
            if response.status_code == 403 and actor is not None and not security.pending_count():
                security.note_refused_request(actor, request.method or "", request.path)
        return response
