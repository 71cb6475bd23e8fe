"""Imports migration 0003: a file still waiting on the disk moves into the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

BEFORE = ("imports", "0002_import_job_token")
AFTER = ("imports", "0003_import_data_in_database")


@pytest.fixture
def back_to_latest() -> Iterator[None]:
    """Leave the database migrated to the latest state whatever the test did."""
    yield
    # Every app to its last migration, not just AFTER: going back also unapplied the later
    # migrations of other apps that depend on this one (directory 0007's catalog table).
    call_command("migrate", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_an_upload_waiting_on_disk_moves_into_the_database_and_the_old_files_go(
    org: Any, back_to_latest: None
) -> None:
    call_command("migrate", *BEFORE, verbosity=0)
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    waiting, applied = folder / f"{org.pk}-waiting.csv", folder / f"{org.pk}-applied.csv"
    roster = b"Nom;Pr\xc3\xa9nom\r\nNeuf;Nina\r\n" * 50_000  # more than a megabyte
    waiting.write_bytes(roster)
    applied.write_bytes(b"Nom;Prenom\r\n")
    report = folder / "report-1-preview.json"
    report.write_text("{}")
    with connection.cursor() as cur:
        for status, path in (("previewed", waiting), ("applied", applied)):
            cur.execute(
                "INSERT INTO imports_importjob (organization_id, actor_label, file_name,"
                " file_path, mode, confirm_mass_deactivation, status, host, created_at,"
                " updated_at) VALUES (%s, '', 'r.csv', %s, 'sync', %s, %s, '', %s, %s)",
                [org.pk, str(path), False, status, "2026-01-01", "2026-01-01"],
            )
    call_command("migrate", *AFTER, verbosity=0)

    from equipage.imports import storage
    from equipage.imports.models import ImportJob

    job = ImportJob.objects.get(status="previewed")
    assert b"".join(storage.upload_blocks(job.pk)) == roster and job.file_size == len(roster)
    done = ImportJob.objects.get(status="applied")
    with pytest.raises(storage.UploadMissing):  # a finished job's file was not worth keeping
        list(storage.upload_blocks(done.pk))
    assert not waiting.exists() and not applied.exists() and not report.exists()
