"""The audit page (owners and admins): the organization's trail, filtered, paged, exported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from equipage.accounts.models import Member
from equipage.accounts.selectors import member_by_identifier
from equipage.audit import selectors
from equipage.audit.actions import audit_log_export
from equipage.audit.events import EventType
from equipage.audit.selectors import AuditFilters, Cursor, iter_audit_events
from equipage.imports.export import DELIMITER, csv_stream, neutralise
from equipage.permissions import Cap
from equipage.web.audit_rows import export_cells, export_header, readable, readable_all
from equipage.web.views.common import actor, requires


class AuditFilterForm(forms.Form):
    """The page's filters, all optional; shape only (who they name is resolved in the view)."""

    member = forms.CharField(label=_("Member concerned"), required=False, max_length=254)
    actor = forms.CharField(label=_("Done by"), required=False, max_length=254)
    type = forms.ChoiceField(label=_("Event"), required=False)
    since = forms.DateField(
        label=pgettext_lazy("first day of a date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=pgettext_lazy("last day of a date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = sorted(((v, str(label)) for v, label in EventType.choices), key=lambda c: c[1])
        self.fields["type"].choices = [("", _("Every event")), *choices]  # type: ignore[attr-defined]


class _NoMatch(Exception):
    """A filter names nobody in this organization: the answer is empty, not everything."""


def _member_of(org: Any, text: str) -> Member:
    text = text.strip()
    found = member_by_identifier(org, text)
    if found is None and text.isdigit():
        found = Member.objects.filter(organization=org, pk=int(text)).first()
    if found is None:
        raise _NoMatch
    return found


def _start_of(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _filters(request: HttpRequest, form: AuditFilterForm) -> AuditFilters:
    """Return the filters the query asks for; raise ``_NoMatch`` if one names nobody here."""
    org = request.organization  # type: ignore[attr-defined]
    member_id = request.GET.get("member_id", "")
    # A link from a profile: another organization's member is not found, not shown empty.
    if member_id and not (
        member_id.isdigit() and Member.objects.filter(organization=org, pk=int(member_id)).exists()
    ):
        raise Http404("member")
    if not form.is_valid():
        return AuditFilters(member_id=int(member_id) if member_id else None)
    data = form.cleaned_data
    until = data["until"] + dt.timedelta(days=1) if data["until"] else None
    return AuditFilters(
        member_id=_member_of(org, data["member"]).pk
        if data["member"]
        else (int(member_id) if member_id else None),
        actor_id=_member_of(org, data["actor"]).pk if data["actor"] else None,
        event_type=data["type"] or "",
        since=_start_of(data["since"]),
        until=_start_of(until),
    )


@require_GET
@requires(Cap.AUDIT_LOG)
def audit_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a page of the trail, newest first, and a link to the next (keyset: any depth, fast)."""
    org = request.organization  # type: ignore[attr-defined]
    form = AuditFilterForm(request.GET or None)
    events: list[Any] = []
    following: Cursor | None = None
    try:
        filters = _filters(request, form)
    except _NoMatch:
        pass
    else:
        after = Cursor.decode(request.GET.get("after", ""))
        rows, following = selectors.audit_page(org.pk, filters, after)
        events = [readable(e) for e in rows]
    query = request.GET.copy()
    query.pop("after", None)
    if following is not None:
        query["after"] = following.encode()
    return render(
        request,
        "web/org/audit.html",
        {
            "nav": "audit",
            "form": form,
            "events": events,
            "next_query": query.urlencode() if following is not None else "",
            "export_query": _without_cursor(request),
            "paged": bool(request.GET.get("after")),
        },
    )


def _without_cursor(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("after", None)
    return query.urlencode()


@require_GET
@requires(Cap.AUDIT_LOG)
def audit_export(request: HttpRequest, slug: str) -> HttpResponse:
    """Download every event the filters keep as CSV, streamed a page at a time."""
    org = request.organization  # type: ignore[attr-defined]
    form = AuditFilterForm(request.GET or None)
    try:
        filters = _filters(request, form)
    except _NoMatch:
        filters = None
    audit_log_export(actor=actor(request), organization=org, filters=request.GET.dict())
    language = translation.get_language() or "fr"
    response = StreamingHttpResponse(
        _csv_chunks(org.pk, filters, language), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{org.slug}-audit.csv"'
    return response  # type: ignore[return-value]


def _csv_chunks(
    organization_id: int, filters: AuditFilters | None, language: str
) -> Iterator[bytes]:
    """Yield the CSV in chunks of about 64 KB; every cell neutralised, in the viewer's language.

    The generator runs after the view returned: it speaks the language the
    request spoke, whatever the thread's language is by then.
    """
    with translation.override(language):
        events = [] if filters is None else iter_audit_events(organization_id, filters)
        yield from csv_stream(
            DELIMITER.get(language[:2], ";"),
            [neutralise(h) for h in export_header()],
            ([neutralise(c) for c in export_cells(event)] for event in readable_all(events)),
        )
