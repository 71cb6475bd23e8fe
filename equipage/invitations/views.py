"""Invitation pages: invite form, the Invitations list, and the acceptance (first-login) page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import auth, messages
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from equipage.accounts.models import Role
from equipage.accounts.selectors import custom_fields
from equipage.core.errors import DomainError, NotFound
from equipage.groups.selectors import assignable_group_tree
from equipage.invitations.actions import (
    InvitationLinkError,
    InviteStatus,
    invitation_accept,
    invitation_by_token,
    invitation_cancel,
    invitation_resend,
    invitations_create,
)
from equipage.invitations.forms import AcceptForm, InviteForm
from equipage.invitations.selectors import access_invitation_by_id, invitations_list
from equipage.permissions import Actor, Cap, can, grantable_roles
from equipage.permissions.actor import origin_of
from equipage.sso.views import login_refused_after_password
from equipage.web.confirm import confirm_page, is_confirmed
from equipage.web.forms import add_creation_extras, creation_extras
from equipage.web.tenancy import member_required, organization_or_404
from equipage.web.views.common import attach_error


def _may_invite(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the view to members who may invite in this organization; 403 otherwise."""

    @member_required
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can(request.actor, Cap.MEMBER_INVITE, request.organization):  # type: ignore[attr-defined]
            raise HttpForbidden("invite")
        return view(request, slug, *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "POST"])
@_may_invite
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    """Invite one or several addresses at once, each answered on its own line."""
    org = request.organization  # type: ignore[attr-defined]
    actor: Actor = request.actor  # type: ignore[attr-defined]
    roles = [(r, Role(r).label) for r in grantable_roles(actor)]
    groups = assignable_group_tree(actor)
    fields = custom_fields(org)
    form = InviteForm(
        request.POST or None, roles=roles, groups=groups, initial={"roles": [Role.MEMBER]}
    )
    add_creation_extras(form, fields)
    outcomes = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcomes = invitations_create(
                actor=actor,
                organization=org,
                emails=data["emails"],
                roles=data["roles"] or [Role.MEMBER],
                group_ids=data.get("groups") or [],
                language=data["language"],
                **creation_extras(data),
            )
        except DomainError as exc:
            if exc.field in (None, "emails"):
                form.add_error("emails", str(exc))
            else:
                attach_error(form, exc)
        else:
            # Ready for the next batch: the same choices, only the addresses not invited.
            left = [o.email for o in outcomes if o.status != InviteStatus.INVITED]
            form = InviteForm(
                roles=roles, groups=groups, initial={**data, "emails": "\n".join(left)}
            )
            add_creation_extras(form, fields)
    return render(
        request,
        "invitations/invite.html",
        {"nav": "invitations", "form": form, "outcomes": outcomes},
    )


@require_http_methods(["GET"])
@_may_invite
def invitations(request: HttpRequest, slug: str) -> HttpResponse:
    """List pending and expired invitations with cancel and resend (seed 002)."""
    actor: Actor = request.actor  # type: ignore[attr-defined]
    state = request.GET.get("state", "")
    if state not in ("", "pending", "expired"):
        state = ""
    rows, total = invitations_list(actor, state=state, search=request.GET.get("q", ""))
    return render(
        request,
        "invitations/list.html",
        {
            "nav": "invitations",
            "rows": rows,
            "total": total,
            "state": state,
            "q": request.GET.get("q", ""),
        },
    )


def _row_action(request: HttpRequest, slug: str, invitation_id: int, what: str) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    try:
        inv = access_invitation_by_id(actor, invitation_id)
    except NotFound:
        raise Http404("invitation") from None
    try:
        if what == "cancel":
            if not is_confirmed(request):
                return _confirm_cancel(request, inv)
            invitation_cancel(actor=actor, invitation=inv)
            messages.success(
                request, _("The invitation to %(email)s was cancelled.") % {"email": inv.email}
            )
        else:
            invitation_resend(actor=actor, member=inv.member)
            messages.success(
                request, _("A new invitation was sent to %(email)s.") % {"email": inv.email}
            )
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect(f"/o/{slug}/invitations/")


def _confirm_cancel(request: HttpRequest, inv: Any) -> HttpResponse:
    slug = inv.organization.slug
    return confirm_page(
        request,
        title=_("Cancel the invitation to %(email)s?") % {"email": inv.email},
        question=_("The invitation to %(email)s will be cancelled.") % {"email": inv.email},
        consequences=[
            _("The link in the e-mail stops working: %(email)s can no longer join.")
            % {"email": inv.email},
            _(
                "The person stays in the members list as added but not invited: "
                "you can invite them again later."
            ),
            _("The history stays in the audit log."),
        ],
        button=_("Cancel the invitation to %(email)s") % {"email": inv.email},
        back=f"/o/{slug}/invitations/",
        nav="invitations",
    )


@require_POST
@_may_invite
def cancel(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    return _row_action(request, slug, invitation_id, "cancel")


@require_POST
@_may_invite
def resend(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    return _row_action(request, slug, invitation_id, "resend")


def _link_problem(request: HttpRequest, org: Any, exc: InvitationLinkError) -> HttpResponse:
    from equipage.accounts.selectors import administrators

    return render(
        request,
        "invitations/link_problem.html",
        {"organization": org, "reason": exc.code, "admins": administrators(org)},
        status=410 if exc.code != "invalid" else 404,
    )


@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The first-login form behind the invitation link; the account activates on submit."""
    org = organization_or_404(slug)
    try:
        invitation = invitation_by_token(org, token)
    except InvitationLinkError as exc:
        return _link_problem(request, org, exc)
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = invitation_accept(
                organization=org,
                raw_token=token,
                first_name=data["first_name"],
                last_name=data["last_name"],
                password=data["password1"],
                origin=origin_of(request),
            )
        except InvitationLinkError as exc:
            return _link_problem(request, org, exc)
        except DomainError as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error("password1" if field == "password" else field, str(exc))
        else:
            if (sso := login_refused_after_password(request, member)) is not None:
                return sso  # single sign-on required: the password opens nothing (equipage.sso)
            auth.login(request, member, backend="equipage.accounts.backends.MemberBackend")
            messages.success(request, _("Welcome! Your account is active."))
            return redirect(f"/o/{org.slug}/")
    return render(
        request,
        "invitations/accept.html",
        {"organization": org, "form": form, "invitation": invitation},
    )
