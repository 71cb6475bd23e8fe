"""Background tasks of the import, on the "imports" queue.

Each task fails (raises ``jobs.ImportFailed``) when its job fails, after the
job's row says why: the task framework's result tells the truth too.
"""

from __future__ import annotations

from django.tasks import task

from equipage.imports import jobs


@task(queue_name="imports")
def preview_import(job_id: int) -> None:
    """Compute the preview (dry run) of an uploaded file."""
    jobs.run_preview(job_id)


@task(queue_name="imports")
def apply_import(job_id: int) -> None:
    """Apply a confirmed import, all or nothing."""
    jobs.run_apply(job_id)
