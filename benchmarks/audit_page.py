"""Benchmark the console's audit page over a trail of 1,000,000 events.

Fills one organization's trail with N events (default 1,000,000; plus 10% in
a second organization, so the tenant filter has work) by bulk inserts — a
year of events from 200 actors about 50,000 members, some in bulk batches
that share one timestamp, as imports write them — then measures, median and
p95 over repeated runs:

- the first page (no filter): ``audit.selectors.audit_page`` and the words of
  each row (``web.audit_rows.readable``), then the whole view over HTTP;
- a filtered page (one event type and one actor);
- a deep page (a cursor 90% of the way down the trail).

Each figure is printed with its ratio to the same page fetched by hand-written
raw SQL in the same run (the same ``ORDER BY created_at DESC, id DESC LIMIT``
with the cursor as a row-value comparison), and the deep page also next to
what ``OFFSET`` paging would cost.

    .venv/bin/python benchmarks/audit_page.py [--events N] [--runs R]
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/eq_bench .venv/bin/python benchmarks/audit_page.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SLUG = "benchaudit"
TYPES = [
    ("member.updated", 40),
    ("member.login", 25),
    ("group.member_added", 10),
    ("label.attached", 8),
    ("member.deactivated", 5),
    ("member.login_failed", 5),
    ("member.roles_changed", 3),
    ("member.created", 4),
]


def setup_django(data_dir: str = "") -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("EQUIPAGE_DATA_DIR", data_dir or tempfile.mkdtemp(prefix="eq-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "equipage.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["*"]
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _organization(slug: str) -> tuple[Any, Any]:
    from equipage.organizations.actions import organization_create
    from equipage.organizations.models import Organization
    from equipage.permissions import Actor

    org = Organization.objects.filter(slug=slug).first()
    if org is not None:
        from equipage.accounts.selectors import owner_of

        return org, owner_of(org)
    created = organization_create(
        actor=Actor.operator("bench"),
        slug=slug,
        name=slug.capitalize(),
        owner_email=f"owner@{slug}.test",
        owner_first_name="Olivia",
        owner_last_name="Owner",
    )
    return created.organization, created.owner


def fill(n: int) -> dict[str, Any]:
    """Write ``n`` events for the benchmark organization and n/10 for another, in bulk (timed)."""
    from django.db import connection, transaction

    from equipage.audit.models import AuditEvent

    org, owner = _organization(SLUG)
    other, _other_owner = _organization(SLUG + "2")
    if AuditEvent.objects.filter(organization=org).count() >= n:
        return {"org": org, "owner": owner, "fill_s": 0.0}
    rng = random.Random(19)
    kinds = [t for t, weight in TYPES for _ in range(weight)]
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    step = dt.timedelta(days=365) / n
    adapt = connection.ops.adapt_datetimefield_value
    sql = (
        "INSERT INTO audit_auditevent (organization_id, organization_slug, created_at, event_type,"
        " actor_id, actor_label, target_type, target_id, target_label, member_id, before, after,"
        " origin) VALUES (%s,%s,%s,%s,%s,%s,'member',%s,%s,%s,%s,%s,%s)"
    )
    origin = json.dumps({"channel": "web", "ip": "198.51.100.7"})
    before, after = json.dumps({"state": "active"}), json.dumps({"state": "deactivated"})
    t0 = time.perf_counter()
    for organization, count in ((org, n), (other, n // 10)):
        made = 0
        while made < count:
            rows = []
            # Every 50th batch is one bulk action: 10,000 events with one timestamp.
            bulk = (made // 10_000) % 50 == 7
            for k in range(made, min(count, made + 10_000)):
                stamp = adapt(start + step * (made if bulk else k))
                member = rng.randrange(1, 50_001)
                actor = 1_000_000 + rng.randrange(200)
                rows.append(
                    (organization.pk, organization.slug, stamp, kinds[rng.randrange(len(kinds))],
                     actor, f"actor{actor}@bench.test", str(member), f"Member {member}", member,
                     before, after, origin)
                )  # fmt: skip
            with transaction.atomic(), connection.cursor() as cur:
                cur.executemany(sql, rows)
            made += len(rows)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"org": org, "owner": owner, "fill_s": time.perf_counter() - t0}


def measure(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    fn()  # warm caches and connections
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def raw_page(org_id: int, where: str, params: list[Any], offset: int = 0) -> Callable[[], Any]:
    """Return a function fetching one page by hand: the baseline of the same query."""
    from django.db import connection

    sql = (
        "SELECT * FROM audit_auditevent WHERE organization_id = %s" + where +
        " ORDER BY created_at DESC, id DESC LIMIT 51" + (f" OFFSET {offset}" if offset else "")
    )  # fmt: skip

    def run() -> Any:
        with connection.cursor() as cur:
            cur.execute(sql, [org_id, *params])
            return cur.fetchall()

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--data-dir", default="", help="SQLite: reuse this directory's fill")
    args = parser.parse_args()
    setup_django(args.data_dir)
    import logging

    logging.getLogger("equipage.request").setLevel(logging.WARNING)

    from django.db import connection
    from django.test import Client

    from equipage.audit.models import AuditEvent
    from equipage.audit.selectors import AuditFilters, Cursor, audit_page
    from equipage.web.audit_rows import readable

    data = fill(args.events)
    org, owner = data["org"], data["owner"]
    total = AuditEvent.objects.filter(organization=org).count()
    print(f"{connection.vendor}: {total:,} events (fill {data['fill_s']:.1f} s)")

    deep_row = (
        AuditEvent.objects.filter(organization=org)
        .order_by("-created_at", "-id")
        .values_list("created_at", "id")[int(total * 0.9)]
    )
    deep = Cursor(deep_row[0], deep_row[1])
    stamp = connection.ops.adapt_datetimefield_value(deep.created_at)
    actor = 1_000_000 + 7
    filtered = AuditFilters(event_type="member.deactivated", actor_id=actor)

    def page(filters: AuditFilters, after: Cursor | None, words: bool) -> Callable[[], Any]:
        def run() -> Any:
            rows, _next = audit_page(org.pk, filters, after)
            return [readable(e) for e in rows] if words else rows

        return run

    cases = [
        ("first page", AuditFilters(), None, raw_page(org.pk, "", [])),
        (
            "filtered page (type + actor)",
            filtered,
            None,
            raw_page(
                org.pk, " AND event_type = %s AND actor_id = %s", ["member.deactivated", actor]
            ),
        ),
        (
            "deep page (90%)",
            AuditFilters(),
            deep,
            raw_page(org.pk, " AND (created_at, id) < (%s, %s)", [stamp, deep.id]),
        ),
    ]
    print("query: audit.selectors.audit_page (ORM rows); page: the same and every row in words")
    print(f"{'':34} {'median':>9} {'p95':>9} {'raw SQL':>9} {'ratio':>6}")
    for name, filters, after, raw in cases:
        raw_median, _p = measure(raw, args.runs)
        for part, words in (("query", False), ("page", True)):
            median, p95 = measure(page(filters, after, words), args.runs)
            label = f"{name}, {part}"
            print(
                f"{label:34} {median:7.2f}ms {p95:7.2f}ms {raw_median:7.2f}ms"
                f" {median / raw_median:6.1f}"
            )
    offset_median, _p = measure(raw_page(org.pk, "", [], offset=int(total * 0.9)), 3)
    print(f"{'(deep page by OFFSET, raw SQL)':34} {offset_median:7.2f}ms")

    client = Client()
    client.force_login(owner, backend="equipage.accounts.backends.MemberBackend")
    url = f"/o/{org.slug}/audit/"
    for name, query in (
        ("whole view: first page", {}),
        ("whole view: filtered", {"type": "member.deactivated"}),
        ("whole view: deep page", {"after": deep.encode()}),
    ):

        def view(query: dict[str, str] = query) -> None:
            response = client.get(url, query)
            assert response.status_code == 200, response.status_code

        median, p95 = measure(view, max(5, args.runs // 3))
        print(f"{name:34} {median:7.2f}ms {p95:7.2f}ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
