"""The member's home: their profile and the administrators' contact card (seed 004).

Administrators land on the directory instead; everyone reaches their own page at /me/.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from equipage.accounts.actions import member_update
from equipage.accounts.actions.emailchange import pending_email_change
from equipage.accounts.selectors import administrators, roles_of
from equipage.core.errors import DomainError, ValidationFailed
from equipage.permissions import Cap, can
from equipage.web.actions import notice_dismiss
from equipage.web.forms import SelfContactForm, SelfLanguageForm
from equipage.web.tenancy import member_required
from equipage.web.views.common import actor, attach_error, edge_errors
from equipage.web.views.emailchange import saved_message
from equipage.web.views.sessions import sessions_context


@member_required
def home(request: HttpRequest, slug: str) -> HttpResponse:
    if can(actor(request), Cap.MEMBER_VIEW, request.organization):  # type: ignore[attr-defined]
        return redirect(f"/o/{slug}/members")
    return me(request, slug)


def _me(request: HttpRequest, slug: str) -> HttpResponse:
    org = request.organization  # type: ignore[attr-defined]
    user = request.user
    contact_allowed = org.members_can_edit_contact or can(actor(request), Cap.MEMBER_UPDATE, user)
    initial = {"email": user.email, "phone": user.phone, "job_title": user.job_title}  # type: ignore[union-attr]
    contact_form = SelfContactForm(initial=initial)
    language_form = SelfLanguageForm(initial={"language": user.language})  # type: ignore[union-attr]
    status = 200
    if request.method == "POST":
        which = request.POST.get("form")
        form = (
            SelfContactForm(request.POST)
            if which == "contact" and contact_allowed
            else SelfLanguageForm(request.POST)
        )
        if which == "contact" and contact_allowed:
            contact_form = form  # type: ignore[assignment]
        else:
            language_form = form  # type: ignore[assignment]
        if form.is_valid():
            try:
                member_update(actor=actor(request), member=user, **form.cleaned_data)  # type: ignore[arg-type]
            except DomainError as exc:
                attach_error(form, exc)
                status = 400
            else:
                messages.success(request, saved_message(user, form.cleaned_data.get("email")))  # type: ignore[arg-type]
                response = redirect(f"/o/{slug}/me/")
                if which != "contact":
                    # The language cookie would otherwise keep the old choice.
                    response.delete_cookie("django_language")
                return response
        else:
            status = 400
    return render(
        request,
        "web/home.html",
        {
            "nav": "me",
            "admins": administrators(org),
            "roles": roles_of(user),  # type: ignore[arg-type]
            "contact_allowed": contact_allowed,
            "contact_form": contact_form,
            "language_form": language_form,
            "pending_email": pending_email_change(user),  # type: ignore[arg-type]
            **sessions_context(request, user),  # type: ignore[arg-type]
        },
        status=status,
    )


me = require_http_methods(["GET", "POST"])(member_required(_me))


@require_POST
@member_required
def dismiss_notice(request: HttpRequest, slug: str, notice: str) -> HttpResponse:
    """« Masquer » on a console notice: remembered for this member on every node."""
    org = request.organization  # type: ignore[attr-defined]
    with edge_errors():
        try:
            notice_dismiss(actor=actor(request), organization=org, notice=notice)
        except ValidationFailed:
            raise Http404("notice") from None
    back = request.POST.get("next", "")
    if not back.startswith(f"/o/{org.slug}/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts=None
    ):
        back = f"/o/{org.slug}/"
    return redirect(back)
