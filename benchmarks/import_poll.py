"""Benchmark what watching a big import costs: the background preview, then its polls.

Uploads an N-line roster of new members (N changes) through the API, runs
its preview as a worker does, then times, through the real URL routing and
a real API token:

- ``GET /api/v1/imports/{id}``, the poll every client repeats (its size too);
- ``GET /api/v1/imports/{id}/changes`` for the last page (1000 lines), by cursor;
- the console's ``changes.csv`` download of every change, streamed.

Issue #14 measured the poll at 114 MB and 33 s for 250k lines, on every poll.

    .venv/bin/python benchmarks/import_poll.py --rows 250000
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/eq_bench .venv/bin/python benchmarks/import_poll.py
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def roster(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Identifiant", "Nom", "Prénom", "Adresse e-mail", "Mot de passe", "État"])
    for i in range(rows):
        writer.writerow(["", f"Durand{i}", "Élodie", f"elodie.durand{i}@bench.fr", "", "Activé"])
    return out.getvalue().encode("utf-8-sig")


def timed(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, last = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        last = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), last


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=250_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("EQUIPAGE_DATA_DIR", tempfile.mkdtemp(prefix="equipage-poll-"))
    os.environ.setdefault("EQUIPAGE_BASE_URL", "http://127.0.0.1:8000")
    sys.path.insert(0, str(ROOT))
    from equipage.cli.bootstrap import setup_django

    setup_django()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from equipage.accounts.selectors import owner_of
    from equipage.imports.jobs import run_preview
    from equipage.organizations.actions import organization_create
    from equipage.organizations.models import Organization
    from equipage.permissions import Actor
    from equipage.tokens.actions import token_create

    org = Organization.objects.filter(slug="poll").first()
    if org is None:
        created = organization_create(
            actor=Actor.operator(), slug="poll", name="Poll", owner_email="owner@poll.fr"
        )
        org = created.organization
    owner = owner_of(org)
    token = token_create(actor=owner, organization=org, name="bench", scopes=["api"]).raw
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_HOST": "127.0.0.1:8000"}
    client = Client()

    data = roster(args.rows)
    client.get("/api/v1/imports", **auth)  # the first request loads the API: not timed
    start = time.perf_counter()
    upload = client.post(
        "/api/v1/imports",
        {"file": SimpleUploadedFile("r.csv", data), "mode": "upsert"},
        **auth,
    )
    assert upload.status_code == 202, upload.content
    upload_s = time.perf_counter() - start
    job_id = upload.json()["id"]
    start = time.perf_counter()
    run_preview(job_id)
    preview_s = time.perf_counter() - start

    def poll() -> bytes:
        response = client.get(f"/api/v1/imports/{job_id}", **auth)
        assert response.status_code == 200
        return response.content

    poll_s, body = timed(poll, args.repeat)
    assert isinstance(body, bytes)
    import json

    job = json.loads(body)
    assert job["preview"]["change_count"] == args.rows, job["status"]
    from equipage.imports.storage import make_cursor

    last = make_cursor(max(args.rows - 1000, 0))

    def last_page() -> int:
        response = client.get(
            f"/api/v1/imports/{job_id}/changes", {"cursor": last, "limit": 1000}, **auth
        )
        return len(response.json()["items"])

    page_s, items = timed(last_page, args.repeat)
    client.force_login(owner)

    def download() -> int:
        response = client.get(
            f"/o/{org.slug}/members/import/{job_id}/changes.csv", HTTP_HOST="127.0.0.1:8000"
        )
        return sum(len(chunk) for chunk in response.streaming_content)

    csv_s, csv_bytes = timed(download, 1)
    engine = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    print(f"{engine}, {args.rows} new members (as many changes)")
    print(f"  upload ({len(data) / 1e6:.1f} MB) into the database   {upload_s:8.2f} s")
    print(f"  preview (worker, changes stored)         {preview_s:8.2f} s")
    print(
        f"  GET /imports/{{id}} poll, median          {poll_s * 1000:8.1f} ms  ({len(body)} bytes)"
    )
    print(f"  GET /imports/{{id}}/changes last 1000      {page_s * 1000:8.1f} ms  ({items} lines)")
    print(f"  changes.csv, every change streamed       {csv_s:8.2f} s  ({csv_bytes / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
