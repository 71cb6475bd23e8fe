"""``equipage serve`` on a fresh data directory: created, migrated, served by a real app server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_runs_the_demo_on_a_fresh_data_directory(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["EQUIPAGE_DATA_DIR"] = str(tmp_path / "data")
    demo = subprocess.run(
        [sys.executable, "-m", "equipage", "demo", "--members", "10"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert demo.returncode == 0, demo.stderr
    assert "claire.fontaine" in demo.stdout
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "equipage", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/o/demo/login", timeout=2
                ) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        assert "Atelier Boréal" in body, "the server did not answer"
        # The worker started by serve sends the queued set-password mail to the .eml directory.
        mail_dir = tmp_path / "data" / "mail"
        for _ in range(100):
            if mail_dir.exists() and any(mail_dir.iterdir()):
                break
            time.sleep(0.2)
        assert any(mail_dir.glob("*.eml")), "the worker did not deliver the queued mail"
    finally:
        server.terminate()
        server.wait(20)


def _socket_inodes_of(pid: int) -> set[str]:
    inodes: set[str] = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:  # closed while we looked
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _connections_from(pid: int, server_port: int, client_ports: set[int]) -> int:
    """How many of ``pid``'s sockets are the server side of one of our clients' connections:
    other sockets (a refused client's not yet closed, a log pipe) do not count."""
    inodes = _socket_inodes_of(pid)
    held = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if local_port == server_port and remote_port in client_ports and fields[9] in inodes:
                held += 1
    return held


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    found: list[int] = []
    for task in tasks.iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def test_serve_spreads_keep_alive_connections_over_its_web_processes(tmp_path: Path) -> None:
    """The attack: gthread's accept loop let the first web process awake take every
    keep-alive connection (8 of 8 under wrk) while the other core's process idled."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["EQUIPAGE_DATA_DIR"] = str(tmp_path / "data")
    port = free_port()
    command = ["serve", "--port", str(port), "--workers", "2", "--threads", "2", "--no-worker"]
    server = subprocess.Popen(
        [sys.executable, "-m", "equipage", *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    clients: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 180  # a fresh data directory is migrated first
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise AssertionError("serve did not answer")
        time.sleep(1)  # the second web process is forked just after the first
        workers = _children(server.pid)
        assert len(workers) == 2, workers
        request = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        # One idle keep-alive connection per process and thread: a process with no room
        # refuses keep-alive ("Connection: close"), and the client comes back on another.
        for _ in range(20):
            if len(clients) == 4:
                break
            client = socket.create_connection(("127.0.0.1", port), timeout=10)
            client.sendall(request)
            answer = client.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200"), answer
            if b"connection: close" in answer.lower():
                client.close()
            else:
                clients.append(client)
        assert len(clients) == 4, "keep-alive was refused"
        client_ports = {client.getsockname()[1] for client in clients}
        held = {pid: _connections_from(pid, port, client_ports) for pid in workers}
        assert sorted(held.values()) == [2, 2], held
    finally:
        for client in clients:
            client.close()
        server.terminate()
        server.wait(30)
