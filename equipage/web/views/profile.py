"""Adding a member « Ajouter un membre », the member profile and its edit forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from equipage.accounts.actions import (
    member_create,
    member_send_password_link,
    member_set_custom_values,
    member_set_roles,
    member_update,
)
from equipage.accounts.actions.emailchange import pending_email_change
from equipage.accounts.data_export import may_download_data
from equipage.accounts.models import (
    Member,
    MemberState,
    Role,
)
from equipage.accounts.selectors import custom_fields, custom_values_of, roles_of
from equipage.accounts.sendmodes import SendMode
from equipage.audit.selectors import events_about
from equipage.core.errors import DomainError, NotFound, ValidationFailed
from equipage.directory.listing import member_facts
from equipage.emails.selectors import mails_to
from equipage.groups.actions import (
    group_add_member,
    group_remove_member,
    labels_attach,
    labels_detach,
)
from equipage.groups.selectors import assignable_group_tree, labels_on, memberships_of
from equipage.imports.columns import split_contact_roles
from equipage.permissions import Cap, access_label_by_id, access_member_by_id, can, grantable_roles
from equipage.permissions.policy import access_group_by_id
from equipage.web.forms import (
    MemberCreateForm,
    MemberEditForm,
    SelfContactForm,
    add_creation_extras,
    creation_extras,
)
from equipage.web.views.common import actor, attach_error, requires
from equipage.web.views.directory import _choices
from equipage.web.views.emailchange import saved_message
from equipage.web.views.lifecycle import parse_end_date


@require_http_methods(["GET", "POST"])
@requires(Cap.MEMBER_CREATE)
def member_new(request: HttpRequest, slug: str) -> HttpResponse:
    org = request.organization  # type: ignore[attr-defined]
    act = actor(request)
    roles = [(r, Role(r).label) for r in grantable_roles(act)]
    groups = assignable_group_tree(act)
    # « Membre » is preselected: a member created without touching the field is no admin.
    form = MemberCreateForm(
        request.POST or None, roles=roles, groups=groups, initial={"roles": [Role.MEMBER]}
    )
    add_creation_extras(form, custom_fields(org), before="send")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        send = data["send"]
        try:
            member = member_create(
                actor=act,
                organization=org,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                login=data["login"],
                roles=data["roles"] or [Role.MEMBER],
                group_ids=data.get("groups") or [],
                language=data["language"],
                password=(data["password"] or None)
                if send in ("password", SendMode.NOTIFICATION)
                else None,
                send=send if send in tuple(SendMode) else SendMode.NONE,
                **creation_extras(data),
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s was added (login: %(login)s).")
                % {"name": member.full_name, "login": member.login},
            )
            return redirect(f"/o/{org.slug}/members/{member.pk}/")
    return render(request, "web/members/new.html", {"nav": "members", "form": form})


def _profile_context(request: HttpRequest, member: Member) -> dict[str, Any]:
    act = actor(request)
    org = request.organization  # type: ignore[attr-defined]
    facts = member_facts([member])[0]
    can_edit = can(act, Cap.MEMBER_UPDATE, member)
    fields = custom_fields(org)
    values = custom_values_of(member)
    member_labels, other_labels = labels_on(member)
    edit_form = MemberEditForm(
        initial={
            "first_name": member.first_name,
            "last_name": member.last_name,
            "login": member.login,
            "email": member.email,
            "phone": member.phone,
            "job_title": member.job_title,
            "language": member.language,
            "contact_roles": ", ".join(member.contact_roles or []),
            "auto_delete_on": member.auto_delete_on,
        }
    )
    current_roles = set(roles_of(member))
    return {
        "nav": "members",
        "m": member,
        "facts": facts,
        "can_edit": can_edit,
        "can_roles": can(act, Cap.MEMBER_SET_ROLES, member) and Role.OWNER not in current_roles,
        "can_groups": can(act, Cap.GROUP_MEMBERS, org),
        "can_deactivate": can(act, Cap.MEMBER_DEACTIVATE, member),
        "can_reactivate": can(act, Cap.MEMBER_REACTIVATE, member),
        "can_delete": can(act, Cap.MEMBER_DELETE, member),
        "can_password_link": bool(member.email)
        and member.state == MemberState.ACTIVE
        and can(act, Cap.MEMBER_PASSWORD_LINK, member),
        # A member without e-mail gets a temporary password from the admin instead (#18.1).
        "can_temporary_password": not member.email
        and member.state == MemberState.ACTIVE
        and (act.member is None or act.member.pk != member.pk)
        and can(act, Cap.MEMBER_SET_PASSWORD, member),
        "is_self": act.member is not None and act.member.pk == member.pk,
        # The contact line edited in place (seed 004): admins, or the member when allowed.
        "can_contact": can_edit
        or (
            act.member is not None
            and act.member.pk == member.pk
            and bool(org.members_can_edit_contact)
        ),
        "can_invite": bool(member.email)
        and member.state in (MemberState.INVITED, MemberState.CREATED)
        and can(act, Cap.MEMBER_INVITE, member),
        "is_owner": Role.OWNER in current_roles,
        "grantable": [(r, Role(r).label) for r in grantable_roles(act)],
        "current_roles": current_roles,
        "custom": [(f, values.get(f.pk, "")) for f in fields],
        "memberships": memberships_of(member),
        "all_groups": _choices(request)["groups"],
        "can_labels": can(act, Cap.LABEL_ASSIGN, member),
        "member_labels": member_labels,
        "other_labels": other_labels,
        "edit_form": edit_form,
        "pending_email": pending_email_change(member),
        # « Déconnecter partout »: who may edit the member; the owner's sessions are the owner's.
        "can_sign_out": can(act, Cap.MEMBER_UPDATE, member)
        and (
            Role.OWNER not in current_roles
            or (act.member is not None and act.member.pk == member.pk)
        ),
        "events": events_about(member, 25),
        "can_audit_log": can(act, Cap.AUDIT_LOG, member.organization),
        "mails": mails_to(member, 20),
        "can_download_data": may_download_data(act, member),
    }


@require_http_methods(["GET"])
@requires(Cap.MEMBER_VIEW)
def profile(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    member = access_member_by_id(actor(request), member_id)
    return render(request, "web/members/profile.html", _profile_context(request, member))


@require_POST
@requires(Cap.MEMBER_VIEW)
def profile_edit(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    act = actor(request)
    member = access_member_by_id(act, member_id, Cap.MEMBER_UPDATE)
    form = MemberEditForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        data["contact_roles"] = split_contact_roles(data.get("contact_roles") or "")
        try:
            member_update(actor=act, member=member, **data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, _("Details saved."))
            return redirect(f"/o/{slug}/members/{member.pk}/")
    context = _profile_context(request, member)
    context["edit_form"] = form
    return render(request, "web/members/profile.html", context, status=400)


@require_POST
@requires(Cap.MEMBER_VIEW)
def profile_contact(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    """Save the contact line edited in place; member_update decides who may (seed 004)."""
    act = actor(request)
    member = access_member_by_id(act, member_id)
    form = SelfContactForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(f"/o/{slug}/members/{member.pk}/")

    def save() -> str:
        member_update(actor=act, member=member, **form.cleaned_data)
        if act.member is not None and act.member.pk == member.pk:
            return saved_message(member, form.cleaned_data.get("email"))
        return _("Contact details saved.")

    return _profile_button(request, save, f"/o/{slug}/members/{member.pk}/")


@require_POST
@requires(Cap.MEMBER_VIEW)
def profile_roles(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    act = actor(request)
    member = access_member_by_id(act, member_id)
    roles = [r for r in request.POST.getlist("roles") if r in Role.values]

    def save() -> str:
        member_set_roles(actor=act, member=member, roles=roles)
        return _("Roles saved.")

    return _profile_button(request, save, f"/o/{slug}/members/{member.pk}/")


@require_POST
@requires(Cap.MEMBER_VIEW)
def profile_custom(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    act = actor(request)
    member = access_member_by_id(act, member_id, Cap.MEMBER_UPDATE)
    fields = custom_fields(request.organization)  # type: ignore[attr-defined]
    values = {f.key: request.POST.get(f"cf_{f.key}", "") for f in fields}

    def save() -> str:
        member_set_custom_values(actor=act, member=member, values=values)
        return _("Custom fields saved.")

    return _profile_button(request, save, f"/o/{slug}/members/{member.pk}/")


@require_POST
@requires(Cap.MEMBER_VIEW)
def profile_groups(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    act = actor(request)
    member = access_member_by_id(act, member_id)
    group = access_group_by_id(act, request.POST.get("group"), Cap.GROUP_MEMBERS)

    def add_or_remove() -> str:
        if request.POST.get("op") == "remove":
            group_remove_member(actor=act, group=group, member=member)
            return _("Removed from %(g)s.") % {"g": group.name}
        role = request.POST.get("role", "member")
        ends_on = parse_end_date(request.POST.get("ends_on", ""))
        group_add_member(actor=act, group=group, member=member, role=role, ends_on=ends_on)
        return _("Added to %(g)s.") % {"g": group.name}

    return _profile_button(request, add_or_remove, f"/o/{slug}/members/{member.pk}/")


@require_POST
@requires(Cap.MEMBER_VIEW)
def profile_labels(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    """Attach or remove one label from the profile, through the same actions as the bulk bar."""
    act = actor(request)
    member = access_member_by_id(act, member_id, Cap.LABEL_ASSIGN)
    # Another organization's label id is simply not found: the lookup is scoped to this one.
    try:
        label = access_label_by_id(act, request.POST.get("label"), None)
    except NotFound:
        messages.error(request, _("Choose a label."))
        return redirect(f"/o/{slug}/members/{member.pk}/")
    remove = request.POST.get("op") == "remove"

    def attach_or_detach() -> str:
        action = labels_detach if remove else labels_attach
        result = action(actor=act, label=label, members=[member])
        if result.skipped:
            raise ValidationFailed(result.skipped[0][1])
        if remove:
            return _("Label “%(l)s” removed.") % {"l": label.name}
        return _("Label “%(l)s” added.") % {"l": label.name}

    return _profile_button(request, attach_or_detach, f"/o/{slug}/members/{member.pk}/")


def _profile_button(request: HttpRequest, run: Callable[[], str], back: str) -> HttpResponse:
    """Run a button's action: its own message when done, the refusal's otherwise; go back."""
    try:
        done = run()
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect(back)


@require_POST
@requires(Cap.MEMBER_VIEW)
def send_password_link(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    """Mail the member a fresh single-use set-password link (seed 004's « flèches cycliques »)."""
    act = actor(request)
    member = access_member_by_id(act, member_id, Cap.MEMBER_PASSWORD_LINK)

    def send() -> str:
        member_send_password_link(actor=act, member=member)
        return _("A single-use link to choose a password was sent to %(email)s.") % {
            "email": member.email
        }

    return _profile_button(request, send, f"/o/{slug}/members/{member.pk}/")


@require_POST
@requires(Cap.MEMBER_INVITE)
def resend_invitation(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    """Send a new invitation from the directory's blue envelope (seed 003), then go back."""
    from equipage.invitations.actions import invitation_resend

    act = actor(request)
    member = access_member_by_id(act, member_id, Cap.MEMBER_INVITE)

    def resend() -> str:
        invitation_resend(actor=act, member=member)
        return _("A new invitation was sent to %(email)s.") % {"email": member.email}

    query = request.POST.get("filter", "")
    return _profile_button(request, resend, f"/o/{slug}/members" + (f"?{query}" if query else ""))


@require_POST
@requires(Cap.MEMBER_INVITE)
def profile_invitation(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    """« Inviter », « Renvoyer l'invitation » or « Annuler l'invitation » from the profile."""
    from equipage.invitations.actions import invitation_cancel, invitation_resend, members_invite
    from equipage.invitations.selectors import pending_invitation_of

    act = actor(request)
    member = access_member_by_id(act, member_id, Cap.MEMBER_INVITE)
    op = request.POST.get("op", "")

    def run() -> str:
        if op == "cancel":
            pending = pending_invitation_of(member)
            if pending is None:
                raise ValidationFailed(_("This invitation is no longer pending."))
            invitation_cancel(actor=act, invitation=pending)
            done = _("The invitation to %(email)s was cancelled.")
        elif op == "invite":
            result = members_invite(
                actor=act,
                organization=request.organization,  # type: ignore[attr-defined]
                members=[member],
            )
            if result.skipped:
                raise ValidationFailed(result.skipped[0][1])
            done = _("An invitation was sent to %(email)s.")
        else:
            invitation_resend(actor=act, member=member)
            done = _("A new invitation was sent to %(email)s.")
        return done % {"email": member.email}

    return _profile_button(request, run, f"/o/{slug}/members/{member.pk}/")
