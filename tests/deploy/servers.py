"""Real components for tests that run Equipage as an operator would.

A PostgreSQL server of the test's own (initdb + pg_ctl, as ``scripts/_postgres.sh``
does) that a test may stop and start, a throw-away database on the suite's
server, ``equipage`` commands as real subprocesses with their logs in files,
and an SMTP server (aiosmtpd) that can be stopped and started on one port.
"""

from __future__ import annotations

import contextlib
import email
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until[T](what: str, check: Callable[[], T], timeout: float = 30, every: float = 0.1) -> T:
    """Return ``check()``'s first truthy value; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


# -- PostgreSQL ----------------------------------------------------------------


def pg_bin() -> Path:
    """The newest installed PostgreSQL's binaries, or a loud failure."""
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise AssertionError("PostgreSQL is not installed (no initdb): install Debian's 'postgresql'")


class PostgresServer:
    """A PostgreSQL server in a temporary directory, on a free loopback port."""

    def __init__(self) -> None:
        self.bin = pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="equipage-pg-"))
        self.port = free_port()
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.dir, "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self._run(
            "initdb", "-D", f"{self.dir}/data", "-U", "postgres", "-A", "trust", "--no-sync",
            "-E", "UTF8",
        )  # fmt: skip

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            [*self.as_postgres, str(self.bin / tool), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"{tool} failed:\n{done.stdout}\n{done.stderr}\n{self.log()}"

    def log(self) -> str:
        path = self.dir / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def start(self) -> None:
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/server.log", "-w", "-t", "30",
            "-o", options, "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-m", "fast", "-w", "stop")

    def restart(self, down_for: float = 0.0) -> None:
        """Stop the server (every connection is cut), wait ``down_for`` s, start it again."""
        self.stop()
        time.sleep(down_for)
        self.start()

    def url(self, database: str = "equipage") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        sql(self.url("postgres"), f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def sql(url: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on its own autocommit connection; return its rows."""
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        cursor = conn.execute(statement.encode(), params)  # type: ignore[call-overload]
        return list(cursor.fetchall()) if cursor.description else []


@pytest.fixture
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.destroy()


def suite_postgres_url() -> str | None:
    """The PostgreSQL server the suite runs on (its PostgreSQL half), if any."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of an empty database of the suite's engine, dropped afterwards.

    On the PostgreSQL half: a new database on the suite's server; on the SQLite
    half: a new data directory. Either way, nothing in it yet.
    """
    env = {"EQUIPAGE_DATA_DIR": str(tmp_path / "data")}
    url = suite_postgres_url()
    if url is None:
        yield env
        return
    parts = urlsplit(url)
    name = f"eq_throwaway_{uuid.uuid4().hex[:12]}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    sql(admin, f'CREATE DATABASE "{name}"')
    try:
        yield {**env, "DATABASE_URL": urlunsplit(parts._replace(path=f"/{name}"))}
    finally:
        sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- equipage as subprocesses ----------------------------------------------------


def equipage_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment of an ``equipage`` process: this checkout, no inherited database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "EQUIPAGE_DATA_DIR")
        and not k.startswith("PYTEST")
    }
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("EQUIPAGE_SECRET_KEY", "test-cluster-secret-" + "x" * 40)
    env.update(extra)
    return env


class Process:
    """An ``equipage`` (or other Python) process whose output goes to a log file.

    With ``own_disk``, the process sees an empty disk of its own (a tmpfs in a
    private mount namespace) at that directory, as a separate machine would:
    what it writes there no other process can read, even at the same path.
    """

    def __init__(
        self,
        args: list[str],
        env: dict[str, str],
        log: Path,
        module: str = "equipage",
        own_disk: Path | None = None,
    ):
        self.args = args
        self.log_path = log
        self.handle = log.open("ab")
        command = [sys.executable, "-m", module, *args]
        if own_disk is not None:
            own_disk.mkdir(parents=True, exist_ok=True)
            mount = 'mount -t tmpfs tmpfs "$0" && exec "$@"'
            command = [
                "unshare", "--mount", "--propagation", "private", "--",
                "sh", "-c", mount, str(own_disk), *command,
            ]  # fmt: skip
        self.popen = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 30) -> None:
        wait_until(f"{text!r} in the log of {self.args}", lambda: text in self.log(), timeout)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, signum: int) -> None:
        self.popen.send_signal(signum)

    def wait(self, timeout: float) -> int:
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"{self.args} still running after {timeout} s:\n{self.log()[-3000:]}"
            ) from None

    def stop(self) -> None:
        """Terminate (then kill) the process and every child it left."""
        children = child_pids(self.pid)
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.handle.close()


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (Linux)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(p) for p in (task / "children").read_text().split()]
    return found


def run_equipage(
    args: list[str], env: dict[str, str], timeout: float = 60, module: str = "equipage"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# -- SMTP ------------------------------------------------------------------------


class Inbox:
    """What the test's SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.original_content or envelope.content)
        )
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in (m["To"] or "")]


class SmtpServer:
    """aiosmtpd on a fixed loopback port, which a test may stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Any = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


# -- nginx -----------------------------------------------------------------------

NGINX = Path("/usr/sbin/nginx")


class Nginx:
    """Debian's nginx running ``deploy/nginx/equipage.conf`` made to fit loopback ports."""

    def __init__(self, directory: Path, front: int, nodes: list[int]) -> None:
        from tests.web.test_behind_nginx import site_config

        if not NGINX.exists():
            raise AssertionError("Debian's nginx is needed (apt-get install nginx; .ci/run does)")
        self.url = f"http://127.0.0.1:{front}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "logs").mkdir(exist_ok=True)
        (directory / "site.conf").write_text(site_config(front, nodes))
        (directory / "nginx.conf").write_text(
            f"daemon off;\npid {directory}/nginx.pid;\nerror_log {directory}/error.log;\n"
            "events { worker_connections 64; }\n"
            f"http {{\n access_log off;\n client_body_temp_path {directory}/body;\n"
            f" proxy_temp_path {directory}/proxy;\n include {directory}/site.conf;\n}}\n"
        )
        self.popen = subprocess.Popen(
            [str(NGINX), "-p", str(directory), "-c", str(directory / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
