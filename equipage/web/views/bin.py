"""« Corbeille »: the members deleted but not yet erased, restored one by one or together."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from equipage.accounts.actions import members_restore
from equipage.accounts.bin import bin_page, binned_members
from equipage.core.errors import DomainError
from equipage.permissions import Cap
from equipage.web.views.common import actor, requires


@require_http_methods(["GET", "POST"])
@requires(Cap.MEMBER_DELETE)
def members_bin(request: HttpRequest, slug: str) -> HttpResponse:
    """List the bin; a post restores the chosen members (``ids``), or all of them (``all``)."""
    org = request.organization  # type: ignore[attr-defined]
    act = actor(request)
    if request.method == "POST":
        if request.POST.get("all") == "1":
            ids = list(binned_members(act, org).values_list("pk", flat=True))
        else:
            ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
        try:
            result = members_restore(actor=act, organization=org, members=ids)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            if result.done:
                messages.success(
                    request,
                    ngettext(
                        "%(n)d member restored, with their roles, groups and labels.",
                        "%(n)d members restored, with their roles, groups and labels.",
                        len(result.done),
                    )
                    % {"n": len(result.done)},
                )
            for item, reason in result.skipped:
                messages.error(request, f"{item}: {reason}")
            if not ids:
                messages.error(request, _("Select at least one member."))
        return redirect(f"/o/{org.slug}/members/bin/")
    return render(
        request,
        "web/members/bin.html",
        {"nav": "members", "binned": bin_page(act, org), "bin_days": org.bin_days},
    )
