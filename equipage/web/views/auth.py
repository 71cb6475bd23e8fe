"""Login, logout, password change, set-password links and reset requests."""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from equipage.accounts.actions import (
    login_attempt,
    password_change,
    password_reset_enqueue,
    password_set_from_token,
)
from equipage.accounts.actions.passwords import token_member
from equipage.accounts.console_sessions import current_session_id, forget_current
from equipage.accounts.devices import DeviceCookie, issue_device_cookie
from equipage.core import clock
from equipage.core.errors import DomainError, NotFound
from equipage.organizations.models import Organization
from equipage.permissions.actor import origin_of
from equipage.sso.policy import refuse_password_form
from equipage.twofactor.login import hold_login
from equipage.web.forms import ChangePasswordForm, LoginForm, ResetRequestForm, SetPasswordForm
from equipage.web.tenancy import member_required, organization_or_404


def _home(slug: str) -> str:
    return f"/o/{slug}/"


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest, slug: str) -> HttpResponse:
    org = organization_or_404(slug, request)
    next_url = request.POST.get("next") or request.GET.get("next") or _home(org.slug)
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    ) or not next_url.startswith(f"/o/{org.slug}/"):
        next_url = _home(org.slug)
    if request.user.is_authenticated and getattr(request.user, "organization_id", None) == org.pk:
        return redirect(next_url)
    form = LoginForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and not refuse_password_form(form, org)  # single sign-on required (equipage.sso)
    ):
        outcome = login_attempt(
            organization=org,
            identifier=form.cleaned_data["identifier"],
            password=form.cleaned_data["password"],
            origin=origin_of(request),
            cookies=request.COOKIES,
        )
        if outcome.retry_at is not None:
            return login_lockout(request, org, outcome.retry_at)
        member = outcome.member
        if member is not None:
            # Two-factor (#18.5): a member with a second factor is asked for a code first.
            held = hold_login(request, member, next_url)
            if held is not None:
                return _with_device_cookie(held, org, outcome.device_cookie)
            auth.login(request, member, backend="equipage.accounts.backends.MemberBackend")
            target = f"/o/{org.slug}/password/change/" if member.must_change_password else next_url
            return _with_device_cookie(redirect(target), org, outcome.device_cookie)
        form.add_error(None, _("Wrong login or password, or the account is not active."))
    return render(request, "web/login.html", {"form": form, "organization": org, "next": next_url})


def _with_device_cookie(
    response: HttpResponse, org: Organization, cookie: DeviceCookie | None
) -> HttpResponse:
    """Give the browser its device cookie, sent back only to this organization's login."""
    if cookie is not None:
        response.set_cookie(
            cookie.name,
            cookie.value,
            max_age=cookie.max_age,
            path=f"/o/{org.slug}/login",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Strict",
        )
    return response


def login_lockout(request: HttpRequest, org: Organization, retry_at: dt.datetime) -> HttpResponse:
    """Answer 429: when to try again, and the two ways in that no stranger can block."""
    seconds = max(1, math.ceil((retry_at - clock.now()).total_seconds()))
    response = render(
        request,
        "web/lockout.html",
        {"organization": org, "retry_at": retry_at, "seconds": seconds},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    response._has_been_logged = True  # type: ignore[attr-defined]  # the throttle logged it
    return response


@require_http_methods(["POST"])
def logout(request: HttpRequest, slug: str) -> HttpResponse:
    forget_current(
        request.session, request.user.pk
    )  # off the profile's sessions list (issue #18.4)
    auth.logout(request)
    return redirect(f"/o/{slug}/login")


@member_required
@require_http_methods(["GET", "POST"])
def change_password(request: HttpRequest, slug: str) -> HttpResponse:
    member = request.user
    form = ChangePasswordForm(request.POST or None)
    forced = member.must_change_password  # type: ignore[union-attr]
    if request.method == "POST" and form.is_valid():
        try:
            password_change(
                actor=request.actor,  # type: ignore[attr-defined]
                member=member,  # type: ignore[arg-type]
                old_password=form.cleaned_data.get("old_password"),
                new_password=form.cleaned_data["new_password1"],
                keep_session=current_session_id(request.session),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else "new_password1", str(exc))
        else:
            update_session_auth_hash(request, member)  # type: ignore[arg-type]
            messages.success(
                request, _("Your password has been changed. Your other sessions are signed out.")
            )
            return redirect(_home(slug))
    return render(request, "web/change_password.html", {"form": form, "forced": forced})


@require_http_methods(["GET", "POST"])
def set_password(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    org = organization_or_404(slug)
    try:
        _token, member = token_member(org, token)
    except NotFound:
        return render(request, "web/link_invalid.html", {"organization": org}, status=410)
    form = SetPasswordForm(
        request.POST or None, ask_names=not (member.first_name and member.last_name)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            password_set_from_token(
                organization=org,
                raw_token=token,
                new_password=data["new_password1"],
                origin=origin_of(request),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
        except NotFound:
            return render(request, "web/link_invalid.html", {"organization": org}, status=410)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else "new_password1", str(exc))
        else:
            messages.success(request, _("Your password is set. You can log in now."))
            # Whoever holds the mailbox is the account's owner: this browser is now known.
            return _with_device_cookie(
                redirect(f"/o/{org.slug}/login"), org, issue_device_cookie(member)
            )
    return render(
        request, "web/set_password.html", {"form": form, "organization": org, "member": member}
    )


@require_http_methods(["GET", "POST"])
def reset_request(request: HttpRequest, slug: str) -> HttpResponse:
    org = organization_or_404(slug)
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        password_reset_enqueue(
            organization=org, identifier=form.cleaned_data["identifier"], origin=origin_of(request)
        )
        # The same answer, in the same time, whether the account exists or not.
        return render(request, "web/reset_sent.html", {"organization": org})
    return render(request, "web/reset_request.html", {"form": form, "organization": org})
