"""Bearer-token authentication, scope by HTTP method, and a per-token rate limit."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import HttpBearer

from equipage.api.errors import RateLimited
from equipage.api.language import speak_to_reader
from equipage.audit.attempts import note_token_used
from equipage.core import clock
from equipage.permissions import Actor
from equipage.permissions.actor import origin_of
from equipage.tokens.models import Scope
from equipage.tokens.refusals import note_token_refused
from equipage.tokens.selectors import MissingScope, Unauthenticated, actor_for_token

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Each process counts a token's requests itself and adds them to the shared counter in one
# atomic ``incr`` every few requests: RATE_BATCH at most, one by one near the limit (a step
# of an eighth of what is left). A window admits at most ``limit + (RATE_BATCH - 1)`` per
# web process of every node (600 a minute on two nodes of two processes: at most 636), and
# exactly ``limit`` while ``limit`` is under 8 × RATE_BATCH (tests/api/test_auth_across_nodes.py).
RATE_BATCH = 10
# "api-rate:<token>:<window>" -> [requests not yet added, the shared total last read]
_counted: dict[str, list[int]] = {}
_counted_lock = threading.Lock()


def rate_limit(actor: Actor) -> None:
    """Allow ``EQUIPAGE_API_RATE_LIMIT`` requests per token per minute (a fixed window).

    Counted in the shared cache (the database, or Redis), whose ``incr`` is atomic:
    every node counts the same requests, a few at a time (``RATE_BATCH``).
    """
    limit = int(getattr(settings, "EQUIPAGE_API_RATE_LIMIT", 600))
    if limit <= 0:
        return
    now = clock.now()
    window = int(now.timestamp() // 60)
    key = f"api-rate:{actor.token.token_hash[:24]}:{window}"
    with _counted_lock:
        entry = _counted.get(key)
        if entry is None:
            if len(_counted) > 1000:  # past windows' entries
                _counted.clear()
            entry = _counted[key] = [0, 0]
        entry[0] += 1
        step = max(1, min(RATE_BATCH, (limit - entry[1]) // 8))
        adding = entry[0] if entry[0] >= step else 0
        entry[0] -= adding
        used = entry[1] + entry[0] + adding
    if adding:
        total = _shared_add(key, adding)
        with _counted_lock:
            entry[1] = max(entry[1], total)
            used = total + entry[0]
    if used > limit:
        raise RateLimited(retry_after=60 - int(now.timestamp()) % 60)


def _shared_add(key: str, count: int) -> int:
    """Add ``count`` to the shared counter ``key`` (made for two windows) and return its total."""
    try:
        return int(cache.incr(key, count))  # the common case: one statement pair under one lock
    except ValueError:
        return count if cache.add(key, count, timeout=120) else int(cache.incr(key, count))


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
        note_token_used(actor)
        request.actor = actor  # type: ignore[attr-defined]
        request.organization = actor.token.organization  # type: ignore[attr-defined]
        return actor
