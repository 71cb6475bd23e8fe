"""Real ``equipage`` processes for the operations tests: nodes on loopback, fresh databases."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_DROPPED = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "PROMETHEUS_MULTIPROC_DIR")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without its database or Equipage settings, plus ``extra``."""
    env = {
        k: v for k, v in os.environ.items() if k not in _DROPPED and not k.startswith("EQUIPAGE_")
    }
    env.update(extra)
    return env


def postgres_under_test() -> str | None:
    """Return the PostgreSQL URL this run tests against, or None on the SQLite run."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def _maintenance_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


@contextmanager
def fresh_postgres_database(hint: str) -> Iterator[str]:
    """Create an empty database on the server under test; drop it afterwards."""
    import psycopg

    url = postgres_under_test()
    assert url, "fresh_postgres_database needs DATABASE_URL to name a PostgreSQL server"
    name = f"eq_{hint}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_maintenance_url(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    finally:
        drop_postgres_database(url, name)


def drop_postgres_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_maintenance_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def equipage(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run one ``equipage`` command to its end."""
    return subprocess.run(
        [sys.executable, "-m", "equipage", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


class Node:
    """One ``equipage serve`` on loopback, its output kept in a file."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 1) -> None:
        self.port = free_port()
        self.log = log
        self._out = log.open("w")
        command = ["serve", "--port", str(self.port), "--workers", str(workers)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "equipage", *command],
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers={"Connection": "close", **(headers or {})})
            reply = conn.getresponse()
            return Response(reply.status, dict(reply.getheaders()), reply.read())
        finally:
            conn.close()

    def wait_for(self, path: str, status: int, seconds: float = 90) -> Response:
        """Poll ``path`` until it answers ``status``; fail with the node's output otherwise."""
        deadline = time.monotonic() + seconds
        last: Response | str = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                last = self.get(path)
                if last.status == status:
                    return last
            except OSError as exc:
                last = repr(exc)
            time.sleep(0.3)
        detail = last.body.decode() if isinstance(last, Response) else last
        raise AssertionError(f"{path} never answered {status}: {detail}\n{self.output()[-3000:]}")

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._out.close()
