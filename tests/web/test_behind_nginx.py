"""Debian's nginx, configured from deploy/nginx/equipage.conf, in front of two real nodes.

Clients leave from distinct loopback addresses (127.0.0.2, .3, ...); nginx talks
to the nodes from 127.0.0.1, the only trusted proxy. Runs on SQLite, and on
PostgreSQL in the PostgreSQL half of the suite (a throw-away database).
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import (
    Browser,
    create_acme,
    free_port,
    query,
    shared_database,
    start_node,
    stop,
    wait_http,
)

NGINX = Path("/usr/sbin/nginx")
EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "equipage.conf"
OWNER_PASSWORD = "Owner-pass-2026!"


def site_config(front: int, nodes: list[int]) -> str:
    """Return the example config made to run on loopback: plain http, our two nodes."""
    text = EXAMPLE.read_text()
    ports = iter(nodes)
    text, n = re.subn(
        r"(?m)^    server 10\.0\.0\.1[12]:8000",
        lambda _: f"    server 127.0.0.1:{next(ports)}",
        text,
    )
    assert n == 2, "the example's upstream changed: update this test"
    # The redirecting :80 server and TLS are for production; here nginx listens in clear.
    text, n = re.subn(r"(?s)# Plain http only redirects.*?\n}\n", "", text)
    assert n == 1, "the example's :80 server changed: update this test"
    text, n = re.subn(
        r"(?m)^    listen 443 ssl http2;\n    listen \[::\]:443 ssl http2;",
        f"    listen 127.0.0.1:{front};",
        text,
    )
    assert n == 1, "the example's listen lines changed: update this test"
    text = re.sub(r"(?m)^    ssl_certificate.*\n", "", text)
    return text


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not NGINX.exists():
        raise AssertionError("Debian's nginx is needed (apt-get install nginx; .ci/run does)")
    tmp = tmp_path_factory.mktemp("nginx")
    front, nodes = free_port(), [free_port(), free_port()]
    with shared_database(tmp) as env:
        env["EQUIPAGE_BASE_URL"] = f"http://127.0.0.1:{front}"
        env["EQUIPAGE_TRUSTED_PROXIES"] = "127.0.0.1"
        # Migrated and populated once, before the nodes start.
        link = create_acme(env)
        (tmp / "logs").mkdir()
        (tmp / "site.conf").write_text(site_config(front, nodes))
        (tmp / "nginx.conf").write_text(
            f"daemon off;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\n"
            "events { worker_connections 64; }\n"
            f"http {{\n access_log off;\n client_body_temp_path {tmp}/body;\n"
            f" proxy_temp_path {tmp}/proxy;\n include {tmp}/site.conf;\n}}\n"
        )
        processes = [start_node(env, port) for port in nodes]
        proxy = subprocess.Popen(
            [str(NGINX), "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        processes.append(proxy)
        try:
            for port in (*nodes, front):
                wait_http(port)
            yield {"env": env, "front": front, "nodes": nodes, "link": link}
        finally:
            stop(*processes)


def origin_ips(env: dict[str, str], event: str) -> list[str]:
    rows = query(
        env, f"SELECT origin FROM audit_auditevent WHERE event_type = '{event}' ORDER BY id"
    )
    return [(json.loads(r[0]) if isinstance(r[0], str) else r[0]).get("ip", "") for r in rows]


def test_behind_nginx_each_client_is_itself_and_the_owner_always_gets_in(
    site: dict[str, Any],
) -> None:
    front = site["front"]
    owner = Browser(front, source="127.0.0.2")
    # The owner sets a password from the mailed link, through nginx: this browser is known.
    path = "/" + site["link"].split("/", 3)[3]
    r = owner.post_form(
        path,
        {
            "first_name": "Olivia",
            "last_name": "Owner",
            "new_password1": OWNER_PASSWORD,
            "new_password2": OWNER_PASSWORD,
        },
    )
    assert r.status == 302, r.text[:300]
    assert any(name.startswith("equipage_device_") for name in owner.cookies)

    # Issue #14's replay: five bad logins from one client, sent through nginx to
    # both nodes in turn, slow down neither another client nor the owner.
    attacker = Browser(front, source="127.0.0.3")
    assert [attacker.login(f"ghost-{i}", "wrong") for i in range(5)] == [200] * 5
    assert Browser(front, source="127.0.0.4").login("ghost-x", "wrong") == 200
    assert Browser(front, source="127.0.0.4").login("owner@acme.test", OWNER_PASSWORD) == 302
    assert owner.login("owner@acme.test", OWNER_PASSWORD) == 302
    # The attacker's own address is counted, by both nodes alike: it is slowed down.
    # (Waits double from 1 s: a few more tries are sure to meet one, however slow the machine.)
    codes = [attacker.login(f"ghost-{i}", "wrong") for i in range(5, 15)]
    assert codes[:5] == [200] * 5 and 429 in codes[5:]
    # Its pause touches nobody else, and the audit log names the real clients.
    assert Browser(front, source="127.0.0.5").login("owner@acme.test", OWNER_PASSWORD) == 302
    assert origin_ips(site["env"], "member.login")[-3:] == ["127.0.0.4", "127.0.0.2", "127.0.0.5"]
    assert "127.0.0.3" in origin_ips(site["env"], "login.paused")


def test_a_node_reached_directly_does_not_believe_forwarded_headers(site: dict[str, Any]) -> None:
    node = site["nodes"][0]
    # The attack: go around nginx and name a new address on every attempt.
    forger = Browser(node, source="127.0.0.6")
    codes = [
        forger.login(f"forged-{i}", "wrong", {"X-Forwarded-For": f"10.66.0.{i}"}) for i in range(15)
    ]
    assert codes[:10] == [200] * 10 and 429 in codes[10:]
    # A login sent with a forged address is recorded from the real one.
    direct = Browser(site["nodes"][1], source="127.0.0.7")
    assert (
        direct.login("owner@acme.test", OWNER_PASSWORD, {"X-Forwarded-For": "10.66.66.66"}) == 302
    )
    assert origin_ips(site["env"], "member.login")[-1] == "127.0.0.7"
    # Nor the scheme: a forged "https" would make Django demand a Referer (403).
    assert (
        Browser(node, source="127.0.0.8").login("ghost", "wrong", {"X-Forwarded-Proto": "https"})
        == 200
    )


def test_the_example_config_as_shipped_passes_nginx_checks(tmp_path: Path) -> None:
    # The production half the site fixture strips (TLS, the :80 redirect) is checked too,
    # with a throw-away certificate in place of Let's Encrypt's.
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=members.example.org", "-keyout", str(tmp_path / "key.pem"),
         "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    text = EXAMPLE.read_text()
    text = text.replace(
        "/etc/letsencrypt/live/members.example.org/fullchain.pem", str(tmp_path / "cert.pem")
    ).replace("/etc/letsencrypt/live/members.example.org/privkey.pem", str(tmp_path / "key.pem"))
    (tmp_path / "site.conf").write_text(text)
    (tmp_path / "logs").mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n include {tmp_path}/site.conf;\n}}\n"
    )
    checked = subprocess.run(
        [str(NGINX), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr


def test_nginx_refuses_bodies_over_the_import_limit_before_reading_them(
    site: dict[str, Any],
) -> None:
    def announce(size: int) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", site["front"], timeout=10)
        conn.putrequest("POST", "/api/v1/imports")
        conn.putheader("Content-Type", "multipart/form-data; boundary=x")
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        status = conn.getresponse().status
        conn.close()
        return status

    # A 250 MB upload is stopped at the proxy on its announced size, no byte read.
    assert announce(250 * 1024 * 1024) == 413
