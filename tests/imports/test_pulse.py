"""A working job's progress and heartbeat, published on its row from a thread of its own."""

from __future__ import annotations

import time
from typing import Any

import pytest

from equipage.imports.jobs import job_create, read_progress
from equipage.imports.models import ImportJob, ImportStatus
from equipage.imports.pulse import Pulse, forget_side, side_progress
from equipage.permissions import as_actor
from tests.imports.helpers import csv_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_latest_progress_reaches_the_row_within_a_second_with_a_fresh_heartbeat(
    org: Any, owner: Any
) -> None:
    job = job_create(
        actor=as_actor(owner), organization=org, data=b"", filename="r.csv", mode="upsert"
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    seen: list[tuple[str, int, int]] = []
    with Pulse(job.pk, forward=lambda *p: seen.append(p)) as pulse:
        first = ImportJob.objects.get(pk=job.pk).heartbeat_at
        pulse("read", 20_000, 0)
        pulse("write", 5_000, 40_000)
        time.sleep(1.6)
        job.refresh_from_db()
        assert read_progress(job) == {"phase": "write", "done": 5_000, "total": 40_000}
        assert job.heartbeat_at is not None and first is not None and job.heartbeat_at > first
    assert seen == [("read", 20_000, 0), ("write", 5_000, 40_000)]  # the CLI still prints them
    forget_side(job.pk)


def test_a_command_line_import_beats_and_leaves_nothing_beside_the_database(
    org: Any, owner: Any
) -> None:
    from equipage.imports.actions import roster_import

    report = roster_import(
        actor=owner,
        organization=org,
        data=csv_bytes([["", "Neuf", "Nina", "", "", "Activé"]]),
        mode="upsert",
    )
    assert report.applied
    job = ImportJob.objects.get(organization=org)
    assert job.status == ImportStatus.APPLIED and job.heartbeat_at is not None and not job.lock
    assert side_progress(job.pk) is None  # on SQLite, its file beside the database is gone
