"""A revoked token stops on every node within ``VERIFIED_TOKEN_SECONDS``: two real nodes.

Each web process trusts a token it verified for ``VERIFIED_TOKEN_SECONDS`` (saving three
queries a request). The attack: keep using a token on two nodes, revoke it through the
action in a third process, and keep going: no request sent after the bound may pass.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import threading
import time
from pathlib import Path

from equipage.tokens.selectors import VERIFIED_TOKEN_SECONDS
from tests.live import cli, free_port, shared_database, start_node, stop, wait_http

REVOKE = """
import django
django.setup()
from equipage.permissions import Actor
from equipage.tokens.actions import token_revoke
from equipage.tokens.models import ApiToken
token_revoke(actor=Actor.operator("test"), token=ApiToken.objects.get(name="sync"))
"""


def status(port: int, token: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    conn.request("GET", "/api/v1/labels", headers={"Authorization": f"Bearer {token}"})
    code = conn.getresponse().status
    conn.close()
    return code


def test_a_token_revoked_elsewhere_is_refused_by_every_node_within_the_bound(
    tmp_path: Path,
) -> None:
    with shared_database(tmp_path) as env:
        env["EQUIPAGE_API_RATE_LIMIT"] = "0"
        cli(env, "org", "create", "acme", "--name", "Acme", "--owner-email", "o@acme.test")
        out = cli(env, "token", "create", "--org", "acme", "--scope", "api", "--name", "sync")
        token = out.split()[-1]
        ports = [free_port(), free_port()]
        nodes = [start_node(env, port) for port in ports]
        try:
            for port in ports:
                wait_http(port, "/api/v1/openapi.json", seconds=120)
                assert status(port, token) == 200  # verified, hence trusted for a while
            sent: list[tuple[float, int, int]] = []  # (monotonic start, node, status)
            stop_at = [float("inf")]

            def hammer(port: int) -> None:
                while time.monotonic() < stop_at[0]:
                    start = time.monotonic()
                    sent.append((start, port, status(port, token)))

            threads = [threading.Thread(target=hammer, args=(port,)) for port in ports]
            for t in threads:
                t.start()
            time.sleep(0.5)
            launched = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-c", REVOKE],
                env={**env, "DJANGO_SETTINGS_MODULE": "equipage.settings"},
                capture_output=True,
                text=True,
                timeout=60,
            )
            revoked = time.monotonic()  # the revocation is committed by now
            stop_at[0] = revoked + VERIFIED_TOKEN_SECONDS + 1.5
            for t in threads:
                t.join(60)
            assert done.returncode == 0, done.stderr
        finally:
            stop(*nodes)
    # Before the revoking process started, the token worked on both nodes.
    assert {code for start, _p, code in sent if start < launched} == {200}
    late = [(start - revoked, port, code) for start, port, code in sent]
    after_bound = [(at, port, code) for at, port, code in late if at > VERIFIED_TOKEN_SECONDS]
    assert {port for _at, port, _code in after_bound} == set(ports)
    assert [code for _at, _port, code in after_bound] == [401] * len(after_bound), after_bound
