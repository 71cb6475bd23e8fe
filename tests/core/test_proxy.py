"""Behind a reverse proxy: the client's address and scheme, believed only from trusted proxies."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from equipage import conf
from equipage.core.proxy import client_address, forwarded_client

PROXIES = ["10.0.0.0/24", "192.0.2.1/32", "2001:db8::/64"]


@pytest.fixture
def trusted(settings: Any) -> None:
    settings.EQUIPAGE_TRUSTED_PROXIES = PROXIES


def test_forwarded_for_is_ignored_when_no_proxy_is_trusted(settings: Any) -> None:
    settings.EQUIPAGE_TRUSTED_PROXIES = []
    # The attack: a client names any address it likes to escape its own counters.
    assert forwarded_client("198.51.100.7", "203.0.113.1") == "198.51.100.7"


def test_forwarded_for_is_ignored_from_a_peer_that_is_not_a_trusted_proxy(trusted: None) -> None:
    assert forwarded_client("198.51.100.7", "203.0.113.1, 10.0.0.5") == "198.51.100.7"


def test_client_is_the_rightmost_address_that_is_not_a_trusted_proxy(trusted: None) -> None:
    # The client wrote "1.1.1.1" itself; nginx appended what it saw (203.0.113.9);
    # a second trusted proxy (10.0.0.5) appended nginx's address.
    assert forwarded_client("10.0.0.2", "1.1.1.1, 203.0.113.9, 10.0.0.5") == "203.0.113.9"
    assert forwarded_client("2001:db8::7", "2001:db8:1::1") == "2001:db8:1::1"


def test_a_malformed_hop_stops_the_walk_at_the_last_trusted_one(trusted: None) -> None:
    assert forwarded_client("10.0.0.2", "203.0.113.9, junk") == "10.0.0.2"
    assert forwarded_client("10.0.0.2", "junk, 10.0.0.3") == "10.0.0.3"
    assert forwarded_client("10.0.0.2", "") == "10.0.0.2"


def test_the_middleware_gives_every_part_the_real_client_and_scheme(trusted: None) -> None:
    from equipage.core.proxy import ReverseProxyMiddleware

    seen: dict[str, Any] = {}

    def view(request: Any) -> Any:
        seen.update(
            remote=request.META["REMOTE_ADDR"],
            client=client_address(request),
            secure=request.is_secure(),
        )
        return None

    middleware = ReverseProxyMiddleware(view)
    request = RequestFactory().get(
        "/",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        HTTP_X_FORWARDED_PROTO="https",
    )
    middleware(request)
    assert seen == {"remote": "203.0.113.9", "client": "203.0.113.9", "secure": True}
    assert request.META["equipage.peer_address"] == "10.0.0.2"
    # The same headers straight from a client change nothing.
    seen.clear()
    forged = RequestFactory().get(
        "/",
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        HTTP_X_FORWARDED_PROTO="https",
    )
    middleware(forged)
    assert seen == {"remote": "198.51.100.7", "client": "198.51.100.7", "secure": False}


def test_audit_origin_and_login_throttle_see_the_client_behind_the_proxy(
    trusted: None, org: Any, member: Any, frozen_clock: Any
) -> None:
    from equipage.audit.models import AuditEvent

    def login(password: str, client_ip: str, peer: str = "10.0.0.2") -> int:
        return (
            Client()
            .post(
                "/o/acme/login",
                {"identifier": member.login, "password": password},
                REMOTE_ADDR=peer,
                HTTP_X_FORWARDED_FOR=client_ip,
            )
            .status_code
        )

    assert login("member-pass-123", "203.0.113.9") == 302
    event = AuditEvent.objects.filter(event_type="member.login").latest("id")
    assert event.origin["ip"] == "203.0.113.9"
    # Ten bad logins from one client behind the proxy pause that client only.
    for i in range(10):
        Client().post(
            "/o/acme/login",
            {"identifier": f"nobody-{i}", "password": "x"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="203.0.113.66",
        )
    assert login("member-pass-123", "203.0.113.66") == 429
    assert login("member-pass-123", "203.0.113.67") == 302


def test_allowed_hosts_follow_the_base_url_unless_set(monkeypatch: Any) -> None:
    monkeypatch.delenv("EQUIPAGE_ALLOWED_HOSTS", raising=False)
    assert conf.allowed_hosts("https://members.example.org") == [
        "members.example.org",
        "localhost",
        "127.0.0.1",
        "[::1]",
    ]
    assert conf.allowed_hosts("https://[2001:db8::5]:8443")[0] == "[2001:db8::5]"
    # The default base URL (nobody configured a public one) keeps any host working.
    assert conf.allowed_hosts("http://127.0.0.1:8000") == ["*"]
    monkeypatch.setenv("EQUIPAGE_ALLOWED_HOSTS", "a.example.org, b.example.org")
    assert conf.allowed_hosts("https://members.example.org") == ["a.example.org", "b.example.org"]


def test_a_host_other_than_the_base_urls_is_refused(settings: Any, db: Any) -> None:
    settings.ALLOWED_HOSTS = conf.allowed_hosts("https://members.example.org")
    assert Client().get("/", HTTP_HOST="evil.example.com").status_code == 400
    assert Client().get("/", HTTP_HOST="members.example.org").status_code != 400
    assert Client().get("/", HTTP_HOST="localhost").status_code != 400


def test_trusted_proxies_must_be_addresses_or_networks(monkeypatch: Any) -> None:
    monkeypatch.setenv("EQUIPAGE_TRUSTED_PROXIES", "10.0.0.1, 172.16.0.0/12,::1")
    assert conf.trusted_proxies() == ["10.0.0.1/32", "172.16.0.0/12", "::1/128"]
    monkeypatch.setenv("EQUIPAGE_TRUSTED_PROXIES", "nginx.local")
    with pytest.raises(conf.ConfigError, match=r"nginx\.local"):
        conf.trusted_proxies()


def test_a_login_through_a_tls_proxy_passes_csrf_and_gets_secure_cookies(
    trusted: None, settings: Any, org: Any, member: Any
) -> None:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    via_proxy = {
        "REMOTE_ADDR": "10.0.0.2",
        "HTTP_X_FORWARDED_FOR": "203.0.113.9",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_HOST": "testserver",  # as nginx sends it (else Django appends the port, 80)
    }
    browser = Client(enforce_csrf_checks=True, **via_proxy)
    page = browser.get("/o/acme/login")
    assert browser.cookies["csrftoken"]["secure"]
    token = page.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    r = browser.post(
        "/o/acme/login",
        {"identifier": member.login, "password": "member-pass-123", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://testserver",
        HTTP_REFERER="https://testserver/o/acme/login",
    )
    assert r.status_code == 302
    assert r.cookies["sessionid"]["secure"]
    assert r.cookies[f"equipage_device_{member.pk}"]["secure"]
    assert r.cookies[f"equipage_device_{member.pk}"]["httponly"]
