"""Server time of every console page on the demo data (issue 5: no page over 300 ms).

Creates the demo organization in a fresh data directory (or uses DATABASE_URL),
logs in as its owner with Django's test client (in process: server time only,
no network), requests each page ``--repeat`` times and prints p50 / p95 per
page, with the ratio to the raw baseline measured in the same run: the login
page, which renders a template and touches the database once.

    .venv/bin/python benchmarks/pages.py [--repeat 30] [--members 80]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--members", type=int, default=80)
    args = parser.parse_args()
    os.environ.setdefault("EQUIPAGE_DATA_DIR", tempfile.mkdtemp(prefix="equipage-pages-"))
    os.environ["EQUIPAGE_ALLOWED_HOSTS"] = "*"

    from equipage.cli import main as cli

    if cli(["demo", "--members", str(args.members)]) != 0:
        return 1
    from django.test import Client

    from equipage.accounts.models import Member
    from equipage.cli.demo import DEMO_PASSWORD, DEMO_SLUG
    from equipage.groups.models import Group

    client = Client()
    client.post(
        f"/o/{DEMO_SLUG}/login", {"identifier": "claire.fontaine", "password": DEMO_PASSWORD}
    )
    member = Member.objects.filter(organization__slug=DEMO_SLUG).order_by("-id").first()
    group = Group.objects.filter(organization__slug=DEMO_SLUG).first()
    base = f"/o/{DEMO_SLUG}"
    pages = {
        "login page (baseline, anonymous)": (Client(), f"{base}/login"),
        "members": (client, f"{base}/members"),
        "members, search « elodie »": (client, f"{base}/members?q=elodie"),
        "members, seats header": (client, f"{base}/members/seats"),
        "member profile": (client, f"{base}/members/{member.pk if member else 0}/"),
        "add a member": (client, f"{base}/members/new"),
        "groups": (client, f"{base}/groups/"),
        "group detail": (client, f"{base}/groups/{group.pk if group else 0}/"),
        "labels": (client, f"{base}/labels/"),
        "custom fields": (client, f"{base}/fields/"),
        "settings": (client, f"{base}/settings/"),
        "invitations": (client, f"{base}/invitations/"),
        "invite": (client, f"{base}/invitations/new"),
        "import": (client, f"{base}/members/import"),
        "webhooks": (client, f"{base}/webhooks/"),
        "API tokens": (client, f"{base}/tokens/"),
        "my profile": (client, f"{base}/me/"),
    }
    results: dict[str, list[float]] = {}
    for name, (c, url) in pages.items():
        status = c.get(url).status_code  # warm-up, and check the page is served
        if status != 200:
            print(f"{name}: {url} answered {status}", file=sys.stderr)
            return 1
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            c.get(url)
            times.append((time.perf_counter() - start) * 1000)
        results[name] = times
    baseline = statistics.median(results["login page (baseline, anonymous)"])
    print(f"{'page':<36} {'p50 ms':>8} {'p95 ms':>8} {'x baseline':>10}")
    worst = 0.0
    for name, times in results.items():
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        worst = max(worst, p95)
        print(f"{name:<36} {p50:>8.1f} {p95:>8.1f} {p50 / baseline:>10.1f}")
    print(f"worst p95: {worst:.1f} ms (target: every page under 300 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
