"""One HTTP POST to a webhook endpoint, to the address that was checked, never redirected.

The host is resolved once; every address it resolves to must be public
(unless the operator allows private ones), and the connection goes to those
very addresses — a DNS answer that changes between the check and the
connection (rebinding) cannot send the request inside the network. The Host
header and the TLS certificate check still use the endpoint's name. A
redirect is an answer like any other non-2xx: it is not followed, so the
address guard never has to judge a second hop.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import socket
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings

TIMEOUT_SECONDS = 10

# The resolver used once per delivery (a seam for the DNS-rebinding test).
resolve = socket.getaddrinfo


class PrivateAddressRefused(PermissionError):
    """The endpoint's name leads to a loopback, private, link-local or reserved address."""


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def checked_addresses(host: str, port: int) -> list[str]:
    """Resolve ``host`` once and return its addresses, refusing any that is not public."""
    infos = resolve(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise OSError(f"{host} has no address")
    if not getattr(settings, "EQUIPAGE_WEBHOOKS_ALLOW_PRIVATE", False):
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if not _is_public(address):
                raise PrivateAddressRefused(f"{host} resolves to a private address ({address})")
    return addresses


def _pin(connection: http.client.HTTPConnection, addresses: list[str]) -> None:
    """Make ``connection`` connect to ``addresses`` (in order) instead of resolving its host."""

    def create_connection(
        address: tuple[str, int], timeout: Any = None, source_address: Any = None
    ) -> socket.socket:
        error: OSError | None = None
        for ip in addresses:
            try:
                return socket.create_connection((ip, address[1]), timeout, source_address)
            except OSError as exc:
                error = exc
        assert error is not None
        raise error

    connection._create_connection = create_connection  # type: ignore[attr-defined]


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` to ``url`` and return the HTTP status; redirects are returned, not followed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("only http:// and https:// URLs with a host are allowed")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = checked_addresses(parts.hostname, port)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, port, timeout=TIMEOUT_SECONDS)
    else:
        connection = http.client.HTTPConnection(parts.hostname, port, timeout=TIMEOUT_SECONDS)
    _pin(connection, addresses)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.username is not None:
        userinfo = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers = {
            **headers,
            "Authorization": "Basic " + base64.b64encode(userinfo.encode()).decode(),
        }
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        return int(response.status)
    finally:
        connection.close()
