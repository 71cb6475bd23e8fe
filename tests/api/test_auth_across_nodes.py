"""The per-token rate limit holds across nodes: two real ``equipage serve`` on one database."""

from __future__ import annotations

import http.client
import threading
import time
from pathlib import Path

from tests.live import cli, free_port, shared_database, start_node, stop, wait_http

LIMIT = 10


def test_rate_limit_counts_the_requests_of_every_node_together(tmp_path: Path) -> None:
    with shared_database(tmp_path) as env:
        env["EQUIPAGE_API_RATE_LIMIT"] = str(LIMIT)
        cli(env, "org", "create", "acme", "--name", "Acme", "--owner-email", "o@acme.test")
        token = cli(env, "token", "create", "--org", "acme", "--scope", "api").split()[-1]
        ports = [free_port(), free_port()]
        nodes = [start_node(env, port) for port in ports]
        try:
            for port in ports:
                wait_http(port, "/api/v1/openapi.json")
            # The limit is per minute: start well inside one.
            if time.time() % 60 > 45:
                time.sleep(61 - time.time() % 60)
            codes: list[int] = []

            def send(port: int) -> None:
                for _ in range(LIMIT):
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
                    conn.request(
                        "GET", "/api/v1/labels", headers={"Authorization": f"Bearer {token}"}
                    )
                    codes.append(conn.getresponse().status)
                    conn.close()

            # The attack: spread the requests over both nodes, at the same time.
            threads = [threading.Thread(target=send, args=(port,)) for port in ports]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        finally:
            stop(*nodes)
    assert sorted(codes) == [200] * LIMIT + [429] * LIMIT
