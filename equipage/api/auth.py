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
from equipage.tokens.models import Scope
from equipage.tokens.selectors import actor_for_token
from equipage.web.tenancy import origin_of

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def rate_limit(actor: Actor) -> None:
    """Allow ``EQUIPAGE_API_RATE_LIMIT`` requests per token per minute (a fixed window)."""
    limit = int(getattr(settings, "EQUIPAGE_API_RATE_LIMIT", 600))
    if limit <= 0:
        return
    now = clock.now()
    window = int(now.timestamp() // 60)
    key = f"api-rate:{actor.token.token_hash[:24]}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        used = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=120)
        used = 1
    if used > limit:
        raise RateLimited(retry_after=60 - int(now.timestamp()) % 60)


class TokenAuth(HttpBearer):
    """Accept an API token; reads need ``api:read``, writes ``api:write``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        scope = Scope.API_READ if request.method in READ_METHODS else Scope.API_WRITE
        actor = actor_for_token(token, scope=scope, origin=origin_of(request, "api"))
        speak_to_reader(request, actor.token.organization)
        rate_limit(actor)
        request.actor = actor  # type: ignore[attr-defined]
        request.organization = actor.token.organization  # type: ignore[attr-defined]
        return actor
