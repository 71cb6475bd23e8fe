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
