"""Real nodes for tests: ``equipage serve`` processes on loopback, a browser bound to an address.

Nodes share one database: a fresh SQLite data directory, or, when the tests run
on PostgreSQL (``DATABASE_URL``), a throw-away database on the same server.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookies
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def shared_database(tmp: Path) -> Iterator[dict[str, str]]:
    """Yield the environment of nodes sharing one empty database, dropped afterwards."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["EQUIPAGE_DATA_DIR"] = str(tmp / "data")
    env["EQUIPAGE_SECRET_KEY"] = "live-test-" + uuid.uuid4().hex
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield env
        return
    import psycopg

    name = f"eq_live_{uuid.uuid4().hex[:12]}"
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    try:
        yield env
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(env: dict[str, str], sql: str) -> list[tuple[Any, ...]]:
    """Run one read query on the nodes' database (SQLite or PostgreSQL)."""
    if "DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            return list(conn.execute(sql).fetchall())
    import sqlite3

    with contextlib.closing(
        sqlite3.connect(Path(env["EQUIPAGE_DATA_DIR"]) / "equipage.sqlite3")
    ) as conn:
        return list(conn.execute(sql).fetchall())


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "equipage", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def create_acme(env: dict[str, str]) -> str:
    """Create the organization "acme" (English) with the real command; return its last line.

    That line is the owner's single-use link to choose a password.
    """
    out = cli(
        env,
        "org",
        "create",
        "acme",
        "--name",
        "Acme",
        "--owner-email",
        "owner@acme.test",
        "--lang",
        "en",
    )
    return out.strip().splitlines()[-1]


def start_node(env: dict[str, str], port: int, worker: bool = False) -> subprocess.Popen[bytes]:
    """Start ``equipage serve`` on 127.0.0.1:port (wait with ``wait_http``).

    ``worker``: with its background worker (mail, webhooks); without, a bare web node.
    """
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "equipage",
            "serve",
            *([] if worker else ["--no-worker"]),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_http(port: int, path: str = "/o/acme/login", seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"nothing answered on 127.0.0.1:{port} within {seconds} s")


def stop(*processes: subprocess.Popen[Any]) -> None:
    for p in processes:
        p.terminate()
    for p in processes:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    text: str


@dataclass
class Browser:
    """A cookie-keeping HTTP client whose connections leave from ``source`` (a loopback address)."""

    port: int
    source: str = "127.0.0.1"
    host: str = "127.0.0.1"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        conn = http.client.HTTPConnection(
            self.host, self.port, timeout=15, source_address=(self.source, 0)
        )
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=sent)
        r = conn.getresponse()
        text = r.read().decode()
        for line in r.headers.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
        conn.close()
        return Response(r.status, r.headers, text)

    def post_form(
        self, path: str, form: dict[str, str], headers: dict[str, str] | None = None
    ) -> Response:
        """GET the page for its CSRF token, then POST the form as a browser would."""
        page = self.request("GET", path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match, f"no CSRF token on {path} ({page.status})"
        return self.request("POST", path, {**form, "csrfmiddlewaretoken": match[1]}, headers)

    def login(self, identifier: str, password: str, headers: dict[str, str] | None = None) -> int:
        return self.post_form(
            "/o/acme/login", {"identifier": identifier, "password": password}, headers
        ).status
