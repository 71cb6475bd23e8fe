"""HTTP load on a real ``equipage serve`` with wrk: req/s and p50/p95/p99 of each request.

Starts ``equipage serve`` (as shipped: its web workers and its embedded
background worker) on loopback, logs in as the owner, creates an API token,
and drives each request below with Debian's ``wrk`` (``--connections``
keep-alive connections, ``--seconds`` a measure, ``--threads`` client
threads on the same machine), reading the percentiles through a Lua ``done``
hook:

- a static file (whitenoise): the floor of the server itself;
- the login page (GET): Django, session and template, no member data;
- ``/o/<slug>/members`` and ``/o/<slug>/members?q=elodie`` with the owner's session;
- ``GET /api/v1/members?limit=50`` and the same ``&search=elodie`` with a token
  (``EQUIPAGE_API_RATE_LIMIT`` raised so that 429s do not count).

Each line gives req/s, p50/p95/p99, p99/p50, the ratio of its req/s to the
login page's and to the static file's measured in the same run, and the CPU
the server's processes (web processes, arbiter and embedded worker, read from
/proc) spent per request during the measure: on a shared machine the req/s
follow the neighbours, the CPU per request much less. With PostgreSQL, "db ms"
is the CPU its processes spent per request (the server's backends run outside
the serve tree, on the same two cores).

Data: an organization of ``--members`` members filled the way
``benchmarks/directory.py`` fills it, kept in ``--data-dir`` (SQLite file, or
the fill's marker with PostgreSQL) so that a million members are filled once:

    apt-get install -y wrk
    .venv/bin/python benchmarks/http_load.py --members 100000 --data-dir /tmp/eq-100k
    .venv/bin/python benchmarks/http_load.py --members 1000000 --data-dir /tmp/eq-1m
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/http_load.py --members 100000 --data-dir /tmp/eq-pg-100k
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import re
import secrets
import shutil
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
print(Member.objects.filter(organization_id=m.organization_id).count())
"""


@dataclass
class Dataset:
    slug: str
    login: str
    password: str
    members: int


def prepare(env: dict[str, str], members: int, data_dir: Path) -> Dataset:
    """Fill (or find, from an earlier run on this database) the organization; set a password."""
    fill_env = {**env, "EQUIPAGE_DATA_DIR": str(data_dir)}
    fill = [sys.executable, str(ROOT / "benchmarks" / "directory.py"), "--fill-only"]
    fill += ["--members", str(members)]
    if "DATABASE_URL" not in env:
        fill += ["--data-dir", str(data_dir)]
    subprocess.run(fill, env=fill_env, check=True)
    password = "Bench-http-2026"
    done = subprocess.run(
        [sys.executable, "-c", SET_PASSWORD, "owner@benchdir.test", password],
        env=fill_env,
        check=True,
        capture_output=True,
        text=True,
    )
    # An earlier fill of this database is reused whatever its size: report what is there.
    return Dataset("benchdir", "owner@benchdir.test", password, int(done.stdout.split()[-1]))


class Node:
    def __init__(self, env: dict[str, str], log: Path, extra: list[str]) -> None:
        self.port = free_port()
        self.log = log.open("w")
        command = ["serve", "--port", str(self.port), *extra]
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


# -- wrk -----------------------------------------------------------------------------------------

# wrk's Lua hook: one machine-readable line with the counts and the percentiles (µs).
REPORT_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Measure:
    name: str
    rps: float
    p50: float
    p95: float
    p99: float
    worst: float
    requests: int
    errors: int
    server_cpu_ms: float = 0.0
    database_cpu_ms: float = 0.0


def wrk(
    name: str,
    url: str,
    headers: dict[str, str],
    args: argparse.Namespace,
    script: Path,
    server_pid: int,
) -> Measure:
    """Run wrk on ``url`` for ``args.seconds`` (after a short warm-up) and read its report."""
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", "--timeout", "10s"]
    command += ["-s", str(script)]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    warm = subprocess.run([*command, "-d2s", url], capture_output=True, text=True, timeout=60)
    if warm.returncode != 0:
        raise SystemExit(f"wrk failed on {name}:\n{warm.stderr}")
    cpu_before = tree_cpu_seconds(server_pid)
    database_before = postgres_cpu()
    done = subprocess.run(
        [*command, f"-d{args.seconds}s", url],
        capture_output=True,
        text=True,
        timeout=args.seconds + 60,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no report on {name}:\n{done.stdout}\n{done.stderr}")
    server_cpu = tree_cpu_seconds(server_pid) - cpu_before
    database_cpu = postgres_cpu_since(database_before)
    n, micros, p50, p95, p99, worst, bad_status, failed = (int(x) for x in line.split()[1:])
    return Measure(
        name,
        rps=n / (micros / 1e6),
        p50=p50 / 1000,
        p95=p95 / 1000,
        p99=p99 / 1000,
        worst=worst / 1000,
        requests=n,
        errors=bad_status + failed,
        server_cpu_ms=server_cpu * 1000 / n if n else 0.0,
        database_cpu_ms=database_cpu * 1000 / n if n else 0.0,
    )


def static_path(port: int, slug: str) -> str:
    """Return a static file the login page links (served by whitenoise)."""
    _, _, body = asyncio.run(one_request(port, Request("GET", f"/o/{slug}/login")))
    found = re.search(rb'(?:href|src)="(/static/[^"]+)"', body)
    if not found:
        raise SystemExit("the login page links no static file")
    return html.unescape(found.group(1).decode())


def median_of(measures: list[Measure]) -> Measure:
    """The median of each figure over the rounds of one request."""

    def mid(values: list[float]) -> float:
        return statistics.median(values)

    return Measure(
        measures[0].name,
        rps=mid([m.rps for m in measures]),
        p50=mid([m.p50 for m in measures]),
        p95=mid([m.p95 for m in measures]),
        p99=mid([m.p99 for m in measures]),
        worst=max(m.worst for m in measures),
        requests=sum(m.requests for m in measures),
        errors=sum(m.errors for m in measures),
        server_cpu_ms=mid([m.server_cpu_ms for m in measures]),
        database_cpu_ms=mid([m.database_cpu_ms for m in measures]),
    )


def _processes() -> tuple[dict[int, int], dict[int, int], dict[int, str]]:
    """Return each process's parent, CPU ticks (user + system) and name, from /proc."""
    parents: dict[int, int] = {}
    cpu: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        cpu[pid] = int(fields[11]) + int(fields[12])
        names[pid] = stat[stat.index("(") + 1 : stat.rindex(")")]
    return parents, cpu, names


def postgres_cpu() -> dict[int, int]:
    """Return the CPU ticks of each of this machine's PostgreSQL processes (none: empty)."""
    _parents, cpu, names = _processes()
    return {pid: cpu[pid] for pid, name in names.items() if name.startswith("postgres")}


def postgres_cpu_since(before: dict[int, int]) -> float:
    """Return the seconds of CPU PostgreSQL spent since ``before`` (a backend that ended in
    between is not counted: its last ticks are gone with it)."""
    now = postgres_cpu()
    ticks = sum(spent - before.get(pid, 0) for pid, spent in now.items())
    return max(ticks, 0) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> float:
    """Return the CPU time (user + system) of ``root`` and all its descendants, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents, cpu, _names = _processes()
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sum(cpu.get(pid, 0) for pid in tree) / ticks


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- the run ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--data-dir", default="", help="keep (and reuse) the filled data here")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads")
    parser.add_argument("--seconds", type=int, default=10, help="per measure")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="measure every request this many times, interleaved; print the medians",
    )
    parser.add_argument(
        "--serve-args", default="", help="more arguments of `equipage serve` (e.g. --no-worker)"
    )
    parser.add_argument("--search", default="elodie")
    parser.add_argument(
        "--only", default="", help="measure only the requests whose name contains this"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit(
            "wrk is missing: install it (Debian: apt-get install -y wrk); this benchmark drives it."
        )

    work = Path(tempfile.mkdtemp(prefix="eq-http-load-"))
    data_dir = Path(args.data_dir) if args.data_dir else work / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    base = {k: v for k, v in os.environ.items() if not k.startswith("EQUIPAGE_")}
    base.pop("DJANGO_SETTINGS_MODULE", None)
    base["PYTHONPATH"] = str(ROOT) + os.pathsep + base.get("PYTHONPATH", "")
    base.update(
        EQUIPAGE_SECRET_KEY=secrets.token_urlsafe(50),
        EQUIPAGE_API_RATE_LIMIT="100000000",  # measure the API, not its rate limit
        EQUIPAGE_DATA_DIR=str(data_dir),
    )
    engine = "PostgreSQL" if base.get("DATABASE_URL") else "SQLite"
    started = time.monotonic()
    data = prepare(base, args.members, data_dir)
    print(f"data ready in {time.monotonic() - started:.0f} s", flush=True)
    token = equipage(base, "token", "create", "--org", data.slug, "--scope", "api").split()[-1]
    script = work / "report.lua"
    script.write_text(REPORT_LUA)
    node = Node(base, work / "serve.log", args.serve_args.split())
    try:
        node.wait()
        port = node.port
        session = session_cookie(port, data)
        root = f"http://{HOST}:{port}"
        cookie = {"Cookie": f"sessionid={session}"}
        bearer = {"Authorization": f"Bearer {token}"}
        search = urllib.parse.quote(args.search)
        requests = [
            ("static file", f"{root}{static_path(port, data.slug)}", {}),
            ("login page (GET)", f"{root}/o/{data.slug}/login", {}),
            ("directory", f"{root}/o/{data.slug}/members", cookie),
            (f"directory ?q={args.search}", f"{root}/o/{data.slug}/members?q={search}", cookie),
            ("API list limit=50", f"{root}/api/v1/members?limit=50", bearer),
            (
                f"API list &search={args.search}",
                f"{root}/api/v1/members?limit=50&search={search}",
                bearer,
            ),
        ]
        print(
            f"{engine}, {data.members:,} members, wrk {args.connections} connections "
            f"{args.threads} threads {args.seconds} s a measure, median of {args.rounds} "
            f"interleaved rounds, `equipage serve "
            f"{args.serve_args}`; load average before: {loadavg()}",
            flush=True,
        )
        # The static file and the login page are always measured: the ratios' references.
        chosen = [r for i, r in enumerate(requests) if i < 2 or args.only in r[0]]
        results = [
            wrk(name, url, headers, args, script, node.process.pid) for name, url, headers in chosen
        ]
    finally:
        node.stop()
    static, login = results[0], results[1]
    print(
        f"\n{'request':<28} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} "
        f"{'p99/p50':>7} {'/login':>7} {'/static':>7} {'cpu ms':>7} {'db ms':>6} {'errors':>6}"
    )
    for m in results:
        print(
            f"{m.name:<28} {m.rps:8.1f} {m.p50:7.1f} {m.p95:7.1f} {m.p99:7.1f} {m.worst:7.0f} "
            f"{m.p99 / m.p50 if m.p50 else 0:7.2f} {m.rps / login.rps:7.3f} "
            f"{m.rps / static.rps:7.4f} {m.server_cpu_ms:7.2f} {m.database_cpu_ms:6.2f} {m.errors:6d}"
        )
    print(f"(latencies in ms) load average after: {loadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
