"""The sessions of one's account (/me/) and an admin's « Déconnecter partout » (issue #18.4)."""

from __future__ import annotations

from typing import Any

from django.contrib import auth, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from equipage.accounts.actions.sessions import (
    session_sign_out,
    sessions_sign_out_everywhere,
    sessions_sign_out_others,
)
from equipage.accounts.console_sessions import (
    active_sessions,
    current_session_id,
    forget_current,
)
from equipage.accounts.models import Member
from equipage.accounts.useragents import device_label
from equipage.core.errors import NotFound
from equipage.permissions import Cap, access_member_by_id
from equipage.web.tenancy import member_required
from equipage.web.views.common import actor, edge_errors, requires


def sessions_context(request: HttpRequest, member: Member) -> dict[str, Any]:
    """Return the /me/ page's list of the member's open sessions, this one marked."""
    current = current_session_id(request.session)
    rows = [
        {
            "id": s.pk,
            "device": device_label(s.browser, s.system),
            "ip": s.ip,
            "created_at": s.created_at,
            "last_seen_at": s.last_seen_at,
            "current": s.pk == current,
        }
        for s in active_sessions(member)
    ]
    return {"sessions": rows, "other_sessions": sum(1 for r in rows if not r["current"])}


@require_POST
@member_required
def sign_out_session(request: HttpRequest, slug: str, session_id: int) -> HttpResponse:
    """Sign out one of one's own sessions; this one is the same as « Se déconnecter »."""
    member = request.user
    if session_id == current_session_id(request.session):
        forget_current(request.session, member.pk)
        auth.logout(request)
        return redirect(f"/o/{slug}/login")
    try:
        session_sign_out(actor=actor(request), member=member, session_id=session_id)  # type: ignore[arg-type]
    except NotFound as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, _("That session is signed out."))
    return redirect(f"/o/{slug}/me/#sessions")


@require_POST
@member_required
def sign_out_others(request: HttpRequest, slug: str) -> HttpResponse:
    count = sessions_sign_out_others(
        actor=actor(request),
        member=request.user,  # type: ignore[arg-type]
        keep=current_session_id(request.session),
    )
    messages.success(
        request,
        ngettext(
            "%(count)d other session is signed out.",
            "%(count)d other sessions are signed out.",
            count,
        )
        % {"count": count},
    )
    return redirect(f"/o/{slug}/me/#sessions")


@require_POST
@requires(Cap.MEMBER_VIEW)
def sign_out_everywhere(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    """« Déconnecter partout » on a member's profile: every session of theirs ends."""
    act = actor(request)
    member = access_member_by_id(act, member_id, Cap.MEMBER_UPDATE)
    with edge_errors():
        count = sessions_sign_out_everywhere(actor=act, member=member)
    is_self = act.member is not None and act.member.pk == member.pk
    if is_self:
        auth.logout(request)  # its record is already gone
        return redirect(f"/o/{slug}/login")
    messages.success(
        request,
        ngettext(
            "%(name)s is signed out of %(count)d session.",
            "%(name)s is signed out of %(count)d sessions.",
            count,
        )
        % {"name": member.full_name or member.login, "count": count},
    )
    return redirect(f"/o/{slug}/members/{member.pk}/")
