"""Two web nodes and two workers on one PostgreSQL, as a team that outgrew one machine runs them.

Everything is real: a PostgreSQL server of the test's own (restarted mid-run),
two ``equipage serve --no-worker`` on two ports with separate data
directories and one shared ``EQUIPAGE_SECRET_KEY``, two ``equipage worker``,
all started at the same moment on an empty database, and an SMTP server
(aiosmtpd) stopped and started again. The attacks are issue #14's: the
migration race, a session checked by another node, a worker killed with
SIGKILL, a database restart, an SMTP outage, an import uploaded to one node
and handled by the others.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import signal
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.servers import (
    PostgresServer,
    Process,
    SmtpServer,
    child_pids,
    equipage_env,
    free_port,
    run_equipage,
    wait_until,
)
from tests.imports.helpers import csv_bytes

pytestmark = pytest.mark.postgres_only

OWNER_EMAIL = "claire.fontaine@atelier-boreal.test"  # `equipage demo`'s owner
OWNER_PASSWORD = "Equipage-demo-2026"


@dataclass
class Response:
    status: int
    url: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


@dataclass
class Browser:
    """An HTTP client keeping its own cookies (sessions, CSRF), like a person's browser."""

    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def request(
        self,
        url: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        method: str | None = None,
    ) -> Response:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
        try:
            with opener.open(request, timeout=20) as answer:
                return Response(answer.status, answer.url, answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, url, error.read())


@dataclass
class Node:
    """A web node: ``equipage serve --no-worker`` and the address it listens on."""

    process: Process
    url: str

    def api(
        self, token: str, method: str, path: str, payload: Any = None, body: bytes | None = None,
        content_type: str = "application/json",
    ) -> Response:  # fmt: skip
        data = body if body is not None else (json.dumps(payload).encode() if payload else None)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
        return Browser().request(f"{self.url}/api/v1{path}", data, headers, method)


@dataclass
class Cluster:
    postgres: PostgresServer
    smtp: SmtpServer
    nodes: list[Node]
    workers: list[Process]
    env: dict[str, str]  # for commands run by the operator, on a machine of their own
    token: str = ""


def multipart(filename: str, content: bytes, **fields: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: text/csv\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(
        parts
    ) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2).close()
    except urllib.error.HTTPError:
        return True  # any HTTP answer: the server is up
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    postgres = PostgresServer()
    smtp = SmtpServer()
    processes: list[Process] = []
    try:
        postgres.start()
        smtp.start()
        shared = {
            "DATABASE_URL": postgres.create_database("equipage"),
            "EQUIPAGE_SMTP_URL": smtp.url,
            "EQUIPAGE_SECRET_KEY": "one-key-for-every-node-" + uuid.uuid4().hex,
        }

        # Every process has a disk of its own mounted at the same place, as
        # separate machines do: the same data directory path, different files.
        disk = root / "disk"
        env = equipage_env({**shared, "EQUIPAGE_DATA_DIR": str(disk / "data")})
        ports = [free_port(), free_port()]
        commands = [
            *(["serve", "--no-worker", "--port", str(port), "--workers", "1"] for port in ports),
            ["worker", "--interval", "0.2"],
            ["worker", "--interval", "0.2"],
        ]
        # All four at the same moment, on an empty database.
        for name, args in zip(("node-a", "node-b", "worker-1", "worker-2"), commands, strict=True):
            processes.append(Process(args, env, root / f"{name}.log", own_disk=disk))
        nodes = [
            Node(p, f"http://127.0.0.1:{port}")
            for p, port in zip(processes[:2], ports, strict=True)
        ]
        for node in nodes:
            wait_until(f"{node.url} to answer", lambda n=node: answers(n.url), timeout=60)
        for process in processes:
            assert process.alive(), process.log()[-3000:]
        yield Cluster(postgres, smtp, nodes, processes[2:], env)
    finally:
        for process in processes:
            process.stop()
        smtp.stop()
        postgres.destroy()


def test_four_processes_started_at_once_on_an_empty_database_all_come_up(
    cluster: Cluster,
) -> None:
    check = run_equipage(["migrate", "--check"], cluster.env)
    assert check.returncode == 0, check.stdout + check.stderr
    for process in (*(n.process for n in cluster.nodes), *cluster.workers):
        assert process.alive()
        assert "Traceback" not in process.log(), process.log()[-3000:]
    for node in cluster.nodes:  # --no-worker: web only
        children = child_pids(node.process.pid)
        assert not [
            p for p in children if b"--parent-pid" in Path(f"/proc/{p}/cmdline").read_bytes()
        ]
    demo = run_equipage(["demo", "--members", "10"], cluster.env, timeout=120)
    assert demo.returncode == 0, demo.stderr
    token = run_equipage(["token", "create", "--org", "demo", "--scope", "api"], cluster.env)
    assert token.returncode == 0, token.stderr
    cluster.token = token.stdout.strip().splitlines()[-1]


def test_a_session_opened_on_one_node_is_accepted_by_the_other(cluster: Cluster) -> None:
    node_a, node_b = cluster.nodes
    browser = Browser()
    page = browser.request(f"{node_a.url}/o/demo/login")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert page.status == 200 and csrf
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": csrf.group(1),
            "identifier": OWNER_EMAIL,
            "password": OWNER_PASSWORD,
        }
    ).encode()
    logged_in = browser.request(f"{node_a.url}/o/demo/login", form)
    assert logged_in.status == 200 and "/login" not in logged_in.url, logged_in.text[:500]
    assert logged_in.url.startswith(f"{node_a.url}/o/demo/")
    # The same cookies (cookies ignore ports) open the console on node B ...
    on_b = browser.request(f"{node_b.url}/o/demo/")
    assert on_b.status == 200 and "/login" not in on_b.url
    assert on_b.url.startswith(f"{node_b.url}/o/demo/") and "Atelier Boréal" in on_b.text
    # ... which a visitor without them does not see.
    stranger = Browser().request(f"{node_b.url}/o/demo/")
    assert "/login" in stranger.url


def invite(node: Node, token: str, address: str) -> None:
    answer = node.api(token, "POST", "/invitations", {"emails": address, "language": "en"})
    assert answer.status == 200, answer.text
    assert answer.json()[0]["status"] == "invited", answer.text


def test_mail_goes_out_through_an_smtp_outage_a_killed_worker_and_a_database_restart(
    cluster: Cluster,
) -> None:
    node_a, node_b = cluster.nodes
    inbox = cluster.smtp.inbox
    invite(node_b, cluster.token, "first@example.test")
    wait_until("the first invitation mail", lambda: inbox.to("first@example.test"), timeout=20)

    # SMTP goes down: the mail waits in the outbox, and is sent once SMTP is back.
    cluster.smtp.stop()
    invite(node_a, cluster.token, "during-outage@example.test")
    wait_until(
        "a worker to fail to send it",
        lambda: any("failed (attempt 1)" in w.log() for w in cluster.workers),
        timeout=20,
    )
    cluster.smtp.start()

    # One worker is killed: the other one carries on.
    killed, survivor = cluster.workers
    killed.signal(signal.SIGKILL)
    killed.wait(10)
    invite(node_b, cluster.token, "after-kill@example.test")
    wait_until("a mail sent by the surviving worker", lambda: inbox.to("after-kill@example.test"))

    # PostgreSQL restarts: the nodes answer again, the worker goes on.
    cluster.postgres.restart(down_for=1)
    for node in cluster.nodes:
        listed = wait_until(
            f"{node.url} to answer after the restart",
            lambda n=node: (r := n.api(cluster.token, "GET", "/members")).status == 200 and r,
            timeout=20,
            every=0.5,
        )
        assert listed and listed.json()["items"]
    invite(node_a, cluster.token, "after-restart@example.test")
    wait_until("a mail after the restart", lambda: inbox.to("after-restart@example.test"))
    survivor.wait_for_log("database reachable again")
    assert survivor.alive() and all(n.process.alive() for n in cluster.nodes)

    # The mail queued during the SMTP outage arrives (its retry is 30 s after the failure).
    wait_until(
        "the mail queued during the outage", lambda: inbox.to("during-outage@example.test"), 45
    )
    time.sleep(1)
    for address in ("first", "during-outage", "after-kill", "after-restart"):
        assert len(inbox.to(f"{address}@example.test")) == 1, f"{address}: sent twice"


def test_an_import_uploaded_on_one_node_is_previewed_applied_and_watched_from_the_other(
    cluster: Cluster,
) -> None:
    """Needs uploaded files in the database (issue #14 point 2, the import-storage branch)."""
    node_a, node_b = cluster.nodes
    roster = csv_bytes([["", "Neuf", "Nina", "nina.neuf@example.test", "", "Activé"]])
    body, content_type = multipart("roster.csv", roster, mode="upsert")
    created = node_a.api(cluster.token, "POST", "/imports", body=body, content_type=content_type)
    assert created.status == 202, created.text
    job_id = created.json()["id"]

    def status_on_b() -> Any:
        job = node_b.api(cluster.token, "GET", f"/imports/{job_id}").json()
        return job if job["status"] not in ("previewing", "queued", "running") else None

    previewed = wait_until("the preview, watched from node B", status_on_b, timeout=30)
    assert previewed["status"] == "previewed", previewed.get("preview")
    assert previewed["preview"]["added"] == 1
    applying = node_b.api(cluster.token, "POST", f"/imports/{job_id}/apply")
    assert applying.status == 202, applying.text
    applied = wait_until("the apply, watched from node B", status_on_b, timeout=30)
    assert applied["status"] == "applied", applied
    members = node_a.api(cluster.token, "GET", "/members?search=nina").json()["items"]
    assert [m["login"] for m in members] == ["nina.neuf"]
