"""Confirming a new e-mail address from its link, and cancelling a pending change (#18.3)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from equipage.accounts.actions.emailchange import (
    email_change_by_token,
    email_change_cancel,
    email_change_confirm,
    pending_email_change,
)
from equipage.accounts.models import Member
from equipage.core.errors import DomainError, NotFound
from equipage.permissions.actor import origin_of
from equipage.web.tenancy import member_required, organization_or_404
from equipage.web.views.common import actor


def saved_message(member: Member, submitted_email: str | None) -> str:
    """Return what to say once contact details are saved: a pending address is not yet saved."""
    pending = pending_email_change(member)
    if (
        submitted_email
        and pending is not None
        and pending.new_email.lower() == submitted_email.strip().lower()
        and member.email.lower() != submitted_email.strip().lower()
    ):
        return _(
            "Your details are saved. A confirmation link was sent to %(email)s: "
            "your address changes once you click it."
        ) % {"email": pending.new_email}
    return _("Your details are saved.")


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """Show the link's new address and a button; only the button's POST applies it.

    A GET never changes anything: mail scanners that open links must not use them up.
    """
    org = organization_or_404(slug)
    try:
        change = email_change_by_token(org, token)
    except NotFound:
        return render(request, "web/email_link_invalid.html", {"organization": org}, status=410)
    error = ""
    if request.method == "POST":
        try:
            email_change_confirm(organization=org, raw_token=token, origin=origin_of(request))
        except NotFound:
            return render(request, "web/email_link_invalid.html", {"organization": org}, status=410)
        except DomainError as exc:
            error = str(exc)
        else:
            messages.success(
                request, _("Your e-mail address is now %(email)s.") % {"email": change.new_email}
            )
            return redirect(f"/o/{org.slug}/")
    return render(
        request,
        "web/email_confirm.html",
        {"organization": org, "new_email": change.new_email, "error": error},
        status=409 if error else 200,
    )


@require_POST
@member_required
def cancel(request: HttpRequest, slug: str) -> HttpResponse:
    """« Annuler » beside the pending address on one's profile."""
    if email_change_cancel(actor=actor(request), member=request.user):  # type: ignore[arg-type]
        messages.success(request, _("The change of your e-mail address is cancelled."))
    return redirect(f"/o/{slug}/me/")
