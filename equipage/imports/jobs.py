"""Running an import job in the background: its file, its progress, its preview and apply.

Everything a job needs is in the database (``storage``), so the node that
took the upload, the worker that previews it, the one that applies it and
the page that watches it may all be different machines. A job that ends
badly says so twice: on its row (``failed``, with a reason fit for its
reader, never a server's path) and to the task framework (the task raises
``ImportFailed``), and logs one line with its outcome.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
from itertools import islice
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from equipage.core import clock
from equipage.core.errors import Conflict, DomainError
from equipage.imports import storage
from equipage.imports.models import WORKING_STATUSES, ImportJob, ImportMode, ImportStatus
from equipage.imports.pulse import (
    Progress,
    Pulse,
    forget_side,
    publish,
    side_progress,
    vanished_seconds,
)
from equipage.organizations.models import Organization
from equipage.permissions import Actor, Cap, Origin, authorize

if TYPE_CHECKING:
    from equipage.imports.actions import ImportReport

log = logging.getLogger("equipage.imports")

# What a job's row keeps of a report: every count, and the first lines of each list (the
# first page the API and the page show). Every line is in the job's ``ImportChunk`` rows.
REPORT_LIMIT = 100
REPORT_COUNTS = {
    "errors": "error_count",
    "changes": "change_count",
    "skipped": "skipped_count",
    "warnings": "warning_count",
}


class ImportFailed(Exception):
    """Raised by a task whose job failed, once its row says why: the task is failed too."""


def new_job(
    actor: Actor,
    organization: Organization,
    filename: str,
    mode: str,
    now: dt.datetime,
    **state: Any,
) -> ImportJob:
    """Return an unsaved job of ``actor``'s for ``filename`` (its base name), in ``state``.

    The one way a job row is made: by the preview (``job_create``) and by a
    direct import taking the lock (``actions._acquire_lock``).
    """
    return ImportJob(
        organization=organization,
        actor_member=actor.member,
        actor_label=actor.label[:200],
        token=actor.token if actor.kind == "token" else None,
        file_name=os.path.basename(filename)[:255],
        mode=mode,
        created_at=now,
        updated_at=now,
        **state,
    )


def job_create(
    *, actor: Actor, organization: Organization, data: Any, filename: str, mode: str
) -> ImportJob:
    """Store the uploaded file in the database, create its job and queue its preview.

    ``data`` is the file's bytes, a binary file or an ``UploadedFile``, read a
    megabyte at a time.
    """
    from equipage.imports.actions import ensure_import_enabled
    from equipage.imports.tasks import preview_import

    authorize(actor, Cap.MEMBER_IMPORT, organization)
    ensure_import_enabled(organization)
    if mode not in ImportMode.values:
        mode = ImportMode.SYNC
    now = clock.now()
    with transaction.atomic():
        job = new_job(
            actor,
            organization,
            filename,
            mode,
            now,
            status=ImportStatus.PREVIEWING,
            progress_phase="read",
        )
        job.save(force_insert=True)
        job.file_size = storage.store_upload(job, data)
        ImportJob.objects.filter(pk=job.pk).update(file_size=job.file_size)
        transaction.on_commit(lambda: preview_import.enqueue(job.pk))
    return job


def write_progress(job_id: int, phase: str, done: int, total: int) -> None:
    """Publish a job's progress on its row (the running job's ``Pulse`` does it every second)."""
    publish(job_id, phase, done, total, beat=False)


def read_progress(job: ImportJob) -> dict[str, Any]:
    """Return a job's progress as its row has it (any node's page or API).

    On SQLite, an apply's progress is newer beside the database while its
    transaction holds the row's writes back (``pulse.side_progress``).
    """
    progress = {
        "phase": job.progress_phase,
        "done": job.progress_done,
        "total": job.progress_total,
    }
    if job.status in WORKING_STATUSES:
        side = side_progress(job.pk)
        beat = job.heartbeat_at.timestamp() if job.heartbeat_at else 0.0
        if side is not None and float(side.get("at", 0)) > beat:
            progress = {key: side.get(key, progress[key]) for key in progress}
    return progress


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
    """Store each list of the report in the job's rows; return what the job's row keeps."""
    for name in REPORT_COUNTS:
        if report.get(name) is not None:
            storage.store_list(job_id, kind, name, report[name])
    return summarised(report)


def keep_preview(
    job_id: int, report: ImportReport, progress: Progress | None = None
) -> dict[str, Any]:
    """Like ``keep_report`` for a dry run, its changes made into dicts as they are stored.

    ``progress`` hears ("report", lines stored, changes): a million changes
    take a while to store, and the job's heartbeat must go on meanwhile.
    """
    summary = keep_report(job_id, "preview", report.as_dict(with_changes=False))
    summary["changes"] = list(islice(report.iter_changes(), REPORT_LIMIT))
    total = report.change_count

    def stored(done: int) -> None:
        if progress is not None:
            progress("report", done, total)

    summary["change_count"] = storage.store_list(
        job_id, "preview", "changes", report.iter_changes(), stored
    )
    return summary


def report_kind(job: ImportJob) -> str:
    """Return which report a job's page and API show: the result once it ran, else the preview."""
    finished = job.status in (ImportStatus.APPLIED, ImportStatus.FAILED) and bool(job.result)
    return "result" if finished else "preview"


def page(job: ImportJob, name: str, cursor: str | None, limit: int) -> dict[str, Any]:
    """Return a page of a list of the job's report: its lines, its total, the next cursor.

    The changes are the preview's; the other lists are of the report the job
    shows (``report_kind``). Reads one or two rows whatever the report's size.
    """
    kind = "preview" if name == "changes" else report_kind(job)
    start = storage.read_cursor(cursor)
    limit = max(1, min(limit, storage.PAGE_LIMIT))
    summary: dict[str, Any] = getattr(job, kind) or {}
    total = int(summary.get(REPORT_COUNTS[name], len(summary.get(name) or ())))
    kept = total
    if storage.has_list(job.pk, kind, name):
        items = storage.read_page(job.pk, kind, name, start, limit)
    else:  # the lines are no longer kept (an applied preview): what the row has
        shown = list(summary.get(name) or ())
        items, kept = shown[start : start + limit], len(shown)
    end = start + len(items)
    return {
        "items": items,
        "total": total,
        "next_cursor": storage.make_cursor(end) if items and end < kept else None,
    }


def every_line(job: ImportJob, name: str) -> Any:
    """Yield every line of a list of the job's report (for the downloads), streamed."""
    kind = "preview" if name == "changes" else report_kind(job)
    if storage.has_list(job.pk, kind, name):
        return storage.iter_list(job.pk, kind, name)
    return iter(((getattr(job, kind) or {}).get(name)) or ())


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


def _language(job: ImportJob) -> str:
    return job.actor_member.effective_language() if job.actor_member else job.organization.language


def _reason(exc: BaseException, job: ImportJob) -> str:
    """Return what the job's reader is told of a failure: never a server's path or trace."""
    if isinstance(exc, DomainError):
        return str(exc)
    if isinstance(exc, storage.UploadMissing):
        return _("The uploaded file is no longer kept: upload it again.")
    return _(
        "The import stopped on an error of the server (import #%(id)d); nothing was changed. "
        "Try again later, or tell the platform operator."
    ) % {"id": job.pk}


def _interrupted(status: str) -> str:
    """Return what the reader of a job stopped with its worker is told (its language active)."""
    if status == ImportStatus.PREVIEWING:
        return _(
            "The preview was interrupted: the server preparing it stopped. "
            "Upload the file again to start over."
        )
    return _(
        "The import was interrupted: the server applying it stopped. Nothing was "
        "changed. Upload the file again to start it over."
    )


def _failure(message: str) -> dict[str, Any]:
    return {
        "errors": [{"line": 0, "column": "", "message": message}],
        "error_count": 1,
        "applied": False,
    }


def _since(started: float) -> float:
    return time.monotonic() - started


def _claim(job: ImportJob, before: str, after: str) -> bool:
    """Take the job for this process (``before`` → ``after``); False if another has it."""
    return bool(
        ImportJob.objects.filter(pk=job.pk, status=before).update(
            status=after,
            pid=os.getpid(),
            host=socket.gethostname()[:255],
            heartbeat_at=clock.now(),
            updated_at=clock.now(),
        )
    )


def _load(job_id: int) -> ImportJob:
    return ImportJob.objects.select_related("organization", "actor_member", "token").get(pk=job_id)


def run_preview(job_id: int) -> None:
    """Compute the dry run of a job and store it for the page; raise ``ImportFailed`` if it fails."""
    from equipage.imports.actions import roster_import

    started = time.monotonic()
    job = _load(job_id)
    if not _claim(job, ImportStatus.PREVIEWING, ImportStatus.PREVIEWING):
        return  # cancelled (or tidied) before its turn came
    org = job.organization
    with translation.override(_language(job)):
        try:
            with Pulse(job.pk) as pulse:
                with storage.spooled_upload(job) as path:
                    report = roster_import(
                        actor=_actor(job),
                        organization=org,
                        data=path,
                        filename=job.file_name,
                        mode=job.mode,
                        dry_run=True,
                        progress=pulse,
                    )
                # Each row of the report is written on its own (a million lines in one
                # transaction would hold SQLite's write lock for half a minute); the page
                # shows none of them until the job's row says "previewed".
                preview = keep_preview(job.pk, report, pulse)
            if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEWING).update(
                preview=preview,
                status=ImportStatus.PREVIEWED,
                progress_phase="",
                updated_at=clock.now(),
            ):
                storage.remove_parts(job.pk, "preview:")  # cancelled meanwhile: keep none of it
                return
            if report.errors:  # it cannot be applied: its file is of no more use
                storage.remove_parts(job.pk, storage.UPLOAD)
            forget_side(job.pk)
        except Exception as exc:
            reason = _reason(exc, job)
            if not isinstance(exc, DomainError | storage.UploadMissing):
                log.exception("import %s: the preview failed", job.pk)
            ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEWING).update(
                preview=_failure(reason),
                status=ImportStatus.FAILED,
                finished_at=clock.now(),
                updated_at=clock.now(),
            )
            storage.remove_parts(job.pk, storage.UPLOAD, "preview:")
            forget_side(job.pk)
            log_outcome(job, "preview failed", _failure(reason), _since(started), reason)
            raise ImportFailed(f"import {job.pk}: {reason}") from None
    log_outcome(job, "previewed", preview, _since(started))


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


def job_cancel(*, actor: Actor, job: ImportJob) -> None:
    """Cancel a job not yet confirmed, and delete its file and preview at once."""
    authorize(actor, Cap.MEMBER_IMPORT, job.organization)
    now = clock.now()
    cancelled = ImportJob.objects.filter(
        pk=job.pk, status__in=(ImportStatus.PREVIEWING, ImportStatus.PREVIEWED)
    ).update(status=ImportStatus.CANCELLED, progress_phase="", finished_at=now, updated_at=now)
    if not cancelled:
        raise Conflict(_("This import was already confirmed or has expired."))
    storage.remove_parts(job.pk, storage.UPLOAD, "preview:")
    forget_side(job.pk)
    job.status = ImportStatus.CANCELLED


def run_apply(job_id: int) -> None:
    """Apply a confirmed job; the job keeps the lock until it ends, whatever happens.

    Raises ``ImportFailed`` when the job ends without being applied.
    """
    from equipage.imports.actions import roster_import

    started = time.monotonic()
    job = _load(job_id)
    if job.status != ImportStatus.QUEUED or not _claim(
        job, ImportStatus.QUEUED, ImportStatus.RUNNING
    ):
        return
    org = job.organization
    result: dict[str, Any] = {}
    status, reason = ImportStatus.FAILED, ""
    with translation.override(_language(job)):
        try:
            with Pulse(job.pk) as pulse:
                with storage.spooled_upload(job) as path:
                    report = roster_import(
                        actor=_actor(job),
                        organization=org,
                        data=path,
                        filename=job.file_name,
                        mode=job.mode,
                        confirm_mass_deactivation=job.confirm_mass_deactivation,
                        progress=pulse,
                        job=job,
                    )
                result = keep_report(job.pk, "result", report.as_dict(with_changes=False))
            if report.applied:
                status = ImportStatus.APPLIED
            else:
                reason = (report.errors or [{"message": ""}])[0]["message"]
        except Exception as exc:
            reason = _reason(exc, job)
            result = _failure(reason)
            if not isinstance(exc, DomainError | storage.UploadMissing):
                log.exception("import %s: the apply failed", job.pk)
        finally:
            if status != ImportStatus.APPLIED and not reason:  # stopped by a signal
                reason = _interrupted(ImportStatus.RUNNING)
                result = _failure(reason)
            _finish(job.pk, status, result)
    log_outcome(job, status, result, _since(started), reason)
    if status != ImportStatus.APPLIED:
        raise ImportFailed(f"import {job.pk}: {reason}")


def _finish(job_id: int, status: str, result: dict[str, Any] | None) -> None:
    """End a job: its status, its result, its lock released; its file and preview let go.

    The row keeps the preview's summary; the uploaded file leaves the database. An
    applied job keeps its list of changes: its result page shows them and their CSV
    (they go with the job when housekeeping deletes it).
    """
    now = clock.now()
    ImportJob.objects.filter(pk=job_id).update(
        status=status,
        lock=None,
        result=result,
        progress_phase="",
        finished_at=now,
        updated_at=now,
    )
    if status == ImportStatus.APPLIED:
        storage.remove_parts(job_id, storage.UPLOAD, *_PREVIEW_LISTS_BUT_CHANGES)
    else:
        storage.remove_parts(job_id, storage.UPLOAD, "preview:")
    forget_side(job_id)


_PREVIEW_LISTS_BUT_CHANGES = tuple(f"preview:{name}" for name in REPORT_COUNTS if name != "changes")


def log_outcome(
    job: ImportJob, outcome: str, report: dict[str, Any] | None, seconds: float, reason: str = ""
) -> None:
    """Log one line for the end of a job's preview or apply (organization, counts, duration)."""
    report = report or {}
    counts = {key: int(report.get(key) or 0) for key in ("added", "updated", "deactivated")}
    level = logging.INFO if outcome in ("previewed", ImportStatus.APPLIED) else logging.WARNING
    log.log(
        level,
        "import %s: organization=%s job=%s mode=%s added=%d updated=%d deactivated=%d"
        " unchanged=%d errors=%d rows=%d duration=%.1fs%s",
        outcome,
        job.organization.slug,
        job.pk,
        job.mode,
        counts["added"],
        counts["updated"],
        counts["deactivated"],
        int(report.get("unchanged") or 0),
        int(report.get("error_count", len(report.get("errors") or ()))),
        int(report.get("rows") or 0),
        seconds,
        f" reason={reason!r}" if reason else "",
        extra={
            "organization": job.organization.slug,
            "import_job": job.pk,
            "import_outcome": str(outcome),
        },
    )
    from equipage.ops.metrics import observe_import

    observe_import(int(report.get("rows") or 0), seconds, str(outcome))


# --- jobs whose worker vanished ------------------------------------------------------


def vanished(job: ImportJob) -> bool:
    """Tell whether a working job lost its worker: its heartbeat stopped ``vanished_seconds()``.

    On SQLite (one machine; an apply's transaction holds its heartbeat back) a
    job whose process still runs here is spared. On PostgreSQL the heartbeat
    goes through any transaction: a silent job is gone, whatever a process id
    says (another machine may bear the same name).
    """
    if job.status not in WORKING_STATUSES or job.heartbeat_at is None:
        return False
    if (clock.now() - job.heartbeat_at).total_seconds() < vanished_seconds():
        return False
    if connection.vendor == "sqlite" and job.pid and job.host == socket.gethostname():
        try:
            os.kill(job.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return True


def end_interrupted(job: ImportJob) -> bool:
    """End a job whose worker vanished, and free its organization; True if this call did.

    An apply is one transaction: a worker killed in it changed nothing, and
    the job fails with a word to its reader. A worker killed just after its
    commit applied the file: the audit trail says so, and the job says applied.
    """
    from equipage.audit.events import EventType
    from equipage.audit.models import AuditEvent

    applied = AuditEvent.objects.filter(
        organization_id=job.organization_id,
        event_type=EventType.IMPORT_APPLIED,
        target_type=ImportJob._meta.model_name,
        target_id=str(job.pk),
    ).first()
    if applied is not None:
        status, result, reason = (
            ImportStatus.APPLIED,
            {**(applied.after or {}), "applied": True},
            "",
        )
    else:
        with translation.override(_language(job)):
            reason = _interrupted(job.status)
        status, result = ImportStatus.FAILED, _failure(reason)
    now = clock.now()
    report_field = "result" if job.status != ImportStatus.PREVIEWING else "preview"
    # Conditional on the heartbeat read: a worker that just beat again keeps its job.
    ended = ImportJob.objects.filter(
        pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at
    ).update(
        status=status,
        lock=None,
        progress_phase="",
        finished_at=now,
        updated_at=now,
        **{report_field: result},
    )
    if not ended:
        return False
    storage.remove_parts(job.pk, storage.UPLOAD, "preview:")
    forget_side(job.pk)
    seconds = (now - job.updated_at).total_seconds()  # since its worker took it
    log_outcome(job, "interrupted" if applied is None else "applied", result, seconds, reason)
    return True
