"""Two web nodes and two workers on one PostgreSQL, as a team that outgrew one machine runs them.

Everything is real: a PostgreSQL server of the test's own (restarted mid-run),
two ``equipage serve --no-worker`` on two ports with separate data
directories and one shared ``EQUIPAGE_SECRET_KEY``, two ``equipage worker``,
all started at the same moment on an empty database, Debian's nginx in front
of them with ``deploy/nginx/equipage.conf``, and an SMTP server (aiosmtpd)
stopped and started again. The attacks are issue #14's: the migration race, a
session checked by another node, a worker killed with SIGKILL (mid-import too),
a database restart, an SMTP outage, an import uploaded to one node and handled
by the others, a node with another secret key, a backup taken while all this
runs and restored into an empty database.
"""

from __future__ import annotations

import http.cookiejar
import http.server
import json
import re
import signal
import threading
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
    Nginx,
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
    proxy: Nginx
    root: Path
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
    proxy: Nginx | None = None
    front = free_port()
    try:
        postgres.start()
        smtp.start()
        # The README's "Running several machines" and "Behind a reverse proxy", as written.
        shared = {
            "DATABASE_URL": postgres.create_database("equipage"),
            "EQUIPAGE_SMTP_URL": smtp.url,
            "EQUIPAGE_SECRET_KEY": "one-key-for-every-node-" + uuid.uuid4().hex,
            "EQUIPAGE_BASE_URL": f"http://127.0.0.1:{front}",
            "EQUIPAGE_TRUSTED_PROXIES": "127.0.0.1",
            "EQUIPAGE_WEBHOOKS_ALLOW_PRIVATE": "1",
            "EQUIPAGE_IMPORT_HEARTBEAT_TIMEOUT": "15",
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
        proxy = Nginx(root / "nginx", front, ports)
        wait_until("nginx to answer", lambda: answers(proxy.url), timeout=20)
        cluster = Cluster(postgres, smtp, nodes, processes[2:], env, proxy, root)
        yield cluster
    finally:
        if proxy is not None:
            proxy.stop()
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


def csrf_token(page: Response) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert page.status == 200 and found, page.text[:500]
    return found.group(1)


def post_form(browser: Browser, url: str, fields: dict[str, Any]) -> Response:
    """GET the page's form, then POST it back with its CSRF token, as a browser does."""
    form = {"csrfmiddlewaretoken": csrf_token(browser.request(url)), **fields}
    return browser.request(url, urllib.parse.urlencode(form, doseq=True).encode())


def console_login(browser: Browser, base: str) -> Response:
    logged_in = post_form(
        browser, f"{base}/o/demo/login", {"identifier": OWNER_EMAIL, "password": OWNER_PASSWORD}
    )
    assert logged_in.status == 200 and "/login" not in logged_in.url, logged_in.text[:500]
    return logged_in


def test_a_session_opened_on_one_node_is_accepted_by_the_other(cluster: Cluster) -> None:
    node_a, node_b = cluster.nodes
    browser = Browser()
    logged_in = console_login(browser, node_a.url)
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
        lambda: any("mail not sent (" in w.log() for w in cluster.workers),
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


# -- The runbook: through nginx, probes, another key, a kill mid-import, a restore drill --


class Receiver:
    """A webhook receiver on a loopback port: the bodies and signatures it was sent."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], Any]] = []
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((dict(self.headers), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, kind: str) -> list[tuple[dict[str, str], Any]]:
        return [(h, b) for h, b in self.received if b.get("type") == kind]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def new_token(cluster: Cluster, scope: str) -> str:
    made = run_equipage(["token", "create", "--org", "demo", "--scope", scope], cluster.env)
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]


def test_through_nginx_the_console_the_api_scim_invitations_and_webhooks_work(
    cluster: Cluster,
) -> None:
    front = Node(cluster.nodes[0].process, cluster.proxy.url)  # every request through nginx
    receiver = Receiver()
    try:
        admin = Browser()
        assert console_login(admin, front.url).url.startswith(f"{front.url}/o/demo/")
        endpoint = post_form(
            admin,
            f"{front.url}/o/demo/webhooks/",
            {"url": receiver.url, "events": ["member.created"], "active": "on"},
        )
        assert endpoint.status == 200 and "/webhooks/" in endpoint.url, endpoint.text[:500]

        user = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "sam.scim@example.test",
            "name": {"givenName": "Sam", "familyName": "Scim"},
            "emails": [{"value": "sam.scim@example.test", "primary": True}],
            "active": True,
        }
        scim = Browser().request(
            f"{front.url}/scim/v2/Users",
            json.dumps(user).encode(),
            {
                "Authorization": f"Bearer {new_token(cluster, 'scim')}",
                "Content-Type": "application/scim+json",
            },
        )
        assert scim.status == 201, scim.text
        found = front.api(cluster.token, "GET", "/members?search=sam.scim").json()["items"]
        assert [m["email"] for m in found] == ["sam.scim@example.test"]

        invite(front, cluster.token, "through-nginx@example.test")
        wait_until("the invitation sent through nginx", lambda: cluster.smtp.inbox.to(
            "through-nginx@example.test"
        ))  # fmt: skip

        delivered = wait_until(
            "the member.created webhook", lambda: receiver.events("member.created"), timeout=30
        )
        headers, body = delivered[0]
        assert body["data"]["member"]["email"] == "sam.scim@example.test"
        assert headers["Equipage-Signature"].startswith("t=") and headers["Equipage-Delivery"]
    finally:
        receiver.stop()


def probe(url: str) -> Response:
    return Browser().request(url)


def test_every_node_is_ready_and_its_metrics_count_its_own_requests(cluster: Cluster) -> None:
    for base in (*(n.url for n in cluster.nodes), cluster.proxy.url):
        ready = probe(f"{base}/readyz")
        assert ready.status == 200 and ready.json() == {"status": "ready"}, ready.text
        assert probe(f"{base}/healthz").json() == {"status": "ok"}
    for node in cluster.nodes:
        assert node.api(cluster.token, "GET", "/members").status == 200
        metrics = probe(f"{node.url}/metrics")
        assert metrics.status == 200
        counted = [
            line
            for line in metrics.text.splitlines()
            if line.startswith("equipage_http_requests_total{")
            and 'route="api/v1/members"' in line
            and 'status="200"' in line
        ]
        assert counted and float(counted[0].rsplit(" ", 1)[1]) >= 1, metrics.text[:2000]
        for gauge in (
            "equipage_database_up 1.0",
            "# TYPE equipage_mails_waiting gauge",
            "# TYPE equipage_webhook_deliveries_waiting gauge",
            "# TYPE equipage_tasks gauge",
            "# TYPE equipage_workers_alive gauge",
        ):
            assert gauge in metrics.text, f"{gauge!r} missing on {node.url}"
    # The example proxy keeps the metrics (no token set here) off the public side.
    assert probe(f"{cluster.proxy.url}/metrics").status == 404


def test_a_node_started_with_another_secret_key_is_reported_and_the_others_stay_ready(
    cluster: Cluster,
) -> None:
    port = free_port()
    odd_env = {
        **cluster.env,
        "EQUIPAGE_SECRET_KEY": "a-typo-in-the-key-" + uuid.uuid4().hex,
        "EQUIPAGE_DATA_DIR": str(cluster.root / "odd-machine" / "data"),
    }
    odd = Process(
        ["serve", "--no-worker", "--port", str(port), "--workers", "1"],
        odd_env,
        cluster.root / "odd-node.log",
    )
    try:
        wait_until("the odd node", lambda: answers(f"http://127.0.0.1:{port}"), timeout=60)
        verdict = probe(f"http://127.0.0.1:{port}/readyz")
        assert verdict.status == 503, verdict.text
        assert any("EQUIPAGE_SECRET_KEY differs" in p for p in verdict.json()["problems"])
        assert "one-key-for-every-node" not in verdict.text and "a-typo" not in verdict.text
        for node in cluster.nodes:  # the nodes already serving are not the ones blamed
            assert probe(f"{node.url}/readyz").status == 200
    finally:
        odd.stop()


def job_of(node: Node, token: str, job_id: int) -> Any:
    return node.api(token, "GET", f"/imports/{job_id}").json()


def test_a_worker_killed_mid_import_ends_the_job_and_unlocks_the_organization_in_time(
    cluster: Cluster,
) -> None:
    node_a, node_b = cluster.nodes
    survivor = cluster.workers[1]  # the other one was killed by the mail test
    assert survivor.alive()
    seats = run_equipage(["org", "update", "demo", "--seats", "30000"], cluster.env)
    assert seats.returncode == 0, seats.stderr
    rows = [["", f"Masse{i}", "Paul", f"bulk{i}@example.test", "", "Activé"] for i in range(20000)]
    body, content_type = multipart("big.csv", csv_bytes(rows), mode="upsert")
    created = node_a.api(cluster.token, "POST", "/imports", body=body, content_type=content_type)
    assert created.status == 202, created.text
    job_id = created.json()["id"]
    wait_until(
        "the big preview",
        lambda: job_of(node_b, cluster.token, job_id)["status"] == "previewed",
        timeout=60,
        every=0.3,
    )
    applying = node_b.api(cluster.token, "POST", f"/imports/{job_id}/apply")
    assert applying.status == 202, (applying.text, job_of(node_b, cluster.token, job_id))
    wait_until(
        "the apply to be at work",
        lambda: (
            (job := job_of(node_a, cluster.token, job_id))["status"] == "running"
            and job["progress"]["done"] > 0
        ),
        timeout=30,
        every=0.05,
    )
    survivor.signal(signal.SIGKILL)
    survivor.wait(10)
    killed_at = time.monotonic()
    # While its heartbeat is fresh the job still holds the organization.
    assert job_of(node_b, cluster.token, job_id)["status"] == "running"
    # systemd starts the worker again (Restart=on-failure) a few seconds later.
    time.sleep(16)
    replacement = Process(
        ["worker", "--interval", "0.2"],
        cluster.env,
        cluster.root / "worker-3.log",
        own_disk=cluster.root / "disk",
    )
    try:
        ended = wait_until(
            "the interrupted job to end",
            lambda: (job := job_of(node_b, cluster.token, job_id))["status"] == "failed" and job,
            timeout=35,
            every=0.5,
        )
        # Documented: the heartbeat timeout (15 s here), then the next housekeeping round (30 s).
        assert time.monotonic() - killed_at < 15 + 30 + 5
        [error] = ended["result"]["errors"]  # the organization's language: French
        assert "interrompu" in error["message"], ended["result"]
        none = node_a.api(cluster.token, "GET", "/members?search=bulk1").json()
        assert none["items"] == [], "an interrupted apply changed nothing"
        # Unlocked: the next import is previewed and applied.
        small = csv_bytes([["", "Après", "Anna", "after.kill@example.test", "", "Activé"]])
        body, content_type = multipart("small.csv", small, mode="upsert")
        again = node_b.api(cluster.token, "POST", "/imports", body=body, content_type=content_type)
        assert again.status == 202, again.text
        next_id = again.json()["id"]
        wait_until(
            "the next preview",
            lambda: job_of(node_a, cluster.token, next_id)["status"] == "previewed",
            timeout=30,
        )
        assert node_a.api(cluster.token, "POST", f"/imports/{next_id}/apply").status == 202
        wait_until(
            "the next import applied",
            lambda: job_of(node_a, cluster.token, next_id)["status"] == "applied",
            timeout=30,
        )
    finally:
        replacement.stop()


def test_a_backup_taken_while_the_cluster_runs_restores_into_an_empty_database_that_serves_it(
    cluster: Cluster,
) -> None:
    node_a = cluster.nodes[0]
    before = node_a.api(cluster.token, "GET", "/members?limit=500").json()
    backup = cluster.root / "equipage.backup"
    taken = run_equipage(["backup", "-o", str(backup)], cluster.env, timeout=120)
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert backup.stat().st_mode & 0o077 == 0, "a backup holds password hashes: owner only"

    restored_env = {
        **cluster.env,
        "DATABASE_URL": cluster.postgres.create_database("equipage_restored"),
        "EQUIPAGE_DATA_DIR": str(cluster.root / "restore-machine" / "data"),
    }
    restored = run_equipage(["restore", str(backup)], restored_env, timeout=120)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    # Attack: restoring again over the now non-empty database is refused, nothing changed.
    twice = run_equipage(["restore", str(backup)], restored_env, timeout=120)
    assert twice.returncode != 0
    check = run_equipage(["migrate", "--check"], restored_env)
    assert check.returncode == 0, check.stdout + check.stderr

    port = free_port()
    node = Process(
        ["serve", "--no-worker", "--port", str(port), "--workers", "1"],
        restored_env,
        cluster.root / "restored-node.log",
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until("the node on the restored database", lambda: answers(url), timeout=60)
        after = Node(node, url).api(cluster.token, "GET", "/members?limit=500").json()
        logins = [m["login"] for m in before["items"]]
        assert before["next_cursor"] is None and "sam.scim" in " ".join(logins)
        assert [m["login"] for m in after["items"]] == logins
    finally:
        node.stop()
