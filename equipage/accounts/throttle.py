"""Login throttling with django-axes: per account and per client address.

A lock lasts ``AXES_COOLOFF_TIME`` (one minute) and a password reset clears
the account's lock, so an attacker can slow the owner down but never lock
them out for good.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from equipage.organizations.models import Organization


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Return the throttling key of an account: ``slug:member-id`` (or what was typed)."""
    from equipage.accounts.selectors import member_by_identifier

    credentials = credentials or {}
    org = credentials.get("organization")
    # Depending on the path, the identifier arrives as "username" or as USERNAME_FIELD ("login").
    typed = (
        next((str(v) for k, v in credentials.items() if str(k) in ("username", "login") and v), "")
        .strip()
        .lower()
    )
    if not isinstance(org, Organization):
        return typed
    member = member_by_identifier(org, typed)
    return f"{org.slug}:{member.pk if member else typed}"


def clear_failures(organization: Organization, member: Any) -> None:
    from axes.utils import reset

    reset(username=f"{organization.slug}:{member.pk}")


def lockout_response(
    request: HttpRequest, response: Any = None, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    from equipage.web.views.auth import login_lockout

    return login_lockout(request)
