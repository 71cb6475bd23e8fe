"""Roster imports: dry-run preview, background jobs (preview → apply), progress and result.

Everything goes through the imports app: ``roster_import`` for the synchronous
dry run, ``jobs.job_create`` / ``jobs.job_confirm`` and its tasks for the
background preview and apply, exactly as the web page does.

A job shows its counts and the first lines of each list; the rest is read a
page at a time by cursor (``GET /imports/{id}/changes?cursor=...``), so that
polling a 250k-line preview costs one small row, not the whole report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from equipage.api.common import Identifier, actor, organization
from equipage.api.errors import ERROR_RESPONSES
from equipage.core.errors import NotFound, ValidationFailed
from equipage.imports import limits
from equipage.imports.jobs import REPORT_COUNTS, REPORT_LIMIT
from equipage.imports.models import WORKING_STATUSES, ImportJob, ImportStatus
from equipage.imports.problems import worded
from equipage.imports.storage import PAGE_LIMIT
from equipage.permissions import Cap, authorize

router = Router(tags=["imports"])

Mode = Literal["sync", "upsert"]
MAX_UPLOAD = 200 * 1024 * 1024


class ImportProblem(Schema):
    line: int = Field(..., description="Line in the file; the header is line 1; 0 for the file.")
    column: str = Field(..., description="The header as written in the file.")
    message: str = Field(..., description="In the language of the request (Accept-Language).")
    code: str = Field(
        "", description="What is wrong, stable across languages (empty: a free text)."
    )
    params: dict[str, Any] = Field({}, description="The values the message names (cell, limit…).")
    who: str = Field("", description="The person on that line: first and last name, or login.")


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
        description=f"The changes, line by line (previews only). A job shows the first"
        f" {REPORT_LIMIT} of each list; `next_cursors` reads on.",
    )
    error_count: int | None = Field(None, description="How many errors in all.")
    change_count: int | None = Field(None, description="How many changes in all (previews).")
    skipped_count: int | None = Field(None, description="How many members skipped in all.")
    warning_count: int | None = Field(None, description="How many warnings in all.")
    next_cursors: dict[str, str] = Field(
        {},
        description="For each list with more lines than shown (changes, errors, skipped,"
        " warnings): the cursor of `GET /imports/{id}/<list>?cursor=` for the next ones.",
    )


class Progress(Schema):
    phase: str = Field(
        ...,
        description="read, compare, write, report (a preview's changes being stored) or"
        " queued; empty once the work is done.",
    )
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


class PageQuery(Schema):
    # Bounded (request line) and free of control characters (a 400 naming it); a cursor is
    # a few bytes of URL-safe base64, which the import's storage decodes (else a 400 too).
    cursor: Identifier | None = Field(
        None, max_length=100, description="From `next_cursors` or `next_cursor`."
    )
    limit: int = Field(REPORT_LIMIT, ge=1, le=PAGE_LIMIT, description="Lines per page.")


class ChangePage(Schema):
    items: list[ImportChange]
    total: int = Field(..., description="How many lines the list has in all.")
    next_cursor: str | None = Field(..., description="None on the last page.")


class ProblemPage(Schema):
    items: list[ImportProblem]
    total: int
    next_cursor: str | None


class SkipPage(Schema):
    items: list[ImportSkip]
    total: int
    next_cursor: str | None


class ApplyQuery(Schema):
    confirm_mass_deactivation: bool = Field(
        False, description="Required when the preview says `confirmation_required`."
    )


def _checked(file: UploadedFile) -> tuple[UploadedFile, str]:
    if file.size is not None and file.size > MAX_UPLOAD:
        raise ValidationFailed(_("This file is too large (200 MB at most)."), field="file")
    return file, file.name or "upload.csv"


def _checkable(file: UploadedFile) -> bytes | Path:
    """Return what the file limits can inspect: the spooled file's path, or the small upload's bytes."""
    if hasattr(file, "temporary_file_path"):
        return Path(file.temporary_file_path())
    data = file.read()
    file.seek(0)
    return data


def _report(data: dict[str, Any] | None, lists: tuple[str, ...]) -> Any:
    """Return a report as a job's row keeps it, with the cursors of the lists that go on.

    ``lists``: those whose pages ``GET /imports/{id}/<list>`` serves from this report.
    """
    from equipage.imports.storage import make_cursor

    if not data:
        return None
    out = {k: v for k, v in data.items() if k in ImportReport.model_fields}
    for key in ("errors", "warnings"):  # worded in the reader's language (their code says what)
        if out.get(key):
            out[key] = [worded(e) for e in out[key]]
    cursors: dict[str, str] = {}
    for key, count in REPORT_COUNTS.items():
        shown = len(data.get(key) or ())
        out.setdefault(count, shown)
        if key in lists and out[count] > shown:
            cursors[key] = make_cursor(shown)
    out["next_cursors"] = cursors
    return out


def job_out(job: ImportJob) -> dict[str, Any]:
    """Return the job as the API shows it: its row, whatever the size of its reports."""
    from equipage.imports.jobs import read_progress, report_kind

    shown = report_kind(job)
    others = ("errors", "skipped", "warnings")
    # A preview's changes are kept while it works, waits, and once applied (the result's).
    kept = (*WORKING_STATUSES, ImportStatus.PREVIEWED, ImportStatus.APPLIED)
    changes = ("changes",) if job.status in kept else ()
    return {
        "id": job.pk,
        "status": job.status,
        "mode": job.mode,
        "file_name": job.file_name,
        "created_by": job.actor_label,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "progress": read_progress(job),
        "preview": _report(job.preview, (*changes, *others) if shown == "preview" else changes),
        "result": _report(job.result, others if shown == "result" else ())
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

    upload, name = _checked(file)
    report = roster_import(
        actor=actor(request),
        organization=organization(request),
        data=upload.read(),
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

    upload_file, name = _checked(file)
    limits.check_file(_checkable(upload_file), name)  # a hostile workbook: 422 now
    with transaction.atomic():
        job = jobs.job_create(
            actor=actor(request),
            organization=organization(request),
            data=upload_file,  # read a megabyte at a time into the database
            filename=name,
            mode=mode,
        )
    return Status(202, job_out(job))


@router.get("", response={200: list[ImportJobOut], **ERROR_RESPONSES}, summary="List imports")
def list_imports(request: HttpRequest) -> Any:
    """The organization's 20 latest imports, newest first."""
    authorize(actor(request), Cap.MEMBER_IMPORT, organization(request))
    jobs = ImportJob.objects.filter(organization=organization(request)).order_by("-id")[:20]
    return [job_out(job) for job in jobs]


@router.get("/{job_id}", response={200: ImportJobOut, **ERROR_RESPONSES}, summary="Get an import")
def get_import(request: HttpRequest, job_id: int) -> Any:
    """Status, progress, counts and the first lines of the preview and (once finished) result.

    Cheap to poll however big the file: the lists go on by cursor
    (`next_cursors`, then `GET /imports/{id}/changes` and the like).
    """
    return job_out(_job(request, job_id))


@router.post(
    "/{job_id}/cancel",
    response={200: ImportJobOut, **ERROR_RESPONSES},
    summary="Cancel a previewed import",
)
def cancel(request: HttpRequest, job_id: int) -> Any:
    """Drop an import not yet applied: its file and preview are deleted at once.

    409 once it is queued, running or finished.
    """
    from equipage.imports import jobs

    job = _job(request, job_id)
    jobs.job_cancel(actor=actor(request), job=job)
    job.refresh_from_db()
    return job_out(job)


def _page(request: HttpRequest, job_id: int, name: str, query: PageQuery) -> dict[str, Any]:
    from equipage.imports.jobs import page

    found = page(_job(request, job_id), name, query.cursor, query.limit)
    if name in ("errors", "warnings"):
        found["items"] = [worded(e) for e in found["items"]]
    return found


@router.get(
    "/{job_id}/changes",
    response={200: ChangePage, **ERROR_RESPONSES},
    summary="Page through an import's changes",
)
def import_changes(request: HttpRequest, job_id: int, query: Query[PageQuery]) -> Any:
    """The preview's changes from `cursor` on (kept until the import is applied or cancelled)."""
    return _page(request, job_id, "changes", query)


@router.get(
    "/{job_id}/errors",
    response={200: ProblemPage, **ERROR_RESPONSES},
    summary="Page through an import's errors",
)
def import_errors(request: HttpRequest, job_id: int, query: Query[PageQuery]) -> Any:
    """The errors of the result once the import ran, else of the preview, from `cursor` on."""
    return _page(request, job_id, "errors", query)


@router.get(
    "/{job_id}/warnings",
    response={200: ProblemPage, **ERROR_RESPONSES},
    summary="Page through an import's warnings",
)
def import_warnings(request: HttpRequest, job_id: int, query: Query[PageQuery]) -> Any:
    """The warnings (as for the errors), from `cursor` on."""
    return _page(request, job_id, "warnings", query)


@router.get(
    "/{job_id}/skipped",
    response={200: SkipPage, **ERROR_RESPONSES},
    summary="Page through the members an import skips",
)
def import_skipped(request: HttpRequest, job_id: int, query: Query[PageQuery]) -> Any:
    """The members skipped (as for the errors), from `cursor` on."""
    return _page(request, job_id, "skipped", query)


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
