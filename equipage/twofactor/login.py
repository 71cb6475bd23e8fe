"""The login's second step: a session whose password was right and whose code is awaited.

Such a session is *not* logged in: Django's ``auth.login`` runs only once the
code is accepted, so every page, the API and anything that forgets to look
see an anonymous visitor. The session holds the member's id and their
password hash's fingerprint (a password changed meanwhile voids it) for
``PENDING_LIFETIME``; ``TwoFactorMiddleware`` sends it to the code page.

An SSO login does not come here: the identity provider is the judge of its
own factors. It calls ``vouch_external`` after ``auth.login``, and the forced
enrolment then leaves that session alone (README, "Two-factor authentication").
"""

from __future__ import annotations

import datetime as dt

from django.contrib import auth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.crypto import constant_time_compare

from equipage.accounts.models import Member
from equipage.core import clock
from equipage.twofactor.selectors import is_enrolled

SESSION_KEY = "_equipage_2fa_pending"
EXTERNAL_KEY = "_equipage_2fa_external"
# Set on a session that gave a code (at login, or by enrolling): the requirement is met.
VERIFIED_KEY = "_equipage_2fa_verified"
PENDING_LIFETIME = dt.timedelta(minutes=10)
BACKEND = "equipage.accounts.backends.MemberBackend"


def code_page(slug: str) -> str:
    return f"/o/{slug}/login/code"


def _slug(member: Member) -> str:
    return member.organization.slug if member.organization is not None else ""


def hold_login(request: HttpRequest, member: Member, next_url: str) -> HttpResponse | None:
    """Called by the login view after a right password: when ``member`` has a second factor,
    keep the session pending and return the redirect to the code page; else None (log in)."""
    if not is_enrolled(member):
        return None
    if request.user.is_authenticated:
        auth.logout(request)  # whoever this browser was logged in as before
    request.session.cycle_key()  # a new session id for the new state: no fixation
    request.session[SESSION_KEY] = {
        "member": member.pk,
        "org": member.organization_id,
        "hash": member.get_session_auth_hash(),
        "next": next_url,
        "since": clock.now().isoformat(),
    }
    return redirect(code_page(_slug(member)))


def pending_member(request: HttpRequest, organization_id: int | None = None) -> Member | None:
    """Return the member whose code this session awaits (still valid), or None."""
    held = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if not isinstance(held, dict):
        return None
    since = dt.datetime.fromisoformat(held.get("since", "1970-01-01T00:00:00+00:00"))
    if clock.now() - since > PENDING_LIFETIME:
        return None
    if organization_id is not None and held.get("org") != organization_id:
        return None
    member = (
        Member.objects.select_related("organization").filter(pk=held.get("member") or 0).first()
    )
    if (
        member is None
        or not member.is_active
        or not constant_time_compare(held.get("hash", ""), member.get_session_auth_hash())
    ):
        return None
    return member


def pending_slug(request: HttpRequest) -> str | None:
    """Return the organization slug a pending session belongs to (cheap: no member read)."""
    held = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if not isinstance(held, dict):
        return None
    from equipage.organizations.models import Organization

    return (
        Organization.objects.filter(pk=held.get("org") or 0).values_list("slug", flat=True).first()
    )


def complete_login(request: HttpRequest, member: Member) -> str:
    """Log the member in (the code was accepted) and return where they were going."""
    held = request.session.pop(SESSION_KEY, {})
    auth.login(request, member, backend=BACKEND)
    mark_verified(request)
    target = held.get("next") or f"/o/{_slug(member)}/"
    if member.must_change_password:
        target = f"/o/{_slug(member)}/password/change/"
    return str(target)


def abandon(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def vouch_external(request: HttpRequest, provider: str) -> None:
    """Mark a session logged in by another party (single sign-on): its factors are the
    identity provider's business, so the organization's requirement does not send it to
    the set-up page. Call it after ``auth.login`` (which renews the session)."""
    request.session[EXTERNAL_KEY] = provider


def mark_verified(request: HttpRequest) -> None:
    """Note that this session gave a second-factor code (at login, or by enrolling)."""
    request.session[VERIFIED_KEY] = True


def settled(request: HttpRequest) -> bool:
    """Tell whether this session gave a code or was logged in by an identity provider:
    the organization's requirement is met for it, without reading anything."""
    session = getattr(request, "session", None)
    return bool(session is not None and (session.get(VERIFIED_KEY) or session.get(EXTERNAL_KEY)))
