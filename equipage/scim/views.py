"""The one Django view in front of scim2-server: token in, SCIM response out."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from scim2_models import ForbiddenException, SCIMException, UnauthorizedException
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.routing import Operation

from equipage.api.language import speak_to_reader
from equipage.audit.attempts import note_token_used
from equipage.permissions.actor import origin_of
from equipage.scim.service import EquipageService
from equipage.scim.storage import OrmStorage
from equipage.tokens.models import Scope
from equipage.tokens.refusals import note_token_refused
from equipage.tokens.selectors import MissingScope, Unauthenticated, actor_for_token, bearer_of

log = logging.getLogger("equipage.scim")
PREFIX = "/scim/v2"


def _scim_request(request: HttpRequest, path: str) -> ScimRequest:
    return ScimRequest(
        method=request.method or "GET",
        base_url=request.build_absolute_uri(PREFIX),
        path=(path or "/").removesuffix(".scim"),
        query={k: request.GET[k] for k in request.GET},
        headers=dict(request.headers),
        body=request.body,
    )


def _serve(
    request: HttpRequest, scim_request: ScimRequest, service: EquipageService
) -> ScimResponse:
    operation = service.match(scim_request).operation
    if operation is Operation.service_provider_config:
        # RFC 7643 §5: the configuration is readable without credentials.
        return ScimHandler(service, OrmStorage(None, None)).handle(scim_request)  # type: ignore[arg-type]
    raw, origin = bearer_of(request.headers.get("Authorization")), origin_of(request, "scim")
    try:
        actor = actor_for_token(raw, scope=Scope.SCIM, origin=origin)
    except Unauthenticated as exc:
        note_token_refused(raw, scope=Scope.SCIM, origin=origin, error=exc)
        raise UnauthorizedException(detail=str(exc)) from None
    except MissingScope as exc:
        note_token_refused(raw, scope=Scope.SCIM, origin=origin, error=exc)
        raise ForbiddenException(detail=str(exc)) from None
    note_token_used(actor)
    organization = actor.token.organization
    speak_to_reader(request, organization)  # the errors' detail: Accept-Language, else the org's
    scim_request.subject = actor
    storage = OrmStorage(actor, organization, service)
    return ScimHandler(service, storage).handle(scim_request)


@csrf_exempt
def scim(request: HttpRequest, path: str = "") -> HttpResponse:
    """Serve every SCIM endpoint; the tenant comes from the bearer token only."""
    scim_request = _scim_request(request, path)
    service = EquipageService()
    try:
        response = _serve(request, scim_request, service)
    except Exception as exc:
        if isinstance(exc, SCIMException):
            log.info("SCIM %s %s: %s %s", request.method, path, exc.status, exc)
        else:
            log.exception("SCIM %s %s failed", request.method, path)
        response = service.error_response(exc)
    if response.status == HTTPStatus.UNAUTHORIZED:
        response.headers["WWW-Authenticate"] = 'Bearer realm="SCIM"'
    response.headers.setdefault("Location", scim_request.url)
    response.headers.setdefault("Cache-Control", "no-cache")
    body = b"" if response.body is None else json.dumps(response.body).encode()
    reply = HttpResponse(body, status=response.status.value)
    for name, value in response.headers.items():
        reply[name] = value
    return reply
