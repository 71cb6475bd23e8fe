"""The per-token rate limit holds across nodes: two real ``equipage serve`` on one database.

Counted in the database cache by default, or in a real Redis (Debian's
``redis-server`` on a free loopback port) when ``EQUIPAGE_CACHE_URL`` names one.
"""

from __future__ import annotations

import contextlib
import http.client
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import cli, free_port, shared_database, start_node, stop, wait_http

LIMIT = 10


@contextlib.contextmanager
def cache_url(kind: str, tmp: Path) -> Iterator[str]:
    """Yield ``EQUIPAGE_CACHE_URL`` for ``kind``: empty (the database) or a fresh Redis."""
    if kind == "database":
        yield ""
        return
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(server).exists():
        raise AssertionError("Debian's redis-server is needed (apt-get install redis-server)")
    port = free_port()
    redis = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(redis)


@pytest.mark.parametrize("store", ["database", "redis"])
def test_rate_limit_counts_the_requests_of_every_node_together(tmp_path: Path, store: str) -> None:
    with shared_database(tmp_path) as env, cache_url(store, tmp_path) as url:
        env["EQUIPAGE_API_RATE_LIMIT"] = str(LIMIT)
        env["EQUIPAGE_CACHE_URL"] = url
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


def test_a_high_limit_holds_across_nodes_within_the_batches_each_process_counts_alone(
    tmp_path: Path,
) -> None:
    """Each process adds its requests to the shared counter RATE_BATCH at a time.

    The bound: a window admits at least the limit and at most RATE_BATCH - 1 more per
    web process (two nodes of one process here). The attack: 3 × the limit spread over
    both nodes at once.
    """
    from equipage.api.auth import RATE_BATCH

    limit = 120
    with shared_database(tmp_path) as env:
        env["EQUIPAGE_API_RATE_LIMIT"] = str(limit)
        cli(env, "org", "create", "acme", "--name", "Acme", "--owner-email", "o@acme.test")
        token = cli(env, "token", "create", "--org", "acme", "--scope", "api").split()[-1]
        ports = [free_port(), free_port()]
        nodes = [start_node(env, port) for port in ports]
        try:
            for port in ports:
                wait_http(port, "/api/v1/openapi.json", seconds=120)
            if time.time() % 60 > 30:
                time.sleep(61 - time.time() % 60)
            codes: list[int] = []

            def send(port: int) -> None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
                for _ in range(limit * 3 // 2):
                    conn.request(
                        "GET", "/api/v1/labels", headers={"Authorization": f"Bearer {token}"}
                    )
                    response = conn.getresponse()
                    response.read()
                    codes.append(response.status)
                conn.close()

            threads = [threading.Thread(target=send, args=(port,)) for port in ports]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
        finally:
            stop(*nodes)
    assert set(codes) == {200, 429}
    assert limit <= codes.count(200) <= limit + len(ports) * (RATE_BATCH - 1), codes.count(200)
