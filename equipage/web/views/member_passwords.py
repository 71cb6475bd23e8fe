"""The admin-set temporary password of a member without e-mail (issue #18.1)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from equipage.accounts.actions import member_set_password
from equipage.core.errors import DomainError
from equipage.permissions import Cap, access_member_by_id
from equipage.web.access_forms import TemporaryPasswordForm
from equipage.web.views.common import actor, requires


@require_POST
@requires(Cap.MEMBER_VIEW)
def temporary_password(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    """Give the member a password they must change at their first login, and say so.

    Another tenant's id, or a member outside the actor's reach, is 404 / 403
    (``access_member_by_id``); the policy (length, common) is the action's.
    """
    act = actor(request)
    member = access_member_by_id(act, member_id, Cap.MEMBER_SET_PASSWORD)
    back = f"/o/{slug}/members/{member.pk}/"
    form = TemporaryPasswordForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Type the temporary password."))
        return redirect(back)
    try:
        member_set_password(actor=act, member=member, password=form.cleaned_data["password"])
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect(back + "#temporary-password")
    messages.success(
        request,
        _(
            "Temporary password set for %(login)s. Give it to them yourself (no e-mail is "
            "sent): they must choose their own password at their first login."
        )
        % {"login": member.login},
    )
    return redirect(back)
