"""The owner's « Sièges » page: seats used and paid, their change and its history (#18.2)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from equipage.core.errors import DomainError
from equipage.organizations.actions import organization_update
from equipage.organizations.selectors import seat_history, seat_usage
from equipage.permissions import Cap
from equipage.web.access_forms import SeatsForm
from equipage.web.views.common import actor, attach_error, requires


@require_http_methods(["GET", "POST"])
@requires(Cap.ORG_BILLING)
def seats_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Show used / paid seats and their history; the owner changes the paid count here.

    Only the owner holds ``ORG_BILLING`` (SPEC §2): anyone else gets 403 on the
    page and on its form. Lowering below what is in use is refused by the action,
    with the numbers.
    """
    org = request.organization  # type: ignore[attr-defined]
    initial = {"seats": org.seats, "unlimited": org.seats is None}
    form = SeatsForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                org = organization_update(
                    actor=actor(request), organization=org, seats=form.wanted()
                )
            except DomainError as exc:
                attach_error(form, exc)
            else:
                paid = _("unlimited") if org.seats is None else str(org.seats)
                messages.success(request, _("Paid seats saved: %(paid)s.") % {"paid": paid})
                return redirect(f"/o/{org.slug}/seats/")
        status = 400
    return render(
        request,
        "web/org/seats.html",
        {
            "nav": "settings",
            "form": form,
            "seats": seat_usage(org),
            "history": seat_history(org),
        },
        status=status,
    )
