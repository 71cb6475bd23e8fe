"""The import page (upload → preview → confirm → progress → result) and the export download."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
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
from equipage.imports import jobs
from equipage.imports.forms import ConfirmForm, UploadForm
from equipage.imports.models import ImportJob, ImportStatus
from equipage.permissions import Cap, can
from equipage.web.tenancy import member_required

PREVIEW_ROWS = 500


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    """Fetch a job of this organization that the actor may see (imports are the importers')."""
    if not can(request.actor, Cap.MEMBER_IMPORT, request.organization):  # type: ignore[attr-defined]
        raise Http404("import")
    job = ImportJob.objects.filter(pk=job_id, organization=request.organization).first()  # type: ignore[attr-defined]
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
    from equipage.imports.tasks import preview_import

    org, actor = request.organization, request.actor  # type: ignore[attr-defined]
    if not can(actor, Cap.MEMBER_IMPORT, org):
        return HttpResponseForbidden(_("You do not have permission to do this."))
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
            data=upload.read(),
            filename=upload.name,
            mode=form.cleaned_data["mode"],
        )
        jobs.write_progress(job.pk, "read", 0, 0)
        transaction.on_commit(lambda: preview_import.enqueue(job.pk))
        return redirect(f"/o/{org.slug}/members/import/{job.pk}/")
    recent = ImportJob.objects.filter(organization=org).exclude(
        status__in=[ImportStatus.PREVIEWING, ImportStatus.PREVIEWED]
    )[:10]
    return render(
        request,
        "imports/upload.html",
        {"form": form, "recent": recent, "nav": "import"},
    )


def _job_context(job: ImportJob) -> dict[str, object]:
    report = (
        job.result
        if job.status in (ImportStatus.APPLIED, ImportStatus.FAILED) and job.result
        else job.preview
    )
    report = report or {}
    changes = (job.preview or {}).get("changes", [])
    return {
        "job": job,
        "report": report,
        "errors": report.get("errors", [])[:PREVIEW_ROWS],
        "error_count": len(report.get("errors", [])),
        "changes": changes[:PREVIEW_ROWS],
        "change_count": len(changes),
        "more_changes": max(len(changes) - PREVIEW_ROWS, 0),
        "progress": jobs.read_progress(job.pk),
        "working": job.status
        in (ImportStatus.PREVIEWING, ImportStatus.QUEUED, ImportStatus.RUNNING),
        "confirm_form": ConfirmForm(),
    }


@member_required
@require_GET
def job_page(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    return render(request, "imports/job.html", {**_job_context(job), "nav": "import"})


@member_required
@require_GET
def job_progress(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    """The progress fragment polled by htmx; reloads the page once the work is done."""
    job = _job(request, job_id)
    context = _job_context(job)
    response = render(request, "imports/_progress.html", context)
    if not context["working"]:
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
@require_GET
def job_errors_csv(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    """Download every error of the file as CSV (line, column, message)."""
    job = _job(request, job_id)
    report = (
        job.result
        if job.status in (ImportStatus.APPLIED, ImportStatus.FAILED) and job.result
        else job.preview
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if request.LANGUAGE_CODE == "fr" else ",")
    writer.writerow([_("Line"), _("Column"), _("Message")])
    from equipage.imports.export import neutralise

    for e in (report or {}).get("errors", []):
        writer.writerow([e["line"], neutralise(e["column"]), neutralise(e["message"])])
    response = HttpResponse(
        ("\ufeff" + out.getvalue()).encode(), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


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
