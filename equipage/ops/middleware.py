"""The outermost middleware: a request id, one log line and the metrics of each request; probes.

Both sit before every other middleware (settings), so a probe is answered
before tenant language, forced password changes, HTTPS redirects or the
``ALLOWED_HOSTS`` check could turn it away: a kubelet probing the pod's
address with its own Host header gets its answer.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from equipage.ops import logs, metrics, probes

log = logging.getLogger("equipage.request")

_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=@-]{0,127}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": probes.healthz,
    "/readyz": probes.readyz,
    "/metrics": probes.metrics,
}
_metrics_failed = False


def incoming_request_id(request: HttpRequest) -> str:
    """Return the caller's ``X-Request-ID`` when it is short and plain, else a new id."""
    given = request.headers.get("X-Request-ID", "")
    return given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex


def route_of(request: HttpRequest) -> str:
    """Name the URL pattern that served the request: never the raw path (tokens, ids)."""
    if route := getattr(request, "ops_route", None):
        return route
    match = request.resolver_match
    if match is not None:
        return match.route or match.view_name or "<unnamed>"
    if request.path_info.startswith(settings.STATIC_URL):
        return "<static>"
    return "<unmatched>"


class RequestLogMiddleware:
    """Give each request an id (echoed in ``X-Request-ID``), then log and count it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = incoming_request_id(request)
        request.request_id = rid  # type: ignore[attr-defined]
        token = logs.request_id.set(rid)
        try:
            started = time.perf_counter()
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            response.headers["X-Request-ID"] = rid
            self._record(request, response.status_code, seconds)
        finally:
            logs.request_id.reset(token)
        return response

    def _record(self, request: HttpRequest, status: int, seconds: float) -> None:
        global _metrics_failed
        method = request.method if request.method in _METHODS else "OTHER"
        route = route_of(request)
        try:
            metrics.observe_request(method, route, status, seconds)
        except Exception:
            if not _metrics_failed:  # say it once, not on every request
                log.exception("request metrics cannot be recorded")
            _metrics_failed = True
        if status >= 500:
            level = logging.WARNING
        elif route in probes.ROUTES:
            level = logging.DEBUG  # probed every few seconds: kept out of the INFO stream
        else:
            level = logging.INFO
        log.log(
            level,
            "%s %s %d %.1fms",
            method,
            route,
            status,
            seconds * 1000,
            extra={
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
                "client": request.META.get("REMOTE_ADDR", ""),
            },
        )


class ProbeMiddleware:
    """Answer ``/healthz``, ``/readyz`` and ``/metrics`` before anything else runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = _PROBES.get(request.path_info)
        if view is None:
            return self.get_response(request)
        request.ops_route = request.path_info.lstrip("/")  # type: ignore[attr-defined]
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return view(request)
