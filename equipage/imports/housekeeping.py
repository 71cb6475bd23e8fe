"""Tidying import jobs: previews left unconfirmed, and the history of old imports.

A preview keeps the uploaded roster on disk until it is applied. One left
unconfirmed for a day is cancelled and its file removed (the roster holds
personal data; the coordinator uploads it again if needed). Finished jobs are
kept ``KEEP_DAYS`` for the import page's history, then deleted with their
files; the audit log keeps what each import changed.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

from equipage.core import clock
from equipage.core.housekeeping import periodic
from equipage.imports.jobs import progress_path, report_path
from equipage.imports.models import ImportJob, ImportStatus

PREVIEW_HOURS = 24
KEEP_DAYS = 90
WAITING = (ImportStatus.PREVIEWING, ImportStatus.PREVIEWED)
FINISHED = (ImportStatus.APPLIED, ImportStatus.FAILED, ImportStatus.CANCELLED)


def _remove_files(job_id: int, file_path: str) -> None:
    for path in (
        Path(file_path) if file_path else None,
        progress_path(job_id),
        report_path(job_id, "preview"),
        report_path(job_id, "result"),
    ):
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()


@periodic
def tidy_import_jobs() -> tuple[int, int]:
    """Cancel stale previews and delete old finished jobs; returns (cancelled, deleted)."""
    now = clock.now()
    stale = ImportJob.objects.filter(
        status__in=WAITING, updated_at__lt=now - timedelta(hours=PREVIEW_HOURS)
    )
    cancelled = 0
    for job_id, file_path in list(stale.values_list("pk", "file_path")):
        # The status is the condition too: a preview confirmed meanwhile is left alone.
        if ImportJob.objects.filter(pk=job_id, status__in=WAITING).update(
            status=ImportStatus.CANCELLED, finished_at=now, updated_at=now, file_path=""
        ):
            _remove_files(job_id, file_path)
            cancelled += 1
    old = ImportJob.objects.filter(
        status__in=FINISHED, updated_at__lt=now - timedelta(days=KEEP_DAYS)
    )
    doomed = list(old.values_list("pk", "file_path"))
    deleted, _ = old.filter(pk__in=[pk for pk, _path in doomed]).delete()
    for job_id, file_path in doomed:
        _remove_files(job_id, file_path)
    return cancelled, deleted
