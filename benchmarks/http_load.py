"""HTTP load on real ``equipage serve`` nodes: requests/s and p50/p95/p99 over loopback.

Starts one node, then two on the same database (connections handed out
round-robin, as a proxy with keep-alive does), and drives each with a
bounded asyncio HTTP/1.1 client (keep-alive, ``--concurrency`` connections,
at most ``--requests`` requests and ``--seconds`` seconds per measure):

- ``/healthz`` — the raw baseline: the same server, client and network, no
  database, no template. Every figure is printed with its ratio to it.
- the directory page (``/o/<org>/members``) with a logged-in session;
- the API member list (``/api/v1/members``) with an API token;
- login (POST of the login form: CSRF, Argon2 check, a new session).

Data: the demo organization (``equipage demo``), or with ``--members N`` an
organization of N members filled the way ``benchmarks/directory.py`` does.
SQLite in a temporary data directory shared by both nodes, unless
``DATABASE_URL`` names PostgreSQL (then each node has its own data directory).
Loopback only; every loop is bounded in count and time.

    .venv/bin/python benchmarks/http_load.py [--rounds 3] [--concurrency 8] [--requests 300] [--seconds 8]
    .venv/bin/python benchmarks/http_load.py --members 1000000 --data-dir /tmp/eq-1m
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


# -- a small, bounded HTTP/1.1 client ------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def encode(self, port: int) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {HOST}:{port}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if self.body or self.method == "POST":
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes, bool]:
    """Read one response; return status, headers (lower-case), body, and whether to keep alive."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    cookies: list[str] = []
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "set-cookie":
            cookies.append(value.strip())
        headers[name.strip().lower()] = value.strip()
    headers["set-cookie"] = "\n".join(cookies)
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while size := int((await reader.readline()).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readline()
        await reader.readline()
        body = b"".join(parts)
    else:
        body = await reader.read()
        return status, headers, body, False
    return status, headers, body, headers.get("connection", "").lower() != "close"


async def one_request(port: int, request: Request) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(request.encode(port))
        await writer.drain()
        status, headers, body, _ = await read_response(reader)
        return status, headers, body
    finally:
        writer.close()


@dataclass
class Result:
    latencies: list[float]
    seconds: float
    errors: int

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


@dataclass
class Figures:
    rps: float
    p50: float
    p95: float
    p99: float
    n: int
    errors: int

    @classmethod
    def median_of(cls, runs: list[Result]) -> Figures:
        def med(values: list[float]) -> float:
            return statistics.median(values)

        return cls(
            rps=med([r.rps for r in runs]),
            p50=med([r.pct(0.5) for r in runs]),
            p95=med([r.pct(0.95) for r in runs]),
            p99=med([r.pct(0.99) for r in runs]),
            n=sum(len(r.latencies) for r in runs),
            errors=sum(r.errors for r in runs),
        )


async def load(
    ports: list[int],
    make: Callable[[], Request],
    ok: Callable[[int], bool],
    concurrency: int,
    max_requests: int,
    max_seconds: float,
) -> Result:
    """Drive the nodes with ``concurrency`` keep-alive connections, round-robin by connection."""
    latencies: list[float] = []
    errors = 0
    issued = 0
    deadline = time.monotonic() + max_seconds

    async def connection(port: int) -> None:
        nonlocal issued, errors
        reader = writer = None
        while issued < max_requests and time.monotonic() < deadline:
            issued += 1
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            assert reader is not None
            t0 = time.perf_counter()
            try:
                writer.write(make().encode(port))
                await writer.drain()
                status, _, _, keep = await read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                errors += 1
                writer.close()
                reader = writer = None
                continue
            latencies.append(time.perf_counter() - t0)
            if not ok(status):
                errors += 1
            if not keep:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(connection(ports[i % len(ports)]) for i in range(concurrency)))
    return Result(latencies, time.monotonic() - started, errors)


# -- the nodes and their data --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def equipage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "equipage", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"equipage {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


SET_PASSWORD = """
import sys
from equipage.cli.bootstrap import setup_django
setup_django()
from equipage.accounts.models import Member
m = Member.objects.get(email=sys.argv[1])
m.set_password(sys.argv[2]); m.must_change_password = False
m.save(update_fields=["password", "must_change_password"])
"""


@dataclass
class Dataset:
    slug: str
    login: str
    password: str
    members: int


def prepare(env: dict[str, str], members: int, data_dir: Path) -> Dataset:
    if not members:
        equipage(env, "demo")
        return Dataset("demo", "claire.fontaine", "Equipage-demo-2026", 0)
    fill_env = {**env, "EQUIPAGE_DATA_DIR": str(data_dir)}
    fill = [sys.executable, str(ROOT / "benchmarks" / "directory.py"), "--fill-only"]
    fill += ["--members", str(members)]
    if "DATABASE_URL" not in env:
        fill += ["--data-dir", str(data_dir)]
    subprocess.run(fill, env=fill_env, check=True)
    password = "Bench-http-2026"
    subprocess.run(
        [sys.executable, "-c", SET_PASSWORD, "owner@benchdir.test", password],
        env=fill_env,
        check=True,
    )
    return Dataset("benchdir", "owner@benchdir.test", password, members)


class Node:
    def __init__(self, env: dict[str, str], log: Path, workers: int) -> None:
        self.port = free_port()
        self.log = log.open("w")
        command = ["serve", "--no-worker", "--port", str(self.port), "--workers", str(workers)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "equipage", *command],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                status, _, _ = asyncio.run(one_request(self.port, Request("GET", "/healthz")))
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"the node on port {self.port} did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self.log.close()


def cookies_of(headers: dict[str, str]) -> dict[str, str]:
    jar = {}
    for line in headers.get("set-cookie", "").splitlines():
        name, _, rest = line.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def login_form(port: int, slug: str) -> tuple[dict[str, str], str]:
    """Return the CSRF cookie and form token of the login page."""
    status, headers, body = asyncio.run(one_request(port, Request("GET", f"/o/{slug}/login")))
    assert status == 200, status
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert token, "no CSRF token on the login page"
    return cookies_of(headers), html.unescape(token.group(1).decode())


def login_request(port: int, data: Dataset) -> Callable[[], Request]:
    jar, token = login_form(port, data.slug)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "identifier": data.login, "password": data.password}
    ).encode()
    headers = {
        "Cookie": f"csrftoken={jar['csrftoken']}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"http://{HOST}:{port}/o/{data.slug}/login",
    }
    return lambda: Request("POST", f"/o/{data.slug}/login", headers, body)


def session_cookie(port: int, data: Dataset) -> str:
    status, headers, _ = asyncio.run(one_request(port, login_request(port, data)()))
    assert status == 302, f"login failed ({status})"
    return cookies_of(headers)["sessionid"]


# -- the run ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=0, help="N members instead of the demo")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=300, help="at most, per measure")
    parser.add_argument("--seconds", type=float, default=8, help="at most, per measure")
    parser.add_argument("--login-requests", type=int, default=40, help="Argon2: fewer")
    parser.add_argument("--rounds", type=int, default=3, help="report the median of R runs")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes per node")
    parser.add_argument("--data-dir", default="", help="keep (and reuse) the SQLite data here")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="eq-http-load-"))
    data_dir = Path(args.data_dir) if args.data_dir else work / "data"
    base = {k: v for k, v in os.environ.items() if not k.startswith("EQUIPAGE_")}
    base.pop("DJANGO_SETTINGS_MODULE", None)
    base["PYTHONPATH"] = str(ROOT) + os.pathsep + base.get("PYTHONPATH", "")
    base.update(
        EQUIPAGE_SECRET_KEY=secrets.token_urlsafe(50),  # the nodes share sessions
        EQUIPAGE_API_RATE_LIMIT="100000000",  # measure the API, not its rate limit
        EQUIPAGE_DATA_DIR=str(data_dir),
    )
    engine = "PostgreSQL" if base.get("DATABASE_URL") else "SQLite"
    reuse = (data_dir / "equipage.sqlite3").exists() and args.members
    data = (
        Dataset("benchdir", "owner@benchdir.test", "Bench-http-2026", args.members)
        if reuse
        else prepare(base, args.members, data_dir)
    )
    token = equipage(base, "token", "create", "--org", data.slug, "--scope", "api").split()[-1]
    print(
        f"{engine}, {data.members or 'demo'} members, {args.concurrency} connections, "
        f"{args.workers} gunicorn processes a node; at most {args.requests} requests "
        f"or {args.seconds:.0f} s a measure, median of {args.rounds} round(s); "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}",
        flush=True,
    )

    def node_env(i: int) -> dict[str, str]:
        if engine == "SQLite":
            return base  # one database file: the nodes share the data directory
        return {**base, "EQUIPAGE_DATA_DIR": str(work / f"node{i}")}

    nodes: list[Node] = []
    try:
        rows = []
        for count in (1, 2):
            while len(nodes) < count:
                nodes.append(
                    Node(node_env(len(nodes)), work / f"node{len(nodes)}.log", args.workers)
                )
                nodes[-1].wait()
            ports = [n.port for n in nodes[:count]]
            session = session_cookie(ports[0], data)
            login = login_request(ports[0], data)
            measures = [
                ("/healthz (baseline)", lambda: Request("GET", "/healthz"), 200, args.requests),
                (
                    "directory page",
                    lambda s=session: Request(
                        "GET", f"/o/{data.slug}/members", {"Cookie": f"sessionid={s}"}
                    ),
                    200,
                    args.requests,
                ),
                (
                    "API member list",
                    lambda: Request("GET", "/api/v1/members", {"Authorization": f"Bearer {token}"}),
                    200,
                    args.requests,
                ),
                ("login (POST, Argon2)", login, 302, args.login_requests),
            ]
            baseline: Figures | None = None
            for name, make, expected, limit in measures:
                asyncio.run(load(ports, make, lambda s, e=expected: s == e, 2, 10, 10))  # warm
                runs = [
                    asyncio.run(
                        load(
                            ports,
                            make,
                            lambda s, e=expected: s == e,
                            args.concurrency,
                            limit,
                            args.seconds,
                        )
                    )
                    for _ in range(args.rounds)
                ]
                result = Figures.median_of(runs)
                baseline = baseline or result
                rows.append((count, name, result))
                print(
                    f"  {count} node(s)  {name:<22} {result.rps:7.1f} req/s "
                    f"({result.rps / baseline.rps:5.3f}× baseline)  "
                    f"p50 {result.p50:7.1f}  p95 {result.p95:7.1f}  p99 {result.p99:7.1f} ms  "
                    f"(p50 {result.p50 / baseline.p50:5.1f}× baseline)  "
                    f"n={result.n} errors={result.errors}",
                    flush=True,
                )
        one = {name: r for c, name, r in rows if c == 1}
        two = {name: r for c, name, r in rows if c == 2}
        print("\ntwo nodes / one node, req/s (both nodes share this machine's cores):")
        for name in one:
            print(f"  {name:<22} {two[name].rps / one[name].rps:5.2f}×")
        print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        for node in nodes:
            node.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
