"""Import jobs are tidied: unconfirmed previews expire with their file, old history goes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from equipage.core.errors import Conflict
from equipage.imports.housekeeping import tidy_import_jobs
from equipage.imports.jobs import job_confirm, job_create, progress_path, report_path, run_preview
from equipage.imports.models import ImportJob, ImportStatus
from equipage.permissions import as_actor
from tests.imports.helpers import csv_bytes

pytestmark = pytest.mark.django_db


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
    upload = Path(job.file_path)
    whole = report_path(job.pk, "preview")
    whole.write_text("{}")  # as a preview too big for its row leaves it
    assert upload.exists()
    frozen_clock.advance(hours=23)
    assert tidy_import_jobs() == (0, 0)
    assert upload.exists()
    frozen_clock.advance(hours=2)
    assert tidy_import_jobs() == (1, 0)
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED and not upload.exists() and not whole.exists()
    with pytest.raises(Conflict):
        job_confirm(actor=as_actor(admin), job=job, confirm_mass_deactivation=False)


def test_finished_jobs_are_kept_ninety_days_then_deleted(
    org: Any, admin: Any, frozen_clock: Any
) -> None:
    job = _previewed(org, admin)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.APPLIED, file_path="")
    progress_path(job.pk).write_text("{}")
    report_path(job.pk, "result").write_text("{}")
    frozen_clock.advance(days=89)
    assert tidy_import_jobs() == (0, 0)
    frozen_clock.advance(days=2)
    assert tidy_import_jobs() == (0, 1)
    assert not ImportJob.objects.filter(pk=job.pk).exists()
    assert not progress_path(job.pk).exists() and not report_path(job.pk, "result").exists()


def test_a_running_import_is_never_touched(org: Any, admin: Any, frozen_clock: Any) -> None:
    job = _previewed(org, admin)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, lock=True)
    frozen_clock.advance(days=200)
    assert tidy_import_jobs() == (0, 0)
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING and Path(job.file_path).exists()
