"""Roster imports: dry-run preview, background jobs (preview → apply), progress and result.

Everything goes through the imports app: ``roster_import`` for the synchronous
dry run, ``jobs.job_create`` / ``jobs.job_confirm`` and its tasks for the
background preview and apply, exactly as the web page does.
"""

from __future__ import annotations

from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from equipage.api.common import actor, organization
from equipage.api.errors import ERROR_RESPONSES
from equipage.core.errors import NotFound, ValidationFailed
from equipage.imports.jobs import REPORT_COUNTS
from equipage.imports.models import ImportJob, ImportStatus
from equipage.permissions import Cap, authorize

router = Router(tags=["imports"])

Mode = Literal["sync", "upsert"]
MAX_UPLOAD = 200 * 1024 * 1024


class ImportProblem(Schema):
    line: int = Field(..., description="Line in the file; the header is line 1; 0 for the file.")
    column: str = Field(..., description="The header as written in the file.")
    message: str


class ImportSkip(Schema):
    line: int | None
    login: str
    reason: str


class FieldChange(Schema):
    before: Any = None
    after: Any = None


class ImportChange(Schema):
    line: int | None = Field(..., description="None for a member absent from the file.")
    login: str
    change: Literal["added", "updated", "deactivated", "reactivated"] | str
    fields: dict[str, FieldChange]


class ImportReport(Schema):
    """The import's JSON (SPEC §9), as ``equipage members import --json`` prints it."""

    added: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0
    skipped: list[ImportSkip] = []
    errors: list[ImportProblem] = []
    applied: bool = False
    dry_run: bool = False
    mode: str = "sync"
    rows: int = 0
    confirmation_required: bool = Field(
        False, description="A sync deactivating over half the active members needs confirming."
    )
    warnings: list[ImportProblem] = []
    changes: list[ImportChange] | None = Field(
        None,
        description="Every change, line by line (previews only). The list of imports gives"
        " the first 500 of each list; get the import for all of them.",
    )
    error_count: int | None = Field(None, description="How many errors in all.")
    change_count: int | None = Field(None, description="How many changes in all (previews).")
    skipped_count: int | None = Field(None, description="How many members skipped in all.")


class Progress(Schema):
    phase: str = Field(..., description="read, compare, write or queued; empty before start.")
    done: int
    total: int


class ImportJobOut(Schema):
    id: int
    status: ImportStatus
    mode: str
    file_name: str
    created_by: str
    created_at: str
    finished_at: str | None
    progress: Progress
    preview: ImportReport | None = Field(None, description="Once status is past `previewing`.")
    result: ImportReport | None = Field(None, description="Once status is applied or failed.")


class ApplyQuery(Schema):
    confirm_mass_deactivation: bool = Field(
        False, description="Required when the preview says `confirmation_required`."
    )


def _read(file: UploadedFile) -> tuple[bytes, str]:
    if file.size is not None and file.size > MAX_UPLOAD:
        raise ValidationFailed(_("This file is too large (200 MB at most)."), field="file")
    return file.read(), file.name or "upload.csv"


def _report(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if not data:
        return None
    out = {k: v for k, v in data.items() if k in ImportReport.model_fields}
    for key, count in REPORT_COUNTS.items():
        if key in data and count not in data:  # a whole report: its lists are complete
            out[count] = len(data[key])
    return out


def job_out(job: ImportJob, whole: bool = False) -> dict[str, Any]:
    """Return the job as the API shows it.

    ``whole``: with its whole reports, not the summaries its row keeps (the
    first lines of each list, ``jobs.summarised``).
    """
    from equipage.imports.jobs import full_report, read_progress

    preview = full_report(job, "preview") if whole else job.preview
    result = full_report(job, "result") if whole else job.result

    return {
        "id": job.pk,
        "status": job.status,
        "mode": job.mode,
        "file_name": job.file_name,
        "created_by": job.actor_label,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "progress": read_progress(job.pk),
        "preview": _report(preview),
        "result": _report(result)
        if job.status in (ImportStatus.APPLIED, ImportStatus.FAILED)
        else None,
    }


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    """Fetch a job of the token's organization; imports are visible to importers only."""
    authorize(actor(request), Cap.MEMBER_IMPORT, organization(request))
    job = ImportJob.objects.filter(pk=job_id, organization=organization(request)).first()
    if job is None:
        raise NotFound(_("Import not found."))
    return job


@router.post(
    "/preview",
    response={200: ImportReport, **ERROR_RESPONSES},
    summary="Preview an import (dry run)",
)
def preview_import(
    request: HttpRequest, file: File[UploadedFile], mode: Form[Mode] = "sync"
) -> Any:
    """Report what importing this file would do, changing nothing (like ``--dry-run --json``).

    Runs in the request: for very large files prefer ``POST /imports``, which
    prepares the same preview in the background.
    """
    from equipage.imports.actions import roster_import

    data, name = _read(file)
    report = roster_import(
        actor=actor(request),
        organization=organization(request),
        data=data,
        filename=name,
        mode=mode,
        dry_run=True,
    )
    return report.as_dict()


@router.post(
    "",
    response={202: ImportJobOut, **ERROR_RESPONSES},
    summary="Upload a roster file (background preview)",
)
def start_import(request: HttpRequest, file: File[UploadedFile], mode: Form[Mode] = "sync") -> Any:
    """Store the file and prepare its preview in the background.

    Poll ``GET /imports/{id}`` until ``status`` is ``previewed`` (or ``failed``),
    read ``preview``, then ``POST /imports/{id}/apply``.
    """
    from equipage.imports import jobs
    from equipage.imports.tasks import preview_import

    data, name = _read(file)
    with transaction.atomic():
        job = jobs.job_create(
            actor=actor(request),
            organization=organization(request),
            data=data,
            filename=name,
            mode=mode,
        )
        jobs.write_progress(job.pk, "read", 0, 0)
        transaction.on_commit(lambda: preview_import.enqueue(job.pk))
    return Status(202, job_out(job))


@router.get("", response={200: list[ImportJobOut], **ERROR_RESPONSES}, summary="List imports")
def list_imports(request: HttpRequest) -> Any:
    """The organization's 20 latest imports, newest first."""
    authorize(actor(request), Cap.MEMBER_IMPORT, organization(request))
    jobs = ImportJob.objects.filter(organization=organization(request)).order_by("-id")[:20]
    return [job_out(job) for job in jobs]


@router.get("/{job_id}", response={200: ImportJobOut, **ERROR_RESPONSES}, summary="Get an import")
def get_import(request: HttpRequest, job_id: int) -> Any:
    """Status, progress, preview and (once finished) result of an import."""
    return job_out(_job(request, job_id), whole=True)


@router.post(
    "/{job_id}/apply",
    response={202: ImportJobOut, **ERROR_RESPONSES},
    summary="Apply a previewed import",
)
def apply_import(request: HttpRequest, job_id: int, query: Query[ApplyQuery]) -> Any:
    """Queue the apply of a previewed, error-free file; all or nothing, in the background.

    409 when the preview is not ready, has errors, needs the mass-deactivation
    confirmation, or another import of the organization is running.
    """
    from equipage.core.errors import Conflict
    from equipage.imports import jobs

    job = _job(request, job_id)
    confirm = query.confirm_mass_deactivation
    if job.status == ImportStatus.PREVIEWING:
        raise Conflict("The preview is not ready yet; poll this import, then apply.")
    if (job.preview or {}).get("confirmation_required") and not confirm:
        raise Conflict(
            "This sync deactivates more than half of the active members: "
            "add ?confirm_mass_deactivation=true to apply it."
        )
    with transaction.atomic():
        jobs.job_confirm(actor=actor(request), job=job, confirm_mass_deactivation=confirm)
    job.refresh_from_db()
    return Status(202, job_out(job))
