"""Running an import job from the web page: its file, its progress, its preview and apply."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import uuid
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from equipage.core import clock
from equipage.core.errors import Conflict, DomainError
from equipage.imports.models import ImportJob, ImportMode, ImportStatus
from equipage.organizations.models import Organization
from equipage.permissions import Actor, Cap, Origin, authorize

if TYPE_CHECKING:
    from equipage.imports.actions import ImportReport


def _dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_create(
    *, actor: Actor, organization: Organization, data: bytes, filename: str, mode: str
) -> ImportJob:
    """Store the uploaded file and create its job, waiting for the preview."""
    from equipage.imports.actions import ensure_import_enabled

    authorize(actor, Cap.MEMBER_IMPORT, organization)
    ensure_import_enabled(organization)
    if mode not in ImportMode.values:
        mode = ImportMode.SYNC
    suffix = ".xlsx" if filename.lower().endswith((".xlsx", ".xlsm")) else ".csv"
    path = _dir() / f"{organization.pk}-{uuid.uuid4().hex}{suffix}"
    path.write_bytes(data)
    now = clock.now()
    with transaction.atomic():
        job = ImportJob.objects.create(
            organization=organization,
            actor_member=actor.member,
            actor_label=actor.label[:200],
            token=actor.token if actor.kind == "token" else None,
            file_name=os.path.basename(filename)[:255],
            file_path=str(path),
            mode=mode,
            status=ImportStatus.PREVIEWING,
            created_at=now,
            updated_at=now,
        )
    return job


def progress_path(job_id: int) -> Path:
    return _dir() / f"progress-{job_id}.json"


def write_progress(job_id: int, phase: str, done: int, total: int) -> None:
    """Publish progress through a small file: the apply's transaction hides database writes."""
    path = progress_path(job_id)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"phase": phase, "done": done, "total": total}))
    os.replace(tmp, path)


def read_progress(job_id: int) -> dict[str, Any]:
    try:
        return json.loads(progress_path(job_id).read_text())
    except (OSError, ValueError):
        return {"phase": "", "done": 0, "total": 0}


# What a job's row keeps of a report: every count, and the first lines of each list. The
# whole report (a million-line file previews a million changes: hundreds of MB of JSON)
# goes to a file beside the upload, read only by the downloads and the API.
REPORT_LIMIT = 500
REPORT_COUNTS = {"errors": "error_count", "changes": "change_count", "skipped": "skipped_count"}


def report_path(job_id: int, kind: str) -> Path:
    """Return where the whole ``preview`` or ``result`` report of a job is kept."""
    return _dir() / f"report-{job_id}-{kind}.json"


def summarised(report: dict[str, Any]) -> dict[str, Any]:
    """Return the report as a job's row keeps it: lists cut at ``REPORT_LIMIT``, with counts."""
    out = dict(report)
    for key, count in REPORT_COUNTS.items():
        items = report.get(key)
        if items is not None:
            out[key] = items[:REPORT_LIMIT]
            out[count] = len(items)
    return out


def keep_report(job_id: int, kind: str, report: dict[str, Any]) -> dict[str, Any]:
    """Write the whole report to its file when a list is cut; return what the row keeps."""
    summary = summarised(report)
    if any(len(report.get(key) or ()) > REPORT_LIMIT for key in REPORT_COUNTS):
        _write_report(job_id, kind, lambda fh: json.dump(report, fh, ensure_ascii=False))
    return summary


def keep_preview(job_id: int, report: ImportReport) -> dict[str, Any]:
    """Like ``keep_report`` for a dry run, its changes made into dicts one at a time.

    Only the first ``REPORT_LIMIT`` are held; the file is written as they are made.
    """
    summary = summarised(report.as_dict(with_changes=False))
    summary["changes"] = list(islice(report.iter_changes(), REPORT_LIMIT))
    summary["change_count"] = report.change_count
    if any(summary.get(count, 0) > REPORT_LIMIT for count in REPORT_COUNTS.values()):
        _write_report(job_id, "preview", report.write_json)
    return summary


def _write_report(job_id: int, kind: str, write: Callable[[TextIO], None]) -> None:
    path = report_path(job_id, kind)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        write(fh)
    os.replace(tmp, path)


def full_report(job: ImportJob, kind: str) -> dict[str, Any] | None:
    """Return a job's whole ``preview`` or ``result`` report: its row's, or its file's when cut.

    Once the file is gone (the history is tidied after ``KEEP_DAYS``), the
    row's summary is what is left.
    """
    stored: dict[str, Any] | None = getattr(job, kind)
    if not stored or not any(stored.get(c, 0) > REPORT_LIMIT for c in REPORT_COUNTS.values()):
        return stored
    try:
        with report_path(job.pk, kind).open(encoding="utf-8") as fh:
            whole: dict[str, Any] = json.load(fh)
        return whole
    except (OSError, ValueError):
        return stored


def _actor(job: ImportJob) -> Actor:
    """Return who the job acts for now: the token that started it, else the member.

    The worker runs a job after its request has ended: a token revoked (or
    deleted) meanwhile, or a member who left, stops the job.
    """
    from equipage.tokens.models import Scope
    from equipage.tokens.selectors import token_actor

    if job.token is not None:
        # Started over the API: act as that token again (capped at admin, audited as the token).
        return token_actor(job.token, scope=Scope.API_WRITE, origin=Origin(channel="api"))
    if job.actor_label.startswith("token:") and job.actor_member is not None:
        member_label = Actor.for_member(job.actor_member).label
        if job.actor_label != member_label:
            raise DomainError(_("The API token that started this import no longer exists."))
    if job.actor_member is None:
        raise DomainError(_("The member who started this import no longer exists."))
    return Actor.for_member(job.actor_member, Origin(channel="web"))


def _throttled(job_id: int) -> Any:
    last = {"t": 0.0}

    def progress(phase: str, done: int, total: int) -> None:
        import time

        now = time.monotonic()
        if now - last["t"] > 0.3 or done == total:
            last["t"] = now
            write_progress(job_id, phase, done, total)

    return progress


def run_preview(job_id: int) -> None:
    """Compute the dry run of a job and store it for the page."""
    from equipage.imports.actions import roster_import

    job = ImportJob.objects.select_related("organization", "actor_member", "token").get(pk=job_id)
    org = job.organization
    try:
        with translation.override(
            job.actor_member.effective_language() if job.actor_member else org.language
        ):
            report = roster_import(
                actor=_actor(job),
                organization=org,
                data=Path(job.file_path),
                filename=job.file_name,
                mode=job.mode,
                dry_run=True,
                progress=_throttled(job.pk),
            )
        preview = keep_preview(job.pk, report)
        status = ImportStatus.PREVIEWED
    except (DomainError, OSError) as exc:
        preview = {"errors": [{"line": 0, "column": "", "message": str(exc)}], "applied": False}
        status = ImportStatus.FAILED
    ImportJob.objects.filter(pk=job.pk).update(
        preview=preview, status=status, updated_at=clock.now()
    )


def job_confirm(*, actor: Actor, job: ImportJob, confirm_mass_deactivation: bool) -> None:
    """Take the organization's import lock for this job and queue its apply."""
    from equipage.imports.actions import take_lock
    from equipage.imports.tasks import apply_import

    authorize(actor, Cap.MEMBER_IMPORT, job.organization)
    if job.status != ImportStatus.PREVIEWED:
        raise Conflict(_("This preview is no longer valid: upload the file again."))
    if job.preview and job.preview.get("errors"):
        raise Conflict(_("This file has errors: fix them and upload it again."))
    ImportJob.objects.filter(pk=job.pk).update(confirm_mass_deactivation=confirm_mass_deactivation)
    take_lock(job)
    write_progress(job.pk, "queued", 0, 0)
    transaction.on_commit(lambda: apply_import.enqueue(job.pk))


def run_apply(job_id: int) -> None:
    """Apply a confirmed job; the job keeps the lock until it ends, whatever happens."""
    from equipage.imports.actions import roster_import

    job = ImportJob.objects.select_related("organization", "actor_member", "token").get(pk=job_id)
    if job.status != ImportStatus.QUEUED:
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING,
        pid=os.getpid(),
        host=socket.gethostname()[:255],
        updated_at=clock.now(),
    )
    org = job.organization
    result: dict[str, Any]
    try:
        with translation.override(
            job.actor_member.effective_language() if job.actor_member else org.language
        ):
            report = roster_import(
                actor=_actor(job),
                organization=org,
                data=Path(job.file_path),
                filename=job.file_name,
                mode=job.mode,
                confirm_mass_deactivation=job.confirm_mass_deactivation,
                progress=_throttled(job.pk),
                job=job,
            )
        result = keep_report(job.pk, "result", report.as_dict(with_changes=False))
        status = ImportStatus.APPLIED if report.applied else ImportStatus.FAILED
    except Exception as exc:
        result = {"errors": [{"line": 0, "column": "", "message": str(exc)}], "applied": False}
        status = ImportStatus.FAILED
        if not isinstance(exc, DomainError | OSError):
            raise
    finally:
        ImportJob.objects.filter(pk=job.pk).update(
            status=status if "status" in locals() else ImportStatus.FAILED,
            lock=None,
            result=result if "result" in locals() else None,
            finished_at=clock.now(),
            updated_at=clock.now(),
        )
    # The roster leaves the disk once applied (the whole preview with it; the row keeps its summary).
    for path in (Path(job.file_path), report_path(job.pk, "preview")):
        with contextlib.suppress(OSError):
            path.unlink()
