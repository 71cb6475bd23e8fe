"""Outgoing webhooks reach only the address that was checked, and never follow a redirect.

Real HTTP servers on loopback. The first-hop server must be allowed (it is on
loopback), so the redirect test proves the stronger thing: the second hop is
never requested at all, whatever the guard would say about it.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from equipage.webhooks import transport
from equipage.webhooks.actions import webhook_create
from equipage.webhooks.delivery import deliver_due
from equipage.webhooks.models import DeliveryStatus, WebhookDelivery


class Server:
    """An HTTP server on ``host`` that records requests and answers ``answer(handler)``."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None
    ) -> None:
        self.requests: list[dict[str, Any]] = []
        self.redirect_to = ""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                server.requests.append(
                    {"headers": dict(self.headers), "body": self.rfile.read(length)}
                )
                if server.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", server.redirect_to)
                else:
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = HTTPServer((host, port), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = int(self.httpd.server_port)
        self.url = f"{'https' if tls else 'http'}://{host}:{self.port}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None) -> Server:
        started.append(Server(host, port, tls))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def _emit(org: Any, admin: Any, url: str) -> None:
    from equipage.accounts.actions import member_update

    webhook_create(actor=admin, organization=org, url=url, events=["member.updated"])
    member_update(actor=admin, member=admin, job_title="Boss")


def test_redirect_to_an_internal_address_is_not_followed_and_counts_as_a_failure(
    org: Any, admin: Any, servers: Callable[..., Server], settings: Any, frozen_clock: Any
) -> None:
    settings.EQUIPAGE_WEBHOOKS_ALLOW_PRIVATE = True  # the first hop is on loopback
    internal = servers()
    outside = servers()
    outside.redirect_to = internal.url.replace("/hook", "/admin/delete-everything")
    _emit(org, admin, outside.url)
    assert deliver_due() == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.QUEUED and delivery.response_status == 302
    assert delivery.last_error == "HTTP 302"
    frozen_clock.advance(seconds=31)
    assert deliver_due() == 0  # retried as a failure, and again not followed
    assert len(outside.requests) == 2
    assert internal.requests == []
    # The delivery log says why, in the admin's language.
    from django.test import Client

    console = Client()
    console.force_login(admin, backend="equipage.accounts.backends.MemberBackend")
    page = console.get(f"/o/acme/webhooks/{delivery.endpoint_id}/")
    assert "HTTP 302 (redirects are not followed)" in page.content.decode()
    type(admin).objects.filter(pk=admin.pk).update(language="fr")
    page = console.get(f"/o/acme/webhooks/{delivery.endpoint_id}/")
    assert "HTTP 302 (les redirections ne sont pas suivies)" in page.content.decode()


def test_delivery_connects_to_the_address_it_checked_even_if_dns_answers_otherwise_later(
    org: Any,
    admin: Any,
    servers: Callable[..., Server],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.EQUIPAGE_WEBHOOKS_ALLOW_PRIVATE = True
    checked = servers("127.0.0.1")
    rebound = servers("127.0.0.2", checked.port)  # same port, another address
    answers = ["127.0.0.1", "127.0.0.2"]
    lookups: list[str] = []

    def rebinding_dns(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        # A resolver an attacker controls: a first answer to pass the check, then another.
        lookups.append(host)
        address = answers[min(len(lookups), len(answers)) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(transport, "resolve", rebinding_dns)
    _emit(org, admin, f"http://hooks.rebind.test:{checked.port}/hook")
    assert deliver_due() == 1
    assert lookups == ["hooks.rebind.test"]  # resolved once
    assert len(checked.requests) == 1 and rebound.requests == []
    assert checked.requests[0]["headers"]["Host"] == f"hooks.rebind.test:{checked.port}"
    assert json.loads(checked.requests[0]["body"])["type"] == "member.updated"


@pytest.mark.parametrize(
    "answers",
    [
        ["127.0.0.1"],
        ["10.1.2.3"],
        ["93.184.215.14", "192.168.1.1"],  # one public answer does not cover a private one
        ["169.254.169.254"],  # cloud metadata
        ["100.64.0.1"],  # carrier-grade NAT
        ["0.0.0.0"],
        ["::1"],
        ["::ffff:127.0.0.1"],
        ["fd00::1"],
    ],
)
def test_names_resolving_to_a_non_public_address_are_refused_before_connecting(
    answers: list[str], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.EQUIPAGE_WEBHOOKS_ALLOW_PRIVATE = False

    def dns(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers]

    monkeypatch.setattr(transport, "resolve", dns)
    with pytest.raises(transport.PrivateAddressRefused):
        transport.post("https://hooks.example.test/x", b"{}", {})


def test_public_addresses_pass_the_guard(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.EQUIPAGE_WEBHOOKS_ALLOW_PRIVATE = False

    def dns(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]

    monkeypatch.setattr(transport, "resolve", dns)
    assert transport.checked_addresses("hooks.example.test", 443) == ["93.184.215.14"]


def test_failed_delivery_is_logged_with_organization_and_endpoint(
    org: Any, admin: Any, servers: Callable[..., Server], settings: Any, caplog: Any
) -> None:
    settings.EQUIPAGE_WEBHOOKS_ALLOW_PRIVATE = True
    outside = servers()
    outside.redirect_to = "http://127.0.0.1:9/"
    _emit(org, admin, outside.url)
    with caplog.at_level(logging.WARNING, logger="equipage.webhooks.delivery"):
        deliver_due()
    endpoint = WebhookDelivery.objects.get().endpoint
    [record] = [r for r in caplog.records if r.name == "equipage.webhooks.delivery"]
    assert "organization=acme" in record.getMessage()
    assert f"endpoint={endpoint.pk}" in record.getMessage()
    assert record.organization == "acme" and record.endpoint == endpoint.pk  # type: ignore[attr-defined]


def _dns(answers: dict[str, str]) -> Callable[..., list[Any]]:
    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    return resolve


def test_https_delivery_goes_to_the_checked_address_and_still_checks_the_certificate_name(
    tmp_path: Path,
    servers: Callable[..., Server],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    openssl = shutil.which("openssl")
    assert openssl, "openssl (Debian package) is needed to make the test certificate"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=hooks.pinned.test"),
            *("-addext", "subjectAltName=DNS:hooks.pinned.test"),
        ],
        check=True,
        capture_output=True,
    )
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    server = servers(tls=tls)
    settings.EQUIPAGE_WEBHOOKS_ALLOW_PRIVATE = True
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate, nothing else
    monkeypatch.setattr(
        transport,
        "resolve",
        _dns({"hooks.pinned.test": "127.0.0.1", "impostor.pinned.test": "127.0.0.1"}),
    )
    assert transport.post(f"https://hooks.pinned.test:{server.port}/x", b"{}", {}) == 200
    assert server.requests[0]["headers"]["Host"] == f"hooks.pinned.test:{server.port}"
    # Same address, a name the certificate does not cover: refused by TLS.
    with pytest.raises(ssl.SSLCertVerificationError):
        transport.post(f"https://impostor.pinned.test:{server.port}/x", b"{}", {})
    assert len(server.requests) == 1
