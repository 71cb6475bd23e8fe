"""Lifecycle policies' settings page and a member's own data as JSON (issue #19.5 and #19.6)."""

from __future__ import annotations

import datetime as dt
import re
from typing import cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from equipage.accounts.data_export import access_member_data, member_data_export
from equipage.accounts.models import Member
from equipage.core.errors import DomainError, ValidationFailed
from equipage.organizations.lifecycle import (
    DORMANT_AFTER_DAYS_RANGE,
    DORMANT_WARNING_DAYS_RANGE,
    lifecycle_policy,
    lifecycle_policy_update,
)
from equipage.permissions import Actor, Cap
from equipage.web.tenancy import member_required
from equipage.web.views.common import actor, attach_error, edge_errors, requires


class LifecycleForm(forms.Form):
    """The organization's lifecycle policies: dormant accounts and invitation reminders."""

    dormant_enabled = forms.BooleanField(
        required=False, label=gettext_lazy("Deactivate accounts nobody uses")
    )
    dormant_after_days = forms.IntegerField(
        min_value=DORMANT_AFTER_DAYS_RANGE[0],
        max_value=DORMANT_AFTER_DAYS_RANGE[1],
        label=gettext_lazy("Days without login before deactivation"),
        help_text=gettext_lazy(
            "Counted from the last login, or from the activation for members who never logged "
            "in. The owner is never deactivated."
        ),
    )
    dormant_warning_days = forms.IntegerField(
        min_value=DORMANT_WARNING_DAYS_RANGE[0],
        max_value=DORMANT_WARNING_DAYS_RANGE[1],
        label=gettext_lazy("Warning mail, days before"),
    )
    reminders_enabled = forms.BooleanField(
        required=False, label=gettext_lazy("Remind people who have not accepted their invitation")
    )
    reminder_days = forms.CharField(
        max_length=40,
        label=gettext_lazy("Reminders, days after the invitation"),
        help_text=gettext_lazy(
            "Separated by commas, e.g. 2, 5. The invitation then expires as usual."
        ),
    )


@require_http_methods(["GET", "POST"])
@requires(Cap.ORG_SETTINGS)
def lifecycle_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """Show and save the lifecycle policies (their own page, beside the settings)."""
    org = request.organization  # type: ignore[attr-defined]
    policy = lifecycle_policy(org)
    initial = {
        "dormant_enabled": policy.dormant_enabled,
        "dormant_after_days": policy.dormant_after_days,
        "dormant_warning_days": policy.dormant_warning_days,
        "reminders_enabled": policy.reminders_enabled,
        "reminder_days": ", ".join(str(d) for d in policy.reminder_days or []),
    }
    form = LifecycleForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                lifecycle_policy_update(actor=actor(request), organization=org, **form.cleaned_data)
            except DomainError as exc:
                attach_error(form, exc)
            else:
                messages.success(request, _("Lifecycle policies saved."))
                return redirect(f"/o/{org.slug}/settings/lifecycle/")
        status = 400
    return render(
        request, "web/org/lifecycle.html", {"nav": "settings", "form": form}, status=status
    )


def _download(act: Actor, member: Member) -> HttpResponse:
    stream = member_data_export(actor=act, member=member)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", member.login).strip("-") or str(member.pk)
    org_slug = member.organization.slug  # type: ignore[union-attr]
    response = StreamingHttpResponse(stream, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="equipage-{org_slug}-{name}.json"'
    response["Cache-Control"] = "no-store"
    # Streamed, not built whole: the decorators' HttpResponse type covers it for the views.
    return cast(HttpResponse, response)


@require_GET
@member_required
def my_data(request: HttpRequest, slug: str) -> HttpResponse:
    """Download everything Equipage holds about the signed-in member, as JSON."""
    act = actor(request)
    with edge_errors():
        member = access_member_data(act, act.member.pk)  # type: ignore[union-attr]
    return _download(act, member)


@require_GET
@requires(Cap.MEMBER_VIEW)
def member_data(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    """Download a member's data for them (an administrator who may see that member)."""
    act = actor(request)
    return _download(act, access_member_data(act, member_id))


def parse_end_date(raw: str) -> dt.date | None:
    """Return the membership end date of a form (``YYYY-MM-DD``), None when empty."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            _("Give the end date as a date (YYYY-MM-DD)."), field="ends_on"
        ) from None
