"""The API and SCIM answer in JSON whatever goes wrong, a body over the limit included.

Django answers for them when the view never runs (a body too large, a URL
that resolves nowhere) or crashes: an HTML page is no answer for a client
that parses problem+json (RFC 9457) or SCIM's error schema (RFC 7644 §3.12).
A body whose declared length is over the limit is refused with 413 before it
is read.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from equipage.api.errors import problem
from equipage.imports import limits

log = logging.getLogger("equipage.api")
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
# Room for a multipart envelope around the largest roster file an import takes.
MULTIPART_SLACK = 1024 * 1024


def _kind(request: HttpRequest) -> str | None:
    if request.path.startswith("/api/"):
        return "api"
    if request.path.startswith("/scim/"):
        return "scim"
    return None


def body_limit(request: HttpRequest, kind: str) -> int:
    """Return the largest body accepted: a roster file on the API's uploads, else Django's."""
    content_type = request.META.get("CONTENT_TYPE", "")
    if kind == "api" and content_type.startswith("multipart/form-data"):
        return limits.MAX_FILE_BYTES + MULTIPART_SLACK
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440)


def error_response(kind: str, status: int, detail: str, code: str = "error") -> HttpResponse:
    """Return an error in the shape of ``kind``: problem+json (API) or SCIM's error schema."""
    if kind == "api":
        return problem(status, code, detail)
    body = {"schemas": [SCIM_ERROR], "status": str(status), "detail": detail}
    return HttpResponse(json.dumps(body), status=status, content_type="application/scim+json")


def too_large(kind: str, limit: int) -> HttpResponse:
    return error_response(
        kind,
        413,
        _("The request body is too large (%(n)s bytes at most).") % {"n": f"{limit:,}"},
        "too_large",
    )


_CLIENT_ERRORS = (BadRequest, SuspiciousOperation, PermissionDenied, Http404, MultiPartParserError)


class MachineErrorsMiddleware:
    """Refuse over-long API/SCIM bodies with 413; turn Django's HTML errors there into JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        kind = _kind(request)
        if kind is None:
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(kind, 400, _("The Content-Length header is not a number."))
        limit = body_limit(request, kind)
        if length > limit:
            return too_large(kind, limit)
        if _holds_nul(request):
            return error_response(kind, 400, _("The request URL contains a NUL character."))
        response = self.get_response(request)
        if response.status_code >= 400 and "json" not in response.get("Content-Type", ""):
            phrase = HTTPStatus(response.status_code).phrase if _known(response) else "Error"
            return error_response(kind, response.status_code, phrase)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        kind = _kind(request)
        if kind is None:
            return None
        if isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
            return too_large(kind, body_limit(request, kind))
        if isinstance(exception, _CLIENT_ERRORS):
            # The status Django gives them (400, 403, 404), logged as Django logs it.
            status = response_for_exception(request, exception).status_code
            return error_response(kind, status, HTTPStatus(status).phrase)
        log.exception("%s %s failed", request.method, request.path, exc_info=exception)
        return error_response(kind, 500, _("Internal error: the server could not answer."))


def _holds_nul(request: HttpRequest) -> bool:
    """Say whether the path or a query parameter's name holds NUL.

    No resource is named with one, and in a SCIM id it would end up in a
    ``Location`` header. Query parameter values are each judged by their own
    type (``api.common.Identifier`` answers a 400 naming the parameter; a free
    search ignores control characters), so they are not refused wholesale here.
    """
    if "\x00" in request.path:
        return True
    return any("\x00" in k for k in request.GET)


def _known(response: HttpResponse) -> bool:
    try:
        HTTPStatus(response.status_code)
    except ValueError:
        return False
    return True
