"""Import jobs are tidied: unconfirmed previews expire with their file, old history goes.

The file and the reports are rows of the job (``ImportChunk``): what is
removed is checked in the database, where every node would have read it.
"""

from __future__ import annotations

from typing import Any

import pytest

from equipage.core.errors import Conflict
from equipage.imports.housekeeping import tidy_import_jobs
from equipage.imports.jobs import job_confirm, job_create, run_preview
from equipage.imports.models import ImportChunk, ImportJob, ImportStatus
from equipage.permissions import as_actor
from tests.imports.helpers import csv_bytes

pytestmark = pytest.mark.django_db


def _parts(job: ImportJob) -> set[str]:
    return set(ImportChunk.objects.filter(job=job).values_list("part", flat=True))


def _previewed(org: Any, admin: Any) -> ImportJob:
    data = csv_bytes([["", "Neuf", "Nina", "nina@x.fr", "", "Activé"]])
    job = job_create(
        actor=as_actor(admin), organization=org, data=data, filename="r.csv", mode="upsert"
    )
    run_preview(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
    return job


def test_a_preview_left_unconfirmed_for_a_day_is_cancelled_and_its_file_removed(
    org: Any, admin: Any, frozen_clock: Any
) -> None:
    job = _previewed(org, admin)
    assert _parts(job) == {"upload", "preview:changes"}  # empty lists take no row
    frozen_clock.advance(hours=23)
    assert tidy_import_jobs() == (0, 0)
    assert "upload" in _parts(job)
    frozen_clock.advance(hours=2)
    assert tidy_import_jobs() == (1, 0)
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED and _parts(job) == set()
    with pytest.raises(Conflict):
        job_confirm(actor=as_actor(admin), job=job, confirm_mass_deactivation=False)


def test_finished_jobs_are_kept_ninety_days_then_deleted(
    org: Any, admin: Any, frozen_clock: Any
) -> None:
    job = _previewed(org, admin)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.APPLIED)
    ImportChunk.objects.create(job=job, part="result:errors", seq=0, data=b"[]")
    frozen_clock.advance(days=89)
    assert tidy_import_jobs() == (0, 0)
    frozen_clock.advance(days=2)
    assert tidy_import_jobs() == (0, 1)
    assert not ImportJob.objects.filter(pk=job.pk).exists()
    assert not ImportChunk.objects.filter(job_id=job.pk).exists()


def test_a_running_import_is_never_touched(org: Any, admin: Any, frozen_clock: Any) -> None:
    job = _previewed(org, admin)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, lock=True)
    frozen_clock.advance(days=200)
    assert tidy_import_jobs() == (0, 0)
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING and "upload" in _parts(job)
