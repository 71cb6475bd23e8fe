"""Groups, labels, custom fields, settings and ownership transfer pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import auth, messages
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from equipage.accounts.actions import (
    custom_field_create,
    custom_field_delete,
    ownership_transfer_accept,
    ownership_transfer_cancel,
    ownership_transfer_start,
)
from equipage.accounts.models import (
    CustomField,
    Member,
)
from equipage.accounts.selectors import custom_fields, pending_transfer, transfer_candidates
from equipage.core.errors import DomainError
from equipage.groups.actions import (
    group_add_member,
    group_create,
    group_delete,
    group_move,
    group_remove_member,
    group_update,
    label_create,
    label_delete,
)
from equipage.groups.models import Group, GroupRole, Label
from equipage.groups.selectors import (
    group_admin_candidates,
    group_admins,
    group_children,
    group_member_count,
    group_tree,
    groups_with_counts,
    labels_with_counts,
    subtree_ids,
)
from equipage.organizations.actions import (
    organization_delete,
    organization_set_scim_accept_passwords,
    organization_update,
)
from equipage.organizations.first_password import propose_temporary_password
from equipage.organizations.models import Feature, FirstPasswordPolicy, Organization
from equipage.organizations.retention import RETENTION_FIELDS
from equipage.organizations.selectors import organization_footprint, seat_usage
from equipage.permissions import (
    Actor,
    Cap,
    access_custom_field_by_id,
    access_label_by_id,
    access_member_by_id,
    access_transfer_by_id,
    can,
)
from equipage.permissions.policy import access_group_by_id
from equipage.web.access_forms import PasswordPolicyForm
from equipage.web.confirm import confirm_page, is_confirmed
from equipage.web.forms import (
    CustomFieldForm,
    DeleteOrganizationForm,
    FirstPasswordForm,
    GroupForm,
    LabelForm,
    RetentionForm,
    ScimPasswordsForm,
    SessionSettingsForm,
    SettingsForm,
    TransferForm,
)
from equipage.web.tenancy import member_required
from equipage.web.views.common import actor, attach_error, edge_errors, requires, submitted

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _group_choices(org: Any, exclude_subtree_of: Group | None = None) -> list[tuple[int, str]]:
    excluded = subtree_ids(org.pk, [exclude_subtree_of.pk]) if exclude_subtree_of else set()
    return [
        (pk, f"{'— ' * depth}{name}")
        for pk, name, depth in group_tree(org.pk)
        if pk not in excluded
    ]


def _tree(org: Any) -> list[dict[str, Any]]:
    """Return the group tree as a flat list, in tree order, with member counts (one query).

    Each item says whether a list of subgroups opens after it (``opens``) and how
    many lists close after it (``closes``): the page draws the tree with one loop,
    however deep it is (a recursive template ran out of stack at 300 levels).
    """
    groups = groups_with_counts(org.pk)
    depths = [g.depth for g in groups] + [0]
    return [
        {
            "g": g,
            "opens": depths[i + 1] > depths[i],
            "closes": range(max(depths[i] - depths[i + 1], 0)),
        }
        for i, g in enumerate(groups)
    ]


@require_http_methods(["GET", "POST"])
@requires(Cap.GROUP_MANAGE)
def groups(request: HttpRequest, slug: str) -> HttpResponse:
    org = request.organization  # type: ignore[attr-defined]
    form = GroupForm(request.POST or None, groups=_group_choices(org))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            parent = (
                access_group_by_id(actor(request), data["parent"]) if data.get("parent") else None
            )
            try:
                group = group_create(
                    actor=actor(request),
                    organization=org,
                    name=data["name"],
                    parent=parent,
                    visibility=data["visibility"],
                )
            except DomainError as exc:
                attach_error(form, exc)
            else:
                messages.success(request, _("Group “%(g)s” created.") % {"g": group.name})
                return redirect(f"/o/{slug}/groups/")
        status = 400
    return render(
        request,
        "web/org/groups.html",
        {"nav": "groups", "tree": _tree(org), "form": form},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@requires(Cap.GROUP_MANAGE)
def group_detail(request: HttpRequest, slug: str, group_id: int) -> HttpResponse:
    org = request.organization  # type: ignore[attr-defined]
    act = actor(request)
    group = access_group_by_id(act, group_id)
    choices = _group_choices(org, exclude_subtree_of=group)
    form = GroupForm(
        request.POST if request.POST.get("op") == "edit" else None,
        groups=choices,
        initial={"name": group.name, "parent": group.parent_id, "visibility": group.visibility},
    )
    status = 200
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "edit":
                if form.is_valid():
                    data = form.cleaned_data
                    group_update(
                        actor=act, group=group, name=data["name"], visibility=data["visibility"]
                    )
                    new_parent = (
                        access_group_by_id(act, data["parent"]) if data.get("parent") else None
                    )
                    if (new_parent.pk if new_parent else None) != group.parent_id:
                        group_move(actor=act, group=group, new_parent=new_parent)
                    messages.success(request, _("Group saved."))
                    return redirect(f"/o/{slug}/groups/{group.pk}/")
            elif op == "delete":
                if not is_confirmed(request):
                    return _confirm_group_delete(request, group)
                group_delete(actor=act, group=group)
                messages.success(request, _("Group “%(g)s” deleted.") % {"g": group.name})
                return redirect(f"/o/{slug}/groups/")
            elif op in ("add_admin", "remove_admin"):
                member = access_member_by_id(act, request.POST.get("member"))
                if op == "add_admin":
                    group_add_member(
                        actor=act, group=group, member=member, role=GroupRole.GROUP_ADMIN
                    )
                    messages.success(
                        request, _("%(m)s now administers this group.") % {"m": member}
                    )
                else:
                    group_remove_member(actor=act, group=group, member=member)
                    messages.success(request, _("%(m)s left this group.") % {"m": member})
                return redirect(f"/o/{slug}/groups/{group.pk}/")
        except DomainError as exc:
            if op == "edit":
                attach_error(form, exc)
            else:
                messages.error(request, str(exc))
        status = 400
    admins = group_admins(group)
    return render(
        request,
        "web/org/group_detail.html",
        {
            "nav": "groups",
            "group": group,
            "form": form,
            "admins": admins,
            "candidates": group_admin_candidates(group, admins),
            "count": group_member_count(group),
            "children": group_children(group),
        },
        status=status,
    )


def _confirm_group_delete(request: HttpRequest, group: Group) -> HttpResponse:
    count = group_member_count(group)
    return confirm_page(
        request,
        title=_("Delete the group “%(g)s”?") % {"g": group.name},
        question=_("The group “%(g)s” will be deleted. This cannot be undone.") % {"g": group.name},
        consequences=[
            ngettext(
                "Its %(n)s member stays in the organization and only leaves this group.",
                "Its %(n)s members stay in the organization and only leave this group.",
                count,
            )
            % {"n": count}
            if count
            else _("It has no member."),
            _("Its group admins lose the right to manage its members."),
            _("The history of the group stays in the audit log."),
        ],
        button=_("Delete the group “%(g)s”") % {"g": group.name},
        back=f"/o/{group.organization.slug}/groups/{group.pk}/",
        nav="groups",
    )


def _confirm_label_delete(request: HttpRequest, label: Label) -> HttpResponse:
    count = label.member_rows.count()
    return confirm_page(
        request,
        title=_("Delete the label “%(l)s”?") % {"l": label.name},
        question=_("The label “%(l)s” will be deleted. This cannot be undone.") % {"l": label.name},
        consequences=[
            ngettext(
                "It is removed from the %(n)s member who carries it; the member stays.",
                "It is removed from the %(n)s members who carry it; the members stay.",
                count,
            )
            % {"n": count}
            if count
            else _("No member carries it."),
            _("Filters and exports by this label stop finding anyone."),
        ],
        button=_("Delete the label “%(l)s”") % {"l": label.name},
        back=f"/o/{label.organization.slug}/labels/",
        nav="labels",
    )


@dataclass(frozen=True)
class _Deletion:
    """How a list page deletes one of its rows: fetch it, ask first, run the action."""

    fetch: Callable[[], Any]  # an access_*_by_id on the posted id
    confirm: Callable[[HttpRequest, Any], HttpResponse]
    run: Callable[[Any], object]
    done: Callable[[Any], str]


def _list_page(
    request: HttpRequest,
    form: forms.Form,
    *,
    template: str,
    back: str,
    rows: Callable[[], tuple[str, Any]],
    delete: _Deletion,
    create: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """Show a list page with its creation form; run a posted ``op=delete`` or creation.

    ``rows`` names and reads the list, after the post: a failed one shows the
    form again with its errors (400).
    """
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("op") == "delete":
                with edge_errors():
                    item = delete.fetch()
                if not is_confirmed(request):
                    return delete.confirm(request, item)
                delete.run(item)
                messages.success(request, delete.done(item))
                return redirect(back)
            if form.is_valid():
                messages.success(request, create(form.cleaned_data))
                return redirect(back)
        except DomainError as exc:
            attach_error(form, exc)
        status = 400
    name, items = rows()
    return render(request, template, {"nav": name, name: items, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@requires(Cap.LABEL_MANAGE)
def labels(request: HttpRequest, slug: str) -> HttpResponse:
    org = request.organization  # type: ignore[attr-defined]
    act = actor(request)

    def create(data: dict[str, Any]) -> str:
        color = data["color"] or "#4b6bfb"
        label = label_create(actor=act, organization=org, name=data["name"], color=color)
        return _("Label “%(l)s” created.") % {"l": label.name}

    return _list_page(
        request,
        LabelForm(submitted(request, but_not="delete")),
        template="web/org/labels.html",
        back=f"/o/{slug}/labels/",
        rows=lambda: ("labels", labels_with_counts(org.pk)),
        delete=_Deletion(
            fetch=lambda: access_label_by_id(act, request.POST.get("label")),
            confirm=_confirm_label_delete,
            run=lambda label: label_delete(actor=act, label=label),
            done=lambda label: _("Label “%(l)s” deleted.") % {"l": label.name},
        ),
        create=create,
    )


def _confirm_field_delete(request: HttpRequest, field: CustomField) -> HttpResponse:
    count = field.values.exclude(value="").count()
    return confirm_page(
        request,
        title=_("Delete the field “%(f)s”?") % {"f": field.name},
        question=_("The field “%(f)s” will be deleted. This cannot be undone.") % {"f": field.name},
        consequences=[
            ngettext(
                "The value it holds for %(n)s member is lost.",
                "The values it holds for %(n)s members are lost.",
                count,
            )
            % {"n": count}
            if count
            else _("No member has a value in it."),
            _("Its column leaves the exports; an import with that column ignores it."),
        ],
        button=_("Delete the field “%(f)s”") % {"f": field.name},
        back=f"/o/{field.organization.slug}/fields/",
        nav="fields",
    )


@require_http_methods(["GET", "POST"])
@requires(Cap.CUSTOM_FIELD_MANAGE)
def fields(request: HttpRequest, slug: str) -> HttpResponse:
    org = request.organization  # type: ignore[attr-defined]
    act = actor(request)

    def create(data: dict[str, Any]) -> str:
        choices = [c for c in (data.get("choices") or "").splitlines() if c.strip()]
        field = custom_field_create(
            actor=act, organization=org, name=data["name"], kind=data["kind"], choices=choices
        )
        return _("Field “%(f)s” created.") % {"f": field.name}

    return _list_page(
        request,
        CustomFieldForm(submitted(request, but_not="delete")),
        template="web/org/fields.html",
        back=f"/o/{slug}/fields/",
        rows=lambda: ("fields", custom_fields(org)),
        delete=_Deletion(
            fetch=lambda: access_custom_field_by_id(act, request.POST.get("field")),
            confirm=_confirm_field_delete,
            run=lambda field: custom_field_delete(actor=act, field=field),
            done=lambda field: _("Field “%(f)s” deleted.") % {"f": field.name},
        ),
        create=create,
    )


SettingsForms = dict[str, forms.Form | None]


def _transfer_choices(org: Organization, owner: Member) -> list[tuple[int, str]]:
    return [(m.pk, f"{m.full_name} ({m.login})") for m in transfer_candidates(org, owner)]


def _settings_forms(request: HttpRequest, org: Organization, act: Actor, op: str) -> SettingsForms:
    """Return the settings page's forms by operation; the posted operation's one is bound."""

    def posted(name: str) -> Any:
        return request.POST if op == name else None

    initial = {
        k: getattr(org, k)
        for k in (
            "name",
            "language",
            "invitation_lifetime_days",
            "members_can_edit_contact",
            "deactivation_notice",
        )
    }
    may_transfer = can(act, Cap.OWNERSHIP_TRANSFER, org) and act.member is not None
    return {
        "settings": SettingsForm(posted("settings"), initial=initial),
        "sessions": SessionSettingsForm(posted("sessions"), current=org.session_idle_minutes),
        "first_password": _first_password_form(request, org, op),
        "scim_passwords": ScimPasswordsForm(
            posted("scim_passwords"), initial={"accept": org.scim_accept_passwords}
        ),
        "transfer": TransferForm(
            posted("transfer"),
            admins=_transfer_choices(org, act.member),  # type: ignore[arg-type]
        )
        if may_transfer
        else None,
        "delete": DeleteOrganizationForm(posted("delete")),
        "retention": RetentionForm(
            posted("retention"), initial={k: getattr(org, k) for k in RETENTION_SETTINGS}
        ),
        "password_policy": PasswordPolicyForm(
            posted("password_policy"), initial={"password_min_length": org.password_min_length}
        ),
    }


@require_http_methods(["GET", "POST"])
@requires(Cap.ORG_SETTINGS)
def settings_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Show the settings; a post names its operation (``op``), run by its own view below."""
    org = request.organization  # type: ignore[attr-defined]
    act = actor(request)
    op = request.POST.get("op", "")
    page_forms = _settings_forms(request, org, act, op)
    may_delete = can(act, Cap.ORG_DELETE, org)
    if op == "delete" and not may_delete:
        raise HttpForbidden("org.delete")
    status = 200
    if request.method == "POST":
        operation = SETTINGS_OPERATIONS.get(op)
        form = page_forms.get(op)
        if operation is not None and (op in FORMLESS_OPERATIONS or (form and form.is_valid())):
            try:
                return operation(request, org, act, form)
            except DomainError as exc:
                if form is not None:
                    attach_error(form, exc)
                else:
                    messages.error(request, str(exc))
        status = 400
    return render(
        request,
        "web/org/settings.html",
        {
            "nav": "settings",
            "form": page_forms["settings"],
            "session_form": page_forms["sessions"],
            "first_password_form": page_forms["first_password"],
            "proposed_password": propose_temporary_password(org),
            "scim_form": page_forms["scim_passwords"] if org.has_feature(Feature.SCIM) else None,
            "transfer_form": page_forms["transfer"],
            "pending": pending_transfer(org),
            "seats": seat_usage(org),
            "password_policy_form": page_forms["password_policy"],
            "may_change_seats": can(act, Cap.ORG_BILLING, org),
            "delete_form": page_forms["delete"] if may_delete else None,
            "retention_form": page_forms["retention"],
            "footprint": organization_footprint(org) if may_delete else None,
        },
        status=status,
    )


def _first_password_form(request: HttpRequest, org: Any, op: str) -> FirstPasswordForm:
    """Return the first-password form; without a temporary password yet, it proposes one."""
    if op == "first_password":
        return FirstPasswordForm(request.POST)
    initial = {"first_password_policy": org.first_password_policy}
    if not org.temp_password_hash:
        initial["temporary_password"] = propose_temporary_password(org)
    return FirstPasswordForm(initial=initial)


def _back_to_settings(org: Organization) -> HttpResponse:
    return redirect(f"/o/{org.slug}/settings/")


def save_settings(
    request: HttpRequest, org: Organization, act: Actor, form: Any, *, done: StrOrPromise
) -> HttpResponse:
    """Save the general or the session settings (their forms hold organization fields)."""
    organization_update(actor=act, organization=org, **form.cleaned_data)
    messages.success(request, str(done))
    return _back_to_settings(org)


def save_first_password(
    request: HttpRequest, org: Organization, act: Actor, form: Any
) -> HttpResponse:
    """Save the policy; the temporary password only counts under ``shared``."""
    data = form.cleaned_data
    changes: dict[str, Any] = {"first_password_policy": data["first_password_policy"]}
    if data["first_password_policy"] == FirstPasswordPolicy.SHARED and data["temporary_password"]:
        changes["temporary_password"] = data["temporary_password"]
    organization_update(actor=act, organization=org, **changes)
    messages.success(request, _("First-password policy saved."))
    return _back_to_settings(org)


def save_scim_passwords(
    request: HttpRequest, org: Organization, act: Actor, form: Any
) -> HttpResponse:
    organization_set_scim_accept_passwords(
        actor=act, organization=org, accept=form.cleaned_data["accept"]
    )
    messages.success(request, _("Settings saved."))
    return _back_to_settings(org)


def start_transfer(request: HttpRequest, org: Organization, act: Actor, form: Any) -> HttpResponse:
    to = access_member_by_id(act, form.cleaned_data["to_member"])
    ownership_transfer_start(actor=act, to_member=to)
    messages.success(
        request,
        _("%(m)s must now accept the transfer; you stay the owner until then.")
        % {"m": to.full_name},
    )
    return _back_to_settings(org)


def cancel_transfer(
    request: HttpRequest, org: Organization, act: Actor, form: None
) -> HttpResponse:
    transfer = pending_transfer(org)
    if transfer is not None:
        ownership_transfer_cancel(actor=act, transfer=transfer)
        messages.success(request, _("Transfer cancelled."))
    return _back_to_settings(org)


def delete_organization(
    request: HttpRequest, org: Organization, act: Actor, form: Any
) -> HttpResponse:
    name = org.name
    organization_delete(actor=act, organization=org, confirm_slug=form.cleaned_data["confirm"])
    auth.logout(request)  # the account behind this session no longer exists
    messages.success(
        request,
        _("The organization “%(o)s” and everything in it have been deleted.") % {"o": name},
    )
    return redirect("/")


# One view per operation of the settings page, named by the posted ``op``.
# The « Deletion and retention » section's fields (RetentionForm).
RETENTION_SETTINGS = ("bin_days", *RETENTION_FIELDS)

SETTINGS_OPERATIONS: dict[str, Callable[..., HttpResponse]] = {
    "settings": partial(save_settings, done=gettext_lazy("Settings saved.")),
    "sessions": partial(save_settings, done=gettext_lazy("Session settings saved.")),
    "first_password": save_first_password,
    "scim_passwords": save_scim_passwords,
    "transfer": start_transfer,
    "transfer_cancel": cancel_transfer,
    "delete": delete_organization,
    "retention": partial(save_settings, done=gettext_lazy("Retention settings saved.")),
    "password_policy": partial(save_settings, done=gettext_lazy("Password policy saved.")),
}
FORMLESS_OPERATIONS = frozenset({"transfer_cancel"})


@require_http_methods(["GET", "POST"])
@member_required
def ownership(request: HttpRequest, slug: str, transfer_id: int) -> HttpResponse:
    """Let the named admin accept or decline the ownership offered to them (seed 004)."""
    act = actor(request)
    with edge_errors():
        transfer = access_transfer_by_id(act, transfer_id)
    if request.method == "POST":
        try:
            if request.POST.get("op") == "accept":
                ownership_transfer_accept(actor=act, transfer=transfer)
                messages.success(request, _("You are now the owner of the organization."))
            else:
                ownership_transfer_cancel(actor=act, transfer=transfer)
                messages.success(request, _("Transfer declined."))
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect(f"/o/{slug}/")
    return render(request, "web/org/ownership.html", {"transfer": transfer})


__all__ = ["fields", "group_detail", "groups", "labels", "ownership", "settings_page"]
