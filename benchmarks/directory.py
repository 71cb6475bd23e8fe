"""Benchmark the members directory at scale and bulk deactivation of 50,000 members.

Fills an organization with N members (default 1,000,000) spread over a group
tree, with labels, then measures server-side, p50/p95 over repeated runs:

- the directory's first page with a filter + search + sort (the whole view:
  query, Guide facts, bulk applicability, template), and the same query alone;
- a deep keyset page (half-way through the roster) with a filter;
- bulk deactivation of 50,000 members through ``members_deactivate``.

Each figure is printed with its ratio to a raw baseline measured in the same
run: for the pages, the naive search (``LIKE '%word%'`` over the raw names and
e-mail, every row read, no index); for the bulk deactivation, one plain
``UPDATE`` of the same rows with nothing checked or logged.

    .venv/bin/python benchmarks/directory.py [--members N] [--runs R]
    DATABASE_URL=postgres://postgres@127.0.0.1:54329/eq_bench .venv/bin/python benchmarks/directory.py
"""

from __future__ import annotations

import argparse
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

FIRST = [
    "Élodie", "Théo", "Chloé", "Maël", "Inès", "Raphaël", "Léa", "Noé", "Zoé", "Gaëtan",
    "Anaïs", "Jérôme", "Hélène", "François", "Maëlys", "Loïc", "Bérénice", "Cédric", "Océane",
    "Benoît", "Agnès", "Timothée", "Manon", "Hugo", "Camille", "Jean-Baptiste", "Marie-Hélène",
    "Solène", "Lucas", "Emma", "Louis", "Jade", "Gabriel", "Louise", "Arthur", "Alice", "Jules",
    "Lina", "Adam", "Rose", "Paul", "Anna", "Victor", "Julia", "Nathan", "Mila", "Tom", "Lou",
]  # fmt: skip
LAST_ROOTS = [
    "Martin", "Bernard", "Dubois", "Lefèvre", "Leroy", "Moreau", "Fournier", "Girard", "Bonnet",
    "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Faure", "André", "Mercier",
    "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "Legrand", "Gauthier", "D'Almeida",
    "Le Gall", "Œuvray", "Nguyen", "Perrin", "Morel", "Clément", "Roux", "Noël", "Gérard",
]  # fmt: skip
SUFFIXES = ["", "-Durand", "-Petit", "-Robert", "-Richard", "-Simon", "-Michel", "-Laurent"]


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


BENCH_SLUG = "benchdir"


def reuse() -> dict[str, Any] | None:
    """Return the data of an earlier fill of this database (``--data-dir``), if any."""
    from equipage.accounts.models import Member, MemberRole
    from equipage.groups.models import Group
    from equipage.organizations.models import Organization

    org = Organization.objects.filter(slug=BENCH_SLUG).first()
    if org is None:
        return None
    owner = Member.objects.get(pk=MemberRole.objects.get(organization=org, role="owner").member_id)
    groups = list(Group.objects.filter(organization=org).order_by("id"))
    ids = list(
        Member.objects.filter(organization=org)
        .exclude(pk=owner.pk)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    return {"org": org, "owner": owner, "groups": groups, "ids": ids, "fill_s": 0.0}


def fill(n: int) -> dict[str, Any]:
    """Create the organization, its groups and labels, then N members in bulk (timed)."""
    from django.db import connection, transaction

    from equipage.core import clock
    from equipage.core.text import default_login, search_key
    from equipage.groups.actions import group_create, label_create
    from equipage.organizations.actions import organization_create
    from equipage.permissions import Actor

    rng = random.Random(1)
    operator = Actor.operator("bench")
    slug = BENCH_SLUG
    created = organization_create(
        actor=operator,
        slug=slug,
        name="Bench",
        owner_email=f"owner@{slug}.test",
        owner_first_name="Olivia",
        owner_last_name="Owner",
    )
    org, owner = created.organization, created.owner
    owner.set_password("bench-pass-123")
    owner.must_change_password = False
    owner.save()
    groups = []
    for i in range(20):
        top = group_create(actor=owner, organization=org, name=f"Région {i}")
        groups.append(top)
        for j in range(9):
            groups.append(
                group_create(actor=owner, organization=org, name=f"Agence {i}-{j}", parent=top)
            )
    labels = [label_create(actor=owner, organization=org, name=f"Étiquette {i}") for i in range(10)]
    leaf_ids = [g.pk for g in groups if g.parent_id]
    now = clock.now()
    t0 = time.perf_counter()
    member_sql = (
        "INSERT INTO accounts_member (organization_id, login, email, first_name, last_name, phone,"
        " job_title, language, state, must_change_password, uses_temp_password, contact_roles,"
        " external_id, search_text, session_version, is_superuser, created_at, updated_at,"
        " password) VALUES (%s,%s,%s,%s,%s,'','','',%s,%s,%s,'[]','',%s,0,%s,%s,%s,'!')"
    )
    batch = 10_000
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM accounts_member")
        start_id = cur.fetchone()[0]
    made = 0
    while made < n:
        rows = []
        for k in range(made, min(n, made + batch)):
            first = FIRST[rng.randrange(len(FIRST))]
            last = (
                LAST_ROOTS[rng.randrange(len(LAST_ROOTS))] + SUFFIXES[rng.randrange(len(SUFFIXES))]
            )
            login = f"{default_login(first, last)}.{k}"
            email = f"{login}@{slug}.test"
            state = "deactivated" if k % 10 == 0 else "active"
            rows.append(
                (org.pk, login, email, first, last, state, False, False,
                 search_key(first, last, login, email), False, now, now)
            )  # fmt: skip
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(member_sql, rows)
        made += len(rows)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id FROM accounts_member WHERE organization_id = %s AND id > %s ORDER BY id",
            [org.pk, start_id],
        )
        ids = [r[0] for r in cur.fetchall()]
    for chunk_start in range(0, len(ids), batch):
        chunk = ids[chunk_start : chunk_start + batch]
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(
                "INSERT INTO accounts_memberrole (organization_id, member_id, role) VALUES (%s,%s,'member')",
                [(org.pk, i) for i in chunk],
            )
            cur.executemany(
                "INSERT INTO groups_groupmembership (organization_id, group_id, member_id, role)"
                " VALUES (%s,%s,%s,'member')",
                [(org.pk, leaf_ids[i % len(leaf_ids)], i) for i in chunk],
            )
            cur.executemany(
                "INSERT INTO groups_memberlabel (organization_id, label_id, member_id) VALUES (%s,%s,%s)",
                [(org.pk, labels[i % len(labels)].pk, i) for i in chunk if i % 7 == 0],
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    fill_s = time.perf_counter() - t0
    return {"org": org, "owner": owner, "groups": groups, "ids": ids, "fill_s": fill_s}


def measure(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    fn()  # warm caches and connections
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--bulk", type=int, default=50_000)
    parser.add_argument("--bulk-runs", type=int, default=3)
    parser.add_argument(
        "--data-dir",
        default="",
        help="SQLite: keep the database here and reuse its members on the next run",
    )
    parser.add_argument("--fill-only", action="store_true", help="fill the database and stop")
    args = parser.parse_args()
    setup_django(args.data_dir)
    from django.db import connection, transaction
    from django.test import Client

    from equipage.accounts.actions import members_deactivate
    from equipage.directory.selectors import DirectoryQuery, directory_page, encode_cursor
    from equipage.permissions import Actor

    engine = connection.vendor
    print(f"engine: {engine}; filling {args.members:,} members…", flush=True)
    data = reuse() or fill(args.members)
    if engine == "postgresql":
        # Steady state: autovacuum keeps the visibility map fresh, so index-only scans stay so.
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE accounts_member")
    org, owner = data["org"], data["owner"]
    print(f"filled in {data['fill_s']:.1f} s", flush=True)
    if args.fill_only:
        return 0
    actor = Actor.for_member(owner)
    region = data["groups"][0]
    client = Client()
    client.force_login(owner, backend="equipage.accounts.backends.MemberBackend")
    client.cookies["django_language"] = "fr"

    first_url = f"/o/{org.slug}/members?q=elodie&state=active&group={region.pk}&sort=name"
    query = DirectoryQuery.from_params({"q": "elodie", "state": "active", "group": str(region.pk)})

    def first_page_view() -> None:
        response = client.get(first_url)
        assert response.status_code == 200, response.status_code

    def first_page_query() -> None:
        directory_page(actor, query)

    from equipage.accounts.models import Member

    middle = (
        Member.objects.filter(organization=org, state="active")
        .order_by("last_name", "first_name", "id")[args.members // 2 :][:1]
        .get()
    )
    deep = DirectoryQuery.from_params(
        {"state": "active", "after": encode_cursor(middle, "name"), "sort": "name"}
    )

    def deep_page_query() -> None:
        page = directory_page(actor, deep)
        assert page.members

    deep_url = f"/o/{org.slug}/members?state=active&after={encode_cursor(middle, 'name')}"

    def deep_page_view() -> None:
        assert client.get(deep_url).status_code == 200

    def raw_baseline() -> None:
        # The naive page: LIKE '%word%' over the raw names and e-mail, every row read
        # (no index may serve it), then sorted. What the search index is measured against.
        table = "accounts_member NOT INDEXED" if engine == "sqlite" else "accounts_member"
        with transaction.atomic(), connection.cursor() as cur:
            if engine == "postgresql":
                cur.execute("SET LOCAL enable_indexscan = off")
                cur.execute("SET LOCAL enable_indexonlyscan = off")
                cur.execute("SET LOCAL enable_bitmapscan = off")
            cur.execute(
                f"SELECT id FROM {table} WHERE organization_id = %s AND state = 'active'"
                " AND lower(first_name || ' ' || last_name || ' ' || login || ' ' || email)"
                " LIKE %s ORDER BY last_name, first_name, id LIMIT 51",
                [org.pk, "%elodie%"],
            )
            cur.fetchall()

    results = {}
    for name, fn in (
        ("raw unindexed LIKE scan (baseline)", raw_baseline),
        ("first page, search+filter+sort: query", first_page_query),
        ("first page, search+filter+sort: whole view", first_page_view),
        ("deep keyset page (middle of roster): query", deep_page_query),
        ("deep keyset page (middle of roster): whole view", deep_page_view),
    ):
        results[name] = measure(fn, args.runs)
    base = results["raw unindexed LIKE scan (baseline)"][1]
    print(f"\n{engine}, {args.members:,} members, {args.runs} runs (ms)")
    for name, (p50, p95) in results.items():
        print(f"  {name:<50} p50 {p50:8.1f}  p95 {p95:8.1f}  ({p95 / base:.3f}× baseline p95)")

    bulk_ids = [i for i in data["ids"] if i % 10 != data["ids"][0] % 10][: args.bulk]

    def action() -> int:
        with transaction.atomic():  # rolled back, so the filled database can be reused
            t0 = time.perf_counter()
            result = members_deactivate(actor=actor, organization=org, members=bulk_ids)
            elapsed = time.perf_counter() - t0
            transaction.set_rollback(True)
        times.append(elapsed)
        return len(result.done)

    def raw_update() -> None:
        # The floor: the same rows' state change as one plain UPDATE, nothing checked or logged.
        marks = ",".join(["%s"] * len(bulk_ids))
        with transaction.atomic(), connection.cursor() as cur:
            t0 = time.perf_counter()
            for start in range(0, len(bulk_ids), 30_000):  # under SQLite's parameter limit
                part = bulk_ids[start : start + 30_000]
                marks = ",".join(["%s"] * len(part))
                cur.execute(
                    "UPDATE accounts_member SET state = 'deactivated', deactivated_at = %s,"
                    f" session_version = session_version + 1 WHERE id IN ({marks})",
                    [clock_now(), *part],
                )
            floor.append(time.perf_counter() - t0)
            transaction.set_rollback(True)

    from equipage.core.clock import now as clock_now

    times: list[float] = []
    floor: list[float] = []
    done = 0
    for _ in range(args.bulk_runs):
        done = action()
        raw_update()
    bulk_s, floor_s = statistics.median(times), statistics.median(floor)
    print(
        f"  bulk deactivation of {done:,} members: median {bulk_s:.2f} s over {len(times)} runs"
        f" (target ≤ 2 s); raw UPDATE floor {floor_s:.2f} s, ratio {bulk_s / floor_s:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
