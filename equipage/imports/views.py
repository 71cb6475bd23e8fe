"""The import page (upload → preview → confirm → progress → result) and the export download."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import chain
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from equipage.core.errors import DomainError, NotFound, PermissionDenied
from equipage.imports import jobs, problems, wording
from equipage.imports.eta import estimate
from equipage.imports.forms import ConfirmForm, UploadForm
from equipage.imports.models import WORKING_STATUSES, ImportJob, ImportStatus
from equipage.organizations.first_password import first_password_notice
from equipage.permissions import Cap, can
from equipage.web.tenancy import member_required

PREVIEW_ROWS = jobs.REPORT_LIMIT  # the page shows what the job's row keeps


def _job(request: HttpRequest, job_id: int, light: bool = False) -> ImportJob:
    """Fetch a job of this organization that the actor may see (imports are the importers').

    ``light``: without its reports (the progress poll's).
    """
    if not can(request.actor, Cap.MEMBER_IMPORT, request.organization):  # type: ignore[attr-defined]
        raise Http404("import")
    jobs_of_org = ImportJob.objects.filter(pk=job_id, organization=request.organization)  # type: ignore[attr-defined]
    if light:
        jobs_of_org = jobs_of_org.defer("preview", "result")
    job = jobs_of_org.first()
    if job is None:
        raise Http404("import")
    return job


def _forbidden(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if isinstance(exc, NotFound):
        raise Http404("import")
    return HttpResponseForbidden(str(exc))


@member_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest, slug: str) -> HttpResponse:
    from equipage.imports.actions import ensure_import_enabled

    org, actor = request.organization, request.actor  # type: ignore[attr-defined]
    if not can(actor, Cap.MEMBER_IMPORT, org):
        raise HttpForbidden("member.import")  # the console's 403 page
    try:
        ensure_import_enabled(org)
    except PermissionDenied as exc:
        return render(request, "imports/disabled.html", {"message": str(exc)}, status=403)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = jobs.job_create(
            actor=actor,
            organization=org,
            data=upload,  # read a megabyte at a time into the database
            filename=upload.name,
            mode=form.cleaned_data["mode"],
        )
        return redirect(f"/o/{org.slug}/members/import/{job.pk}/")
    recent = ImportJob.objects.filter(organization=org).exclude(
        status__in=[ImportStatus.PREVIEWING, ImportStatus.PREVIEWED]
    )[:10]
    return render(
        request,
        "imports/upload.html",
        {
            "form": form,
            "recent": recent,
            "nav": "import",
            "first_password_notice": first_password_notice(org),
            "may_change_policy": can(actor, Cap.ORG_SETTINGS, org),
        },
    )


def _job_context(request: HttpRequest, job: ImportJob) -> dict[str, object]:
    """The page's context: the counts and one page of each list (the first, or the asked one).

    ``?changes=<cursor>`` (and ``errors=``) show the page from that cursor:
    the row keeps the first page, the job's report rows the others.
    """
    report = getattr(job, jobs.report_kind(job)) or {}
    preview = job.preview or {}
    changes = _page(request, job, "changes", preview)
    errors = _page(request, job, "errors", report)
    language = request.LANGUAGE_CODE
    changes["items"] = wording.worded_changes(
        changes["items"], language, wording.custom_names(job.organization)
    )
    errors["items"] = [problems.worded(e) for e in errors["items"]]
    return {
        "job": job,
        "report": report,
        "errors": errors["items"],
        "errors_page": errors,
        "error_count": errors["total"],
        "changes": changes["items"],
        "changes_page": changes,
        "change_count": changes["total"],
        "more_changes": max(changes["total"] - changes["end"], 0),
        "skipped_count": report.get("skipped_count", len(report.get("skipped", []))),
        "progress": estimate(jobs.read_progress(job), request.GET),
        "working": _working(job),
        "confirm_form": ConfirmForm(),
    }


def _page(
    request: HttpRequest, job: ImportJob, name: str, summary: dict[str, Any]
) -> dict[str, Any]:
    """Return a page of a list for the page: its lines, total, where it starts and ends."""
    from equipage.imports import storage

    cursor = request.GET.get(name) or None
    if cursor is None:  # the first page is the row's
        items = list(summary.get(name) or ())[:PREVIEW_ROWS]
        total = int(summary.get(jobs.REPORT_COUNTS[name], len(items)))
        found: dict[str, Any] = {
            "items": items,
            "total": total,
            "next_cursor": storage.make_cursor(len(items)) if len(items) < total else None,
        }
        start = 0
    else:
        try:
            start = storage.read_cursor(cursor)
        except DomainError:
            raise Http404("page") from None
        found = jobs.page(job, name, cursor, PREVIEW_ROWS)
    return {**found, "start": start + 1, "end": start + len(found["items"])}


def _working(job: ImportJob) -> bool:
    return job.status in WORKING_STATUSES


@member_required
@require_GET
def job_page(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    notice = first_password_notice(request.organization)  # type: ignore[attr-defined]
    return render(
        request,
        "imports/job.html",
        {**_job_context(request, job), "nav": "import", "first_password_notice": notice},
    )


@member_required
@require_GET
def job_progress(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    """The progress fragment polled by htmx; reloads the page once the work is done."""
    # Polled every second while the job works: the reports are not read (nor needed).
    job = _job(request, job_id, light=True)
    working = _working(job)
    progress = estimate(jobs.read_progress(job), request.GET)
    context = {"job": job, "progress": progress, "working": working}
    response = render(request, "imports/_progress.html", context)
    if not working:
        response["HX-Refresh"] = "true"
    return response


@member_required
@require_POST
def job_confirm(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    form = ConfirmForm(request.POST)
    form.is_valid()
    needs = bool((job.preview or {}).get("confirmation_required"))
    confirmed = bool(form.cleaned_data.get("confirm_mass_deactivation"))
    if needs and not confirmed:
        messages.error(
            request, _("Tick the box to confirm the mass deactivation, or change the file.")
        )
        return redirect(f"/o/{slug}/members/import/{job.pk}/")
    try:
        with transaction.atomic():
            jobs.job_confirm(
                actor=request.actor,  # type: ignore[attr-defined]
                job=job,
                confirm_mass_deactivation=confirmed,
            )
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect(f"/o/{slug}/members/import/{job.pk}/")


@member_required
@require_POST
def job_cancel(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    """Cancel a preview: its file and report leave the database at once."""
    job = _job(request, job_id, light=True)
    try:
        jobs.job_cancel(actor=request.actor, job=job)  # type: ignore[attr-defined]
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect(f"/o/{slug}/members/import/{job.pk}/")
    return redirect(f"/o/{slug}/members/import/")


@member_required
@require_GET
def job_errors_csv(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    """Download every error of the file as CSV (line, column, message), streamed."""
    from equipage.imports.export import neutralise

    job = _job(request, job_id)
    header = [_("Line"), _("Column"), _("Message"), _("Person")]

    def rows() -> Iterator[list[object]]:
        for e in jobs.every_line(job, "errors"):
            message, who = problems.render(e), e.get("who", "")
            yield [e["line"], neutralise(e["column"]), neutralise(message), neutralise(who)]

    return _csv_download(request, f"import-{job.pk}-errors.csv", header, rows())


def _csv_download(
    request: HttpRequest, filename: str, header: list[str], rows: Iterator[list[object]]
) -> HttpResponse:
    """Stream a CSV file (a BOM, the header, then the rows a thousand at a time)."""
    delimiter = ";" if request.LANGUAGE_CODE == "fr" else ","

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(header)
        for n, row in enumerate(rows, start=1):
            writer.writerow(row)
            if n % 1000 == 0:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    response = StreamingHttpResponse(
        chain(["\ufeff"], lines()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response  # type: ignore[return-value]


@member_required
@require_GET
def job_changes_csv(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    """Download every change of the preview: a line per field, with before and after.

    The page shows the first ones only; this is the whole list, streamed.
    """
    from equipage.imports.export import neutralise

    job = _job(request, job_id)
    words = {"added": _("added"), "updated": _("updated"), "deactivated": _("deactivated")}
    header = [_("Line"), _("Login"), _("Change"), _("Column"), _("Before"), _("After")]
    language, names = request.LANGUAGE_CODE, wording.custom_names(job.organization)

    def rows() -> Iterator[list[object]]:
        for c in jobs.every_line(job, "changes"):
            kind = words.get(c["change"], c["change"])
            fields = wording.worded_fields(c.get("fields"), language, names)
            for f in fields or [{"column": "", "before": "", "after": ""}]:
                cells = [
                    c.get("line") or "",
                    c["login"],
                    kind,
                    f["column"],
                    f["before"],
                    f["after"],
                ]
                yield [neutralise(str(v)) for v in cells]

    return _csv_download(request, f"import-{job.pk}-changes.csv", header, rows())


@member_required
@require_GET
def export_download(request: HttpRequest, slug: str) -> HttpResponse:
    from equipage.imports.actions import roster_export

    org = request.organization  # type: ignore[attr-defined]
    fmt = request.GET.get("format", "csv")
    lang = request.GET.get("lang", "") or org.language
    try:
        chunks = roster_export(actor=request.actor, organization=org, fmt=fmt, language=lang)  # type: ignore[attr-defined]
    except NotFound:
        raise Http404("export") from None
    except DomainError as exc:
        return HttpResponseForbidden(str(exc))
    content_type = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if fmt == "xlsx"
        else "text/csv; charset=utf-8"
    )
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{org.slug}-members.{fmt}"'
    # Streamed (bounded memory); member_required is typed for plain HttpResponse views.
    return response  # type: ignore[return-value]
