"""Listing members with the facts every view of the roster shows (roles, groups, Guide).

The API's and the CLI's face of the directory's one member-list selector
(``selectors.members_matching``), hence here and not in ``accounts``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from equipage.accounts.models import Member, MemberRole
from equipage.accounts.ordering import name_order
from equipage.core import clock
from equipage.core.idlist import id_list
from equipage.core.ids import parse_id
from equipage.core.text import without_controls
from equipage.directory.selectors import DirectoryQuery, members_matching
from equipage.permissions import Actor


def member_query(
    actor: Actor,
    *,
    search: str = "",
    group: str | int | None = None,
    state: str = "",
    role: str = "",
    label: str = "",
    with_subgroups: bool = True,
) -> DirectoryQuery | None:
    """Return the directory's query object for the API's and the CLI's filters.

    The group is named by id or name, the label by name (as the API and the CLI
    take them); ``None`` when the named group or label is not this
    organization's: nothing matches.
    """
    from equipage.groups.models import Group, Label

    org_id = actor.organization_id or 0
    group_id: int | None = None
    if isinstance(group, str):
        group = without_controls(group).strip()
    if group not in (None, ""):
        pk = parse_id(group)
        groups = Group.objects.filter(organization_id=org_id)
        found = groups.filter(pk=pk) if pk is not None else groups.filter(name=group)
        group_id = found.order_by("pk").values_list("pk", flat=True).first()
        if group_id is None:
            return None
    label_id: int | None = None
    if label:
        label_id = (
            Label.objects.filter(organization_id=org_id, name=without_controls(label))
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if label_id is None:
            return None
    return DirectoryQuery(
        q=without_controls(search or "").strip(),
        group=group_id,
        subgroups=with_subgroups,
        state=state,
        role=role,
        label=label_id,
    )


def filter_members(
    actor: Actor, query: DirectoryQuery | None, *, for_page: bool = False
) -> QuerySet[Member]:
    """Return the members the actor may see that match ``query``, by name.

    The one member-list selector of the console, the API and the CLI:
    ``directory.selectors.members_matching`` (search through the trigram
    index, accent- and case-insensitive), ordered as the console orders names
    (``name_order``). ``for_page`` when the caller reads one page of it (the
    API), which lets a frequent search word walk the name index; a whole
    listing (the CLI) keeps the trigram plan. ``None`` (``member_query``'s
    "no such group or label") matches nothing.
    """
    if query is None:
        return Member.objects.none()
    return members_matching(actor, query, for_page=for_page).order_by(*name_order())


def member_relations(
    ids: Sequence[int],
) -> tuple[dict[int, list[str]], dict[int, list[str]], dict[int, list[str]]]:
    """Return the roles, group names and label names of many members, one query each.

    The ids travel as one parameter (``core.idlist``): the export asks for
    5,000 members at a time, and ``IN`` lists of 900 placeholders each were
    most of a million-member export on PostgreSQL (57 s, now 16 s).
    """
    from equipage.groups.models import GroupMembership, MemberLabel

    roles: dict[int, list[str]] = defaultdict(list)
    groups: dict[int, list[str]] = defaultdict(list)
    labels: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return roles, groups, labels
    for mid, role in MemberRole.objects.filter(member_id__in=id_list(ids)).values_list(
        "member_id", "role"
    ):
        roles[mid].append(role)
    for mid, name in GroupMembership.objects.filter(member_id__in=id_list(ids)).values_list(
        "member_id", "group__name"
    ):
        groups[mid].append(name)
    for mid, name in MemberLabel.objects.filter(member_id__in=id_list(ids)).values_list(
        "member_id", "label__name"
    ):
        labels[mid].append(name)
    return roles, groups, labels


def member_facts(members: Sequence[Member]) -> list[dict[str, Any]]:
    """Return one dict per member with roles, groups, labels, Guide and mail facts (batched)."""
    from equipage.emails.models import DeliveryStatus, OutboundEmail
    from equipage.invitations.guide import compute_guide
    from equipage.invitations.models import Invitation

    ids = [m.pk for m in members]
    roles, groups, labels = member_relations(ids)
    # Only the columns the Guide and the envelope read: (status, expires_at) of the latest
    # invitation, (status, delivery_status) of the latest mail.
    invitations: dict[int, tuple[str, Any]] = {}
    first_invited: dict[int, Any] = {}
    last_mail: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for member_id, status, expires_at, created_at in (
            Invitation.objects.filter(member_id__in=chunk)
            .order_by("created_at", "id")
            .values_list("member_id", "status", "expires_at", "created_at")
        ):
            invitations[member_id] = (status, expires_at)
            first_invited.setdefault(member_id, created_at)
        for member_id, status, delivery in (
            OutboundEmail.objects.filter(member_id__in=chunk)
            .order_by("created_at", "id")
            .values_list("member_id", "status", "delivery_status")
        ):
            last_mail[member_id] = (status, delivery)
    now = clock.now()
    rows = []
    for m in members:
        latest_inv = invitations.get(m.pk)
        latest_mail = last_mail.get(m.pk)
        bounced = latest_mail is not None and latest_mail[1] == DeliveryStatus.BOUNCED
        guide = compute_guide(
            state=m.state,
            invitation_status=latest_inv[0] if latest_inv else None,
            invitation_expired=bool(latest_inv and latest_inv[1] <= now),
            last_mail_bounced=bounced,
        )
        rows.append(
            {
                "id": m.pk,
                "login": m.login,
                "email": m.email,
                "first_name": m.first_name,
                "last_name": m.last_name,
                "state": m.state,
                "guide": str(guide),
                "roles": sorted(roles[m.pk], key=_role_order),
                "groups": sorted(groups[m.pk]),
                "labels": sorted(labels[m.pk]),
                "last_login": m.last_login.isoformat() if m.last_login else None,
                "first_invited_at": first_invited[m.pk].isoformat()
                if m.pk in first_invited
                else None,
                "mail_status": "bounced" if bounced else (latest_mail[0] if latest_mail else None),
            }
        )
    return rows


def _role_order(role: str) -> int:
    return ["owner", "admin", "user_admin", "member"].index(role)
