"""Tidying import jobs: lost workers, previews left unconfirmed, the history of old imports.

Every worker runs these every half minute, on every node; each step is a
conditional update, safe to run from several at once.

- A job at work whose heartbeat stopped for ``pulse.vanished_seconds()`` (its
  worker was killed, or its machine went away) ends: failed with nothing
  changed (an apply is one transaction), its organization unlocked, its
  reader told it can be started again.
- A preview keeps the uploaded roster in the database until it is applied.
  One left unconfirmed for a day is cancelled and its file removed (the
  roster holds personal data; the coordinator uploads it again if needed).
- Finished jobs are kept as long as the organization keeps its import history
  (``import_retention_days``, organizations.retention; 90 days by default), then
  deleted with their reports; the audit log keeps what each import changed.
"""

from __future__ import annotations

from datetime import timedelta

from equipage.core import clock
from equipage.core.housekeeping import periodic
from equipage.imports import storage
from equipage.imports.jobs import end_interrupted, vanished
from equipage.imports.models import ImportJob, ImportStatus
from equipage.imports.pulse import vanished_seconds
from equipage.organizations.retention import forget_older

PREVIEW_HOURS = 24
WAITING = (ImportStatus.PREVIEWING, ImportStatus.PREVIEWED)
FINISHED = (ImportStatus.APPLIED, ImportStatus.FAILED, ImportStatus.CANCELLED)


@periodic
def end_vanished_import_jobs() -> int:
    """End the jobs whose worker stopped beating; returns how many were ended."""
    silent = ImportJob.objects.filter(
        status__in=(ImportStatus.PREVIEWING, ImportStatus.RUNNING),
        heartbeat_at__lt=clock.now() - timedelta(seconds=vanished_seconds()),
    ).select_related("organization", "actor_member")
    return sum(1 for job in silent if vanished(job) and end_interrupted(job))


@periodic
def tidy_import_jobs() -> tuple[int, int]:
    """Cancel stale previews and delete old finished jobs; returns (cancelled, deleted)."""
    now = clock.now()
    stale = ImportJob.objects.filter(
        status__in=WAITING, updated_at__lt=now - timedelta(hours=PREVIEW_HOURS)
    )
    cancelled = 0
    for job_id in list(stale.values_list("pk", flat=True)):
        # The status is the condition too: a preview confirmed meanwhile is left alone.
        if ImportJob.objects.filter(pk=job_id, status__in=WAITING).update(
            status=ImportStatus.CANCELLED, finished_at=now, updated_at=now
        ):
            storage.remove_parts(job_id, storage.UPLOAD, "preview:")
            cancelled += 1
    # Finished jobs are kept as long as their organization keeps its import history.
    deleted = forget_older(
        ImportJob.objects.filter(status__in=FINISHED),
        days_field="import_retention_days",
        date_field="updated_at",
    )
    return cancelled, deleted
