"""Bearer-token authentication, scope by HTTP method, and a per-token rate limit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import HttpBearer

from equipage.api.errors import RateLimited
from equipage.api.language import speak_to_reader
from equipage.core import clock
from equipage.permissions import Actor
from equipage.permissions.actor import origin_of
from equipage.tokens.models import Scope
from equipage.tokens.refusals import note_token_refused
from equipage.tokens.selectors import MissingScope, Unauthenticated, actor_for_token

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def rate_limit(actor: Actor) -> None:
    """Allow ``EQUIPAGE_API_RATE_LIMIT`` requests per token per minute (a fixed window).

    Counted in the shared cache (the database, or Redis), whose ``incr`` is atomic:
    every node counts the same requests.
    """
    limit = int(getattr(settings, "EQUIPAGE_API_RATE_LIMIT", 600))
    if limit <= 0:
        return
    now = clock.now()
    window = int(now.timestamp() // 60)
    key = f"api-rate:{actor.token.token_hash[:24]}:{window}"
    try:
        used = cache.incr(key)  # the common case: one statement pair under one lock
    except ValueError:
        used = 1 if cache.add(key, 1, timeout=120) else cache.incr(key)
    if used > limit:
        raise RateLimited(retry_after=60 - int(now.timestamp()) % 60)


class TokenAuth(HttpBearer):
    """Accept an API token; reads need ``api:read``, writes ``api:write``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        scope = Scope.API_READ if request.method in READ_METHODS else Scope.API_WRITE
        origin = origin_of(request, "api")
        try:
            actor = actor_for_token(token, scope=scope, origin=origin)
        except (Unauthenticated, MissingScope) as exc:
            note_token_refused(token, scope=scope, origin=origin, error=exc)
            raise
        speak_to_reader(request, actor.token.organization)
        rate_limit(actor)
        request.actor = actor  # type: ignore[attr-defined]
        request.organization = actor.token.organization  # type: ignore[attr-defined]
        return actor
