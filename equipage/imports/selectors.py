"""Reads for import and export: the members as the diff compares them, the actor's scope."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import Q

from equipage.accounts.models import CustomField, CustomFieldValue, Member, MemberRole, Role
from equipage.accounts.ordering import name_order
from equipage.accounts.selectors import owner_id
from equipage.core.idlist import id_list
from equipage.directory.listing import member_relations
from equipage.imports import columns as C
from equipage.imports.model import GroupInfo, Members, Scope
from equipage.imports.validate import CustomFieldSpec
from equipage.organizations.models import Organization
from equipage.permissions import (
    Actor,
    Cap,
    grantable_roles,
    holds_org_wide,
    members_manageable_by,
    members_visible_to,
)

CHUNK = 5000


def custom_field_specs(organization: Organization) -> list[CustomFieldSpec]:
    return [
        CustomFieldSpec(key=f.key, name=f.name, kind=f.kind, choices=tuple(f.choices))
        for f in CustomField.objects.filter(organization=organization)
    ]


def current_members(organization: Organization, columns: set[str]) -> Members:
    """Load every member of the organization with what the present columns compare.

    The members come in id order, so that a relation's member is found by a
    binary search of the ids: a map from a million ids to positions cost
    about 120 MB while loading.
    """
    rows = (
        Member.objects.filter(organization=organization)
        .order_by("pk")
        .values_list("pk", "login", "email", "first_name", "last_name", "state")
    )
    # Names and states repeat across a roster: keep one string object for each (memory).
    shared: dict[str, str] = {}
    share = shared.setdefault
    members = Members()
    pks, logins, emails = members.pks, members.logins, members.emails
    first_names, last_names, states = members.first_names, members.last_names, members.states
    for pk, login, email, first_name, last_name, state in rows.iterator(CHUNK):
        pks.append(pk)
        logins.append(login)
        emails.append(email)
        first_names.append(share(first_name, first_name))
        last_names.append(share(last_name, last_name))
        states.append(share(state, state))
    del shared
    at = _positions(pks)
    if "roles" in columns:
        members.roles = _special_roles(organization, at)
    else:
        owner = owner_id(organization.pk)
        i = at(owner) if owner is not None else None
        if i is not None:
            members.roles = {i: frozenset({Role.OWNER})}
    if "groups" in columns:
        from equipage.groups.models import GroupMembership, GroupRole

        groups = _Sets()
        plain, admin = members.groups, members.admin_groups
        for mid, gid, role in (
            GroupMembership.objects.filter(organization=organization)
            .values_list("member_id", "group_id", "role")
            .iterator(CHUNK)  # not cached: a million rows as tuples cost 200 MB at once
        ):
            i = at(mid)
            if i is not None:
                into = admin if role == GroupRole.GROUP_ADMIN else plain
                into[i] = groups.add(into.get(i, groups.empty), gid)
    if "labels" in columns:
        from equipage.groups.models import MemberLabel

        labels = _Sets()
        held_labels = members.labels
        for mid, lid in (
            MemberLabel.objects.filter(organization=organization)
            .values_list("member_id", "label_id")
            .iterator(CHUNK)
        ):
            i = at(mid)
            if i is not None:
                held_labels[i] = labels.add(held_labels.get(i, labels.empty), lid)
    if columns & set(C.CONTACT_COLUMNS):
        contact = members.contact
        for pk, phone, job_title, contact_roles in (
            Member.objects.filter(organization=organization)
            .filter(Q(phone__gt="") | Q(job_title__gt="") | ~Q(contact_roles=[]))
            .values_list("pk", "phone", "job_title", "contact_roles")
            .iterator(CHUNK)
        ):
            i = at(pk)
            if i is not None:
                contact[i] = {
                    C.PHONE: phone,
                    C.JOB_TITLE: job_title,
                    C.CONTACT_ROLES: list(contact_roles or ()),
                }
    if any(c.startswith("custom:") for c in columns):
        custom = members.custom
        for mid, key, value in (
            CustomFieldValue.objects.filter(organization=organization)
            .values_list("member_id", "field__key", "value")
            .iterator(CHUNK)
        ):
            i = at(mid)
            if i is not None:
                custom.setdefault(i, {})[key] = value
    return members


def _positions(pks: array[int]) -> Callable[[int], int | None]:
    """Return a function giving a member id's position in ``pks`` (ascending), or None."""
    n = len(pks)

    def at(pk: int) -> int | None:
        i = bisect_left(pks, pk)
        return i if i < n and pks[i] == pk else None

    return at


def _special_roles(
    organization: Organization, at: Callable[[int], int | None]
) -> dict[int, frozenset[str]]:
    """Return the roles of the members who hold more or other than "member", by position.

    Every other member holds just "member" (or no role row at all, which
    reads the same): their million role rows are not read.
    """
    special: dict[int, set[str]] = defaultdict(set)
    for mid, role in (
        MemberRole.objects.filter(organization=organization)
        .exclude(role=Role.MEMBER)
        .values_list("member_id", "role")
        .iterator(CHUNK)
    ):
        special[mid].add(role)
    also_member = set(
        MemberRole.objects.filter(
            organization=organization, role=Role.MEMBER, member_id__in=id_list(list(special))
        ).values_list("member_id", flat=True)
    )
    shared: dict[frozenset[str], frozenset[str]] = {}
    roles: dict[int, frozenset[str]] = {}
    for mid, held in special.items():
        i = at(mid)
        if i is None:
            continue
        if mid in also_member:
            held.add(Role.MEMBER)
        frozen = frozenset(held)
        roles[i] = shared.setdefault(frozen, frozen)
    return roles


class _Sets:
    """Build the members' role, group and label sets one item at a time, shared.

    Most members hold the same few sets (``{member}``, one group): each
    distinct set is one object, and a set plus an item is worked out once. A
    set of its own per member cost about 200 bytes each (a million members
    re-importing their export: 450 MB).
    """

    def __init__(self) -> None:
        self.empty: frozenset[Any] = frozenset()
        self._sets: dict[frozenset[Any], frozenset[Any]] = {}
        self._steps: dict[tuple[frozenset[Any], Any], frozenset[Any]] = {}

    def add(self, held: frozenset[Any], item: Any) -> frozenset[Any]:
        """Return ``held | {item}``, the one shared object equal to it."""
        key = (held, item)
        found = self._steps.get(key)
        if found is None:
            made = held | {item}
            found = self._steps[key] = self._sets.setdefault(made, made)
        return found


def _ids(qs: Any) -> set[int]:
    return set(qs.values_list("pk", flat=True).iterator(CHUNK))


def import_scope(actor: Actor, organization: Organization, mode: str) -> Scope:
    """Turn the permission module's answers into the plain ``Scope`` the diff needs."""
    from equipage.groups.models import Group, Label, Visibility

    everything = actor.is_privileged
    org_wide = holds_org_wide(actor, Cap.MEMBER_UPDATE)
    scope = Scope(
        mode=mode,
        owner_id=owner_id(organization.pk),
        actor_id=actor.member.pk if actor.member is not None else None,
        grantable=frozenset(grantable_roles(actor)),
        can_assign_labels=holds_org_wide(actor, Cap.LABEL_ASSIGN),
    )
    if not everything:
        scope.updatable = _ids(members_manageable_by(actor, Cap.MEMBER_UPDATE))
        scope.deactivatable = _ids(members_manageable_by(actor, Cap.MEMBER_DEACTIVATE))
        if not org_wide:
            scope.visible = _ids(members_visible_to(actor))
            scope.group_reach = frozenset(actor.group_reach)
            scope.needs_group = True
        elif not holds_org_wide(actor, Cap.GROUP_MEMBERS):
            scope.group_reach = frozenset()
    scope.groups = {
        g.pk: GroupInfo(g.pk, g.name, g.parent_id, g.visibility == Visibility.PRIVATE)
        for g in Group.objects.filter(organization=organization)
    }
    scope.label_ids = dict(
        Label.objects.filter(organization=organization).values_list("name", "pk")
    )
    return scope


def export_rows(organization: Organization, actor: Actor) -> Iterator[dict[str, Any]]:
    """Yield the members the actor may see, one plain dict each, in bounded memory."""

    from equipage.groups.models import Group, Label
    from equipage.imports.listnames import ListNames

    fields = list(CustomField.objects.filter(organization=organization))
    # A cell the import would read as other names (« A, B » when a group is named so) is
    # written one name a line (listnames.ListNames.cell).
    readers = {
        "groups": ListNames(
            Group.objects.filter(organization=organization).values_list("name", "pk")
        ),
        "labels": ListNames(
            Label.objects.filter(organization=organization).values_list("name", "pk")
        ),
    }
    qs = (
        members_visible_to(actor)
        .filter(organization=organization)
        .order_by(*name_order())
        .values_list(
            "pk",
            "login",
            "last_name",
            "first_name",
            "email",
            "state",
            "phone",
            "job_title",
            "contact_roles",
        )
    )
    batch: list[tuple[Any, ...]] = []

    def flush() -> Iterator[dict[str, Any]]:
        ids = [r[0] for r in batch]
        roles, groups, labels = member_relations(ids)
        custom: dict[int, dict[str, str]] = defaultdict(dict)
        if fields:
            for mid, key, value in CustomFieldValue.objects.filter(
                member_id__in=id_list(ids)
            ).values_list("member_id", "field__key", "value"):
                custom[mid][key] = value
        for pk, login, last, first, email, state, phone, job_title, contact_roles in batch:
            out = {
                "login": login,
                "last_name": last,
                "first_name": first,
                "email": email,
                "state": state,
                "phone": phone,
                "job_title": job_title,
                "contact_roles": contact_roles or [],
                "roles": roles[pk],
                "groups": sorted(groups[pk]),
                "labels": sorted(labels[pk]),
                "custom": custom[pk],
            }
            for what, reader in readers.items():
                if len(out[what]) > 1:
                    out[f"{what}_cell"] = reader.cell(out[what])
            yield out

    for row in qs.iterator(CHUNK):
        batch.append(row)
        if len(batch) >= CHUNK:
            yield from flush()
            batch = []
    if batch:
        yield from flush()


def export_custom_fields(organization: Organization) -> list[CustomField]:
    return list(CustomField.objects.filter(organization=organization))
