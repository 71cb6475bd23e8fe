"""Console pages of two-factor authentication: the login's code page, the member's own
set-up page, an admin's reset, the organization's requirement."""

from __future__ import annotations

import math

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from equipage.core import clock
from equipage.core.errors import DomainError
from equipage.permissions import Cap, access_member_by_id
from equipage.permissions.actor import origin_of
from equipage.twofactor import login as pending
from equipage.twofactor import totp
from equipage.twofactor.actions import (
    CodeRefused,
    recovery_codes_renew,
    totp_enrolment_confirm,
    totp_enrolment_start,
    twofactor_policy_update,
    twofactor_reset,
    twofactor_turn_off,
)
from equipage.twofactor.checking import check_code
from equipage.twofactor.forms import CodeForm, PolicyForm
from equipage.twofactor.selectors import standing_of
from equipage.web.tenancy import member_required, organization_or_404
from equipage.web.views.common import actor, attach_error, edge_errors, requires


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest, slug: str) -> HttpResponse:
    """Ask the code of a session whose password was right; log it in when the code is."""
    org = organization_or_404(slug)
    member = pending.pending_member(request, org.pk)
    if member is None:
        pending.abandon(request)
        messages.error(request, _("Log in again: the code was not given in time."))
        return redirect(f"/o/{org.slug}/login")
    form = CodeForm(request.POST or None)
    status, retry_after = 200, 0
    if request.method == "POST" and form.is_valid():
        check = check_code(member=member, code=form.cleaned_data["code"], origin=origin_of(request))
        if check.ok:
            target = pending.complete_login(request, member)
            if check.by_recovery:
                messages.warning(
                    request,
                    _("You logged in with a recovery code; it will not work again."),
                )
            return redirect(target)
        form.add_error("code", CodeRefused(check).message)
        status = 400
        if check.retry_at is not None:
            status = 429
            retry_after = max(1, math.ceil((check.retry_at - clock.now()).total_seconds()))
    response = render(
        request, "twofactor/login_code.html", {"form": form, "organization": org}, status=status
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@never_cache
@member_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest, slug: str) -> HttpResponse:
    """The member's own second factor: set it up, renew recovery codes, or turn it off."""
    act = actor(request)
    member = act.member
    assert member is not None
    op = request.POST.get("op", "")
    form = CodeForm(request.POST if request.method == "POST" else None)
    codes: list[str] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            if op == "confirm":
                codes = totp_enrolment_confirm(actor=act, member=member, code=code)
                pending.mark_verified(request)
            elif op == "renew":
                codes = recovery_codes_renew(actor=act, member=member, code=code)
            elif op == "off":
                twofactor_turn_off(actor=act, member=member, code=code)
                messages.success(request, _("Two-factor authentication is off."))
                return redirect(f"/o/{slug}/me/two-factor/")
        except DomainError as exc:
            attach_error(form, exc)
            status = 429 if isinstance(exc, CodeRefused) and exc.check.retry_at else 400
    elif request.method == "POST":
        status = 400
    standing = standing_of(member)
    context = {"form": form, "codes": codes, "standing": standing, "op": op}
    if not standing.enrolled:
        with edge_errors():
            secret = totp_enrolment_start(actor=act, member=member)
        uri = totp.provisioning_uri(
            secret,
            account=member.login,
            issuer=f"Equipage {request.organization.name}",  # type: ignore[attr-defined]
        )
        context |= {"secret": secret, "qr": totp.qr_svg(uri)}
    return render(request, "twofactor/setup.html", context, status=status)


@member_required
@require_http_methods(["POST"])
def reset(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    """Remove a member's second factor for them (a lost phone), audited."""
    act = actor(request)
    with edge_errors():
        target = access_member_by_id(act, member_id, Cap.MEMBER_VIEW)
        try:
            twofactor_reset(actor=act, member=target)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Two-factor authentication of %(name)s is reset: they log in with their"
                  " password alone and can set it up again.") % {"name": target.full_name},
            )  # fmt: skip
    return redirect(f"/o/{slug}/members/{target.pk}/")


@requires(Cap.ORG_SETTINGS)
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest, slug: str) -> HttpResponse:
    """The settings page's two-factor section, saved on its own."""
    org = request.organization  # type: ignore[attr-defined]
    form = PolicyForm(
        request.POST if request.method == "POST" else None,
        initial={"requirement": org.twofactor_requirement, "grace_days": org.twofactor_grace_days},
    )
    if request.method == "POST" and form.is_valid():
        try:
            twofactor_policy_update(actor=actor(request), organization=org, **form.cleaned_data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, _("Two-factor settings saved."))
            return redirect(f"/o/{slug}/settings/#two-factor")
    status = 400 if request.method == "POST" else 200
    return render(request, "twofactor/policy_page.html", {"form": form}, status=status)
