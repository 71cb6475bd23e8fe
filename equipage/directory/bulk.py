"""Bulk actions of the directory: which apply to whom, and running them through the actions.

Applicability is computed here, on the server, from the permission module and
the members' states (seed 001: a button is enabled only when its action applies
to at least one selected member). Running a bulk action only dispatches to the
domain actions; nothing here writes by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from equipage.accounts import rules
from equipage.accounts.models import Member, MemberState, Role
from equipage.accounts.selectors import owner_id as owner_id_of
from equipage.accounts.selectors import roles_after_role_change
from equipage.audit.record import forgotten_if_failed, notifications_batched
from equipage.core.bulk import BulkResult
from equipage.core.errors import DomainError
from equipage.directory.listed import ListedMember
from equipage.organizations.models import Organization
from equipage.permissions import Actor, Cap
from equipage.permissions.policy import manageable_among, members_manageable_by, reach_kind


@dataclass(frozen=True)
class BulkAction:
    key: str
    label: Any
    cap: Cap
    destructive: bool = False
    needs: str = ""  # "group", "label" or "role": a second choice the form asks for
    confirm: bool = False  # asks first although not destructive (a role change)

    @property
    def asks_confirmation(self) -> bool:
        """Tell whether the console asks before running it (naming whom and what happens)."""
        return self.destructive or self.confirm


ACTIONS: dict[str, BulkAction] = {
    a.key: a
    for a in (
        BulkAction("invite", gettext_lazy("Invite"), Cap.MEMBER_INVITE),
        BulkAction("resend", gettext_lazy("Resend invitation"), Cap.MEMBER_INVITE),
        BulkAction("revoke", gettext_lazy("Revoke"), Cap.MEMBER_INVITE, destructive=True),
        BulkAction(
            "deactivate",
            gettext_lazy("Deactivate selected members"),
            Cap.MEMBER_DEACTIVATE,
            destructive=True,
        ),
        BulkAction("reactivate", gettext_lazy("Reactivate"), Cap.MEMBER_REACTIVATE),
        BulkAction("password_link", gettext_lazy("Send a password link"), Cap.MEMBER_PASSWORD_LINK),
        BulkAction("delete", gettext_lazy("Delete"), Cap.MEMBER_DELETE, destructive=True),
        BulkAction("group_add", gettext_lazy("Add to group"), Cap.GROUP_MEMBERS, needs="group"),
        BulkAction(
            "group_remove", gettext_lazy("Remove from group"), Cap.GROUP_MEMBERS, needs="group"
        ),
        BulkAction("label_add", gettext_lazy("Add label"), Cap.LABEL_ASSIGN, needs="label"),
        BulkAction("label_remove", gettext_lazy("Remove label"), Cap.LABEL_ASSIGN, needs="label"),
        BulkAction(
            "set_role",
            gettext_lazy("Change role"),
            Cap.MEMBER_SET_ROLES,
            needs="role",
            confirm=True,
        ),
    )
}
INVITATION_ACTIONS = ("invite", "resend", "revoke")


def invitation_actions() -> dict[str, Callable[..., BulkResult]]:
    """Return the invitation bulk actions when the invitations module provides them."""
    try:
        from equipage.invitations import actions as inv  # type: ignore[attr-defined]
    except ImportError:
        return {}
    found: dict[str, Callable[..., BulkResult]] = {}
    for key, name in (
        ("invite", "members_invite"),
        ("resend", "invitations_resend"),
        ("revoke", "invitations_revoke"),
    ):
        fn = getattr(inv, name, None)
        if callable(fn):
            found[key] = fn
    return found


def available_actions(actor: Actor, organization: Organization | None = None) -> list[BulkAction]:
    """Return the bulk actions this actor's roles allow at all (before looking at members).

    ``organization`` is the actor's, when the caller has it loaded already.
    """
    from equipage.permissions import can

    inv = invitation_actions()
    org = organization if organization is not None else _org(actor)
    out = []
    for action in ACTIONS.values():
        if action.key in INVITATION_ACTIONS and action.key not in inv:
            continue
        if can(actor, action.cap, org):
            out.append(action)
    return out


def _org(actor: Actor) -> Organization:
    return Organization.objects.get(pk=actor.org_id)


def applicability(
    actor: Actor,
    members: Sequence[Member | ListedMember],
    guides: dict[int, str],
    actions: Sequence[BulkAction] | None = None,
    roles: Mapping[int, Collection[str]] | None = None,
) -> dict[int, list[str]]:
    """Return, per member id on the page, the keys of the bulk actions that apply to them.

    ``actions`` are the actor's ``available_actions`` when the caller has them already.
    ``roles`` (member id → roles), when the caller has loaded them with members the
    actor sees (the directory's page): the owner and each reach are then worked out
    from them without a query, except a group admin's reach.
    """
    ids = [m.pk for m in members]
    if not ids:
        return {}
    if actions is None:
        actions = available_actions(actor)
    if roles is None:
        owner_id = owner_id_of(actor.org_id)
    else:
        # Only compared with these members' ids: the owner, if one of them, is known.
        owner_id = next((pk for pk, held in roles.items() if Role.OWNER in held), None)
    self_id = actor.member.pk if actor.member is not None else None
    manageable: dict[Cap, set[int]] = {}
    by_kind: dict[str, set[int]] = {}  # capabilities of the same reach share one query
    for cap in {a.cap for a in actions}:
        kind = reach_kind(actor, cap)
        if kind not in by_kind:
            known = manageable_among(actor, cap, roles) if roles is not None else None
            if known is None:
                qs = members_manageable_by(actor, cap).filter(pk__in=ids)
                known = set(qs.values_list("pk", flat=True))
            by_kind[kind] = known
        manageable[cap] = by_kind[kind]
    out: dict[int, list[str]] = {}
    for m in members:
        pk, guide = m.pk, guides.get(m.pk, "")
        out[pk] = [
            a.key
            for a in actions
            if pk in manageable[a.cap] and _applies(a.key, m, guide, owner_id, self_id)
        ]
    return out


def _applies(
    key: str, m: Member | ListedMember, guide: str, owner_id: int | None, self_id: int | None
) -> bool:
    """Tell whether action ``key`` applies to ``m``: no member rule (``accounts.rules``) refuses."""
    if key == "deactivate":
        return rules.deactivation_refusal(m.pk, m.state, owner_id=owner_id, self_id=self_id) is None
    if key == "reactivate":
        return rules.reactivation_refusal(m.state) is None
    if key == "delete":
        return rules.deletion_refusal(m.pk, owner_id=owner_id, self_id=self_id) is None
    if key == "set_role":
        return not rules.protected(m.pk, owner_id=owner_id, self_id=self_id)
    if key == "invite":
        return bool(m.email) and m.state == MemberState.CREATED
    if key == "resend":
        return bool(m.email) and m.state == MemberState.INVITED and guide in ("wait", "resend")
    if key == "revoke":
        return m.state == MemberState.INVITED
    if key == "password_link":
        return bool(m.email) and m.state == MemberState.ACTIVE
    return True


def applicability_for_query(actor: Actor, qs: QuerySet[Member], state: str = "") -> list[str]:
    """Return the bulk actions that apply to at least one member of ``qs`` ("select all N").

    ``state`` is the state ``qs`` is filtered on, if any: it answers which rare states
    the selection can hold without asking the database.
    """
    # The queryset twins of ``_applies``: the same member rules, as filters.
    protected = rules.protected_ids(
        owner_id=owner_id_of(actor.org_id), self_id=actor.member.pk if actor.member else None
    )
    # Which of the rare states the selection holds at all, in one query: the invitation
    # buttons otherwise each look for one, and on PostgreSQL (no state index) a search
    # that finds nothing reads the whole table.
    rare = (MemberState.CREATED, MemberState.INVITED)
    if state:
        pending = {state} & set(rare)
    else:
        pending = set(
            qs.filter(state__in=rare).order_by().values_list("state", flat=True).distinct()
        )
    out = []
    for a in available_actions(actor):
        if a.key == "invite" and MemberState.CREATED not in pending:
            continue
        if a.key in ("resend", "revoke") and MemberState.INVITED not in pending:
            continue
        scoped = qs.filter(pk__in=members_manageable_by(actor, a.cap).values("pk"))
        if a.key == "deactivate":
            scoped = scoped.exclude(pk__in=protected).exclude(state=MemberState.DEACTIVATED)
        elif a.key == "reactivate":
            scoped = scoped.filter(state=MemberState.DEACTIVATED)
        elif a.key in ("delete", "set_role"):
            scoped = scoped.exclude(pk__in=protected)
        elif a.key == "invite":
            scoped = scoped.filter(state=MemberState.CREATED).exclude(email="")
        elif a.key in ("resend", "revoke"):
            scoped = scoped.filter(state=MemberState.INVITED)
        elif a.key == "password_link":
            scoped = scoped.filter(state=MemberState.ACTIVE).exclude(email="")
        if scoped.exists():
            out.append(a.key)
    return out


def run_bulk(
    *,
    actor: Actor,
    organization: Organization,
    key: str,
    ids: list[int],
    group: Any = None,
    label: Any = None,
    role: str = "",
) -> BulkResult:
    """Apply bulk action ``key`` to members ``ids`` through the domain actions."""
    from equipage.accounts.actions import (
        member_set_roles,
        members_deactivate,
        members_delete,
        members_reactivate,
        members_restore,
        members_send_password_links,
    )
    from equipage.groups.actions import (
        group_remove_member,
        groups_add_members,
        labels_attach,
        labels_detach,
    )

    if key == "deactivate":
        return members_deactivate(actor=actor, organization=organization, members=ids)
    if key == "reactivate":
        return members_reactivate(actor=actor, organization=organization, members=ids)
    if key == "delete":
        return members_delete(actor=actor, organization=organization, members=ids)
    if key == "restore":  # only as the undo of a deletion; the bin's page restores too
        return members_restore(actor=actor, organization=organization, members=ids)
    if key == "password_link":
        return members_send_password_links(actor=actor, organization=organization, members=ids)
    if key in INVITATION_ACTIONS:
        fn = invitation_actions().get(key)
        if fn is None:
            raise DomainError(_("Invitations are not available yet."))
        return fn(actor=actor, organization=organization, members=ids)
    if key == "group_add":
        return groups_add_members(actor=actor, group=group, members=ids)
    if key == "label_add":
        return labels_attach(actor=actor, label=label, members=ids)
    if key == "label_remove":
        return labels_detach(actor=actor, label=label, members=ids)
    if key == "group_remove":
        return _one_by_one(
            organization,
            ids,
            lambda m: group_remove_member(actor=actor, group=group, member=m, missing_ok=False),
        )
    if key == "set_role":
        return _one_by_one(
            organization,
            ids,
            lambda m: member_set_roles(
                actor=actor, member=m, roles=roles_after_role_change(m, role)
            ),
        )
    raise DomainError(_("Unknown action."))


def _one_by_one(
    organization: Organization, ids: list[int], apply: Callable[[Member], Any]
) -> BulkResult:
    result = BulkResult()
    # One transaction, one savepoint per member (a refusal undoes that member only), and one
    # listener call at the end: the webhooks of 5,000 role changes go out in a few deliveries.
    with transaction.atomic(), notifications_batched():
        _each(organization, ids, apply, result)
    return result


def _each(
    organization: Organization, ids: list[int], apply: Callable[[Member], Any], result: BulkResult
) -> None:
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        for m in Member.objects.filter(organization=organization, pk__in=chunk).order_by("pk"):
            try:
                with forgotten_if_failed():
                    apply(m)
            except DomainError as exc:
                result.skip(m, str(exc), "forbidden" if exc.code == "forbidden" else "invariant")
            else:
                result.done.append(m)
