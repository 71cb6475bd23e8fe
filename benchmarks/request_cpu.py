"""CPU per request, in process: the directory, its search, the API list, and the login page.

The wrk benchmark (``benchmarks/http_load.py``) is the one of record, but on a
busy machine its req/s say more about the neighbours than about the server.
This one measures what a request costs the process that serves it: the
thread's CPU time (``time.thread_time``) around Django's test client, median
of ``--runs``, and the number of SQL statements, for the requests of
``http_load.py``, with the login page (GET) as the raw baseline measured in
the same run.

Data: an organization filled by ``benchmarks/directory.py --fill-only`` (or by
``http_load.py``): ``--data-dir`` (SQLite; copy it first if it must stay as
it is: this run writes a session, a token and the API's counters) or
``DATABASE_URL`` (PostgreSQL).

    .venv/bin/python benchmarks/request_cpu.py --data-dir /tmp/eq-100k [--runs 40]
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/request_cpu.py
    … --profile directory        # cProfile of that request, top 40 by cumulative time
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="", help="the filled SQLite data directory")
    parser.add_argument("--slug", default="benchdir")
    parser.add_argument("--owner", default="owner@benchdir.test")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--search", default="elodie")
    parser.add_argument("--only", default="", help="measure only the requests naming this")
    parser.add_argument("--profile", default="", help="profile the request naming this")
    parser.add_argument("--profile-out", default="", help="also write the profile there")
    parser.add_argument("--queries", action="store_true", help="print each request's SQL")
    args = parser.parse_args()
    if args.data_dir:
        os.environ["EQUIPAGE_DATA_DIR"] = args.data_dir
    elif not os.environ.get("DATABASE_URL"):
        raise SystemExit("give --data-dir (SQLite) or DATABASE_URL (PostgreSQL)")
    os.environ["EQUIPAGE_ALLOWED_HOSTS"] = "*"
    os.environ["EQUIPAGE_API_RATE_LIMIT"] = "100000000"

    from equipage.cli.bootstrap import setup_django

    setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from equipage.accounts.models import Member
    from equipage.cli import main as cli

    owner = Member.objects.get(email=args.owner)
    session = Client()
    session.force_login(owner)
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli(["token", "create", "--org", args.slug, "--scope", "api"])
    token = out.getvalue().split()[-1]
    api = Client(headers={"Authorization": f"Bearer {token}"})
    base = f"/o/{args.slug}"
    requests = {
        "login page (GET)": (Client(), f"{base}/login"),
        "directory": (session, f"{base}/members"),
        f"directory ?q={args.search}": (session, f"{base}/members?q={args.search}"),
        "API list limit=50": (api, "/api/v1/members?limit=50"),
        f"API list &search={args.search}": (api, f"/api/v1/members?limit=50&search={args.search}"),
    }
    chosen = {k: v for i, (k, v) in enumerate(requests.items()) if i == 0 or args.only in k}
    for name, (client, url) in chosen.items():
        status = client.get(url).status_code
        if status != 200:
            raise SystemExit(f"{name}: {url} answered {status}")
    # As `equipage serve` does after preloading the app: what is loaded is out of the GC's walks.
    gc.collect()
    gc.freeze()
    if args.profile:
        name = next(k for k in chosen if args.profile in k)
        client, url = chosen[name]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(10):
            client.get(url)
        profiler.disable()
        if args.profile_out:
            profiler.dump_stats(args.profile_out)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
        return 0
    print(
        f"{connection.vendor}, {Member.objects.filter(organization__slug=args.slug).count():,}"
        f" members, median of {args.runs}, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'request':<28} {'CPU ms':>7} {'wall ms':>8} {'queries':>7} {'/login':>7}")
    login = 0.0
    # Interleaved rounds: a burst of load on the machine touches every request alike.
    cpu: dict[str, list[float]] = {k: [] for k in chosen}
    wall: dict[str, list[float]] = {k: [] for k in chosen}
    for _ in range(args.runs):
        for name, (client, url) in chosen.items():
            c0, w0 = time.thread_time(), time.perf_counter()
            client.get(url)
            cpu[name].append((time.thread_time() - c0) * 1000)
            wall[name].append((time.perf_counter() - w0) * 1000)
    for name, (client, url) in chosen.items():
        # The fewest of three: a request now and then also refreshes the token it trusts
        # (2 s) or adds its batch of calls to the shared rate-limit counter.
        seen = []
        for _ in range(3):
            with CaptureQueriesContext(connection) as one:
                client.get(url)
            seen.append(one.captured_queries)
        fewest = min(seen, key=len)
        if args.queries:
            for q in fewest:
                print("   ", q["sql"][:300])
        median = statistics.median(cpu[name])
        login = login or median
        print(
            f"{name:<28} {median:7.1f} {statistics.median(wall[name]):8.1f} "
            f"{len(fewest):7d} {median / login:7.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
