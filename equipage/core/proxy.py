"""The client's address and scheme, believed from a reverse proxy only when it is trusted.

Behind nginx every request arrives from the proxy; the real client is in
``X-Forwarded-For``. That header is written by whoever sends the request, so it
is read only when the direct peer is one of ``EQUIPAGE_TRUSTED_PROXIES``, and
walked from the right: each trusted proxy appends the address it saw, and the
first address that is not a trusted proxy is the client. Anything further left
was written by the client itself and is never believed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Where the middleware keeps what it decided, and the address of the direct peer.
CLIENT_KEY = "equipage.client_address"
PEER_KEY = "equipage.peer_address"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str) -> bool:
    proxies = tuple(getattr(settings, "EQUIPAGE_TRUSTED_PROXIES", ()) or ())
    if not proxies:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(proxies))


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def forwarded_client(peer: str, forwarded_for: str) -> str:
    """Return the client behind ``peer`` given an ``X-Forwarded-For`` value.

    ``peer`` itself when it is not a trusted proxy; otherwise the rightmost
    forwarded address that is not a trusted proxy. A malformed entry stops the
    walk at the last hop we could trust to have written it.
    """
    if not _trusted(peer):
        return peer
    client = peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not _valid(hop):
            break
        client = hop
        if not _trusted(hop):
            break
    return client


def client_address(request: HttpRequest) -> str:
    """Return the address of the client behind ``request``: the one every part records."""
    meta = request.META
    if CLIENT_KEY not in meta:
        peer = meta.get("REMOTE_ADDR", "") or ""
        meta[PEER_KEY] = peer
        meta[CLIENT_KEY] = forwarded_client(peer, meta.get("HTTP_X_FORWARDED_FOR", ""))
    return str(meta[CLIENT_KEY])


class ReverseProxyMiddleware:
    """Take the client address and scheme from a trusted proxy's headers, early.

    ``REMOTE_ADDR`` becomes the client's address (the proxy's stays in
    ``request.META["equipage.peer_address"]``) so that any code reading it sees the
    client; ``X-Forwarded-Proto`` sets the scheme (``request.is_secure()``).
    From an untrusted peer both headers are ignored.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        client = client_address(request)
        meta = request.META
        if _trusted(meta[PEER_KEY]):
            meta["REMOTE_ADDR"] = client
            # The proxy next to us sets (never appends) the scheme it was reached by.
            proto = meta.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                meta["wsgi.url_scheme"] = proto
        return self.get_response(request)
