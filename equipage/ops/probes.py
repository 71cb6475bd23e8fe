"""``/healthz``, ``/readyz`` and ``/metrics``: answered by ``ProbeMiddleware``, never cached."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

ROUTES = frozenset({"healthz", "readyz", "metrics"})


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    """Answer 200 while the process serves requests; the database is not asked."""
    return _no_store(JsonResponse({"status": "ok"}))


def readyz(request: HttpRequest) -> HttpResponse:
    """Answer 200 when this node can do its work, else 503 naming every problem."""
    from equipage.ops.readiness import problems

    found = problems()
    if found:
        response = JsonResponse({"status": "unready", "problems": found}, status=503)
        # The request line says it already; an ERROR per probe while a node starts is noise.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return _no_store(response)
    return _no_store(JsonResponse({"status": "ready"}))


def metrics_allowed(request: HttpRequest) -> bool:
    """Tell whether the request bears ``EQUIPAGE_METRICS_TOKEN`` (anyone, when it is unset)."""
    expected = settings.EQUIPAGE_METRICS_TOKEN
    if not expected:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.encode()
    )


def metrics(request: HttpRequest) -> HttpResponse:
    """Answer the Prometheus text exposition, behind the bearer token when one is set."""
    from equipage.ops.metrics import render

    if not metrics_allowed(request):
        response = JsonResponse({"detail": "A valid bearer token is required."}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return _no_store(response)
    body, content_type = render()
    return _no_store(HttpResponse(body, content_type=content_type))
