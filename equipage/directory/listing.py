"""Listing members with the facts every view of the roster shows (roles, groups, Guide).

The API's and the CLI's face of the directory's one member-list selector
(``selectors.members_matching``), hence here and not in ``accounts``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime

from equipage.accounts.models import Member, MemberRole
from equipage.accounts.ordering import name_order
from equipage.core import clock
from equipage.core.idlist import id_list
from equipage.core.ids import parse_id
from equipage.core.text import without_controls
from equipage.directory.listed import ListedMember
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
    idle_days: int | None = None,
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
        idle=idle_days,
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


def member_facts(members: Sequence[Member | ListedMember]) -> list[dict[str, Any]]:
    """Return one dict per member with roles, groups, labels, Guide and mail facts (one query)."""
    from equipage.emails.models import DeliveryStatus
    from equipage.invitations.guide import compute_guide

    ids = [m.pk for m in members]
    roles: dict[int, list[str]] = defaultdict(list)
    groups: dict[int, list[str]] = defaultdict(list)
    labels: dict[int, list[str]] = defaultdict(list)
    # Only the columns the Guide and the envelope read: (status, expires_at) of the latest
    # invitation, (status, delivery_status) of the latest mail.
    invitations: dict[int, tuple[str, Any]] = {}
    first_invited: dict[int, Any] = {}
    last_mail: dict[int, tuple[str, str]] = {}
    sent: list[tuple[Any, int, str, int, str, str, Any]] = []
    for kind, member_id, text, delivery, created_at, expires_at, row_id in _fact_rows(ids):
        if kind == "r":
            roles[member_id].append(text)
        elif kind == "g":
            groups[member_id].append(text)
        elif kind == "l":
            labels[member_id].append(text)
        else:
            sent.append((_aware(created_at), row_id, kind, member_id, text, delivery, expires_at))
    # Oldest first, as the two queries this one replaced read them: the latest wins.
    for created_at, _row_id, kind, member_id, status, delivery, expires_at in sorted(sent):
        if kind == "i":
            invitations[member_id] = (status, _aware(expires_at))
            first_invited.setdefault(member_id, created_at)
        else:
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


def _fact_rows(ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """Read the roles, groups, labels, invitations and mails of ``ids`` in one statement.

    A page of 50 members asked five queries for these: on an API request they were
    a third of its CPU, most of it Django compiling them (#20). Rows are
    (kind, member, text, delivery status, created_at, expires_at, row id).
    """
    from equipage.emails.models import OutboundEmail
    from equipage.groups.models import Group, GroupMembership, Label, MemberLabel
    from equipage.invitations.models import Invitation

    if not ids:
        return []
    ids_sql = id_list(ids)
    q = connection.ops.quote_name
    role_t, inv_t, mail_t = (q(m._meta.db_table) for m in (MemberRole, Invitation, OutboundEmail))
    gm_t, g_t, ml_t, l_t = (
        q(m._meta.db_table) for m in (GroupMembership, Group, MemberLabel, Label)
    )
    mine = "member_id IN (SELECT id FROM ids)"
    no_time = "CAST(NULL AS timestamptz)" if connection.vendor == "postgresql" else "NULL"
    sql = (
        f"WITH ids(id) AS ({ids_sql.sql}) "  # noqa: S608 (table names quoted, ids bound)
        f"SELECT 'r', member_id, role, '', {no_time}, {no_time}, 0 FROM {role_t} WHERE {mine}"
        f" UNION ALL SELECT 'g', x.member_id, n.name, '', {no_time}, {no_time}, 0"
        f" FROM {gm_t} x JOIN {g_t} n ON n.id = x.group_id WHERE x.{mine}"
        f" UNION ALL SELECT 'l', x.member_id, n.name, '', {no_time}, {no_time}, 0"
        f" FROM {ml_t} x JOIN {l_t} n ON n.id = x.label_id WHERE x.{mine}"
        f" UNION ALL SELECT 'i', member_id, status, '', created_at, expires_at, id"
        f" FROM {inv_t} WHERE {mine}"
        f" UNION ALL SELECT 'm', member_id, status, delivery_status, created_at, {no_time}, id"
        f" FROM {mail_t} WHERE {mine}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(ids_sql.params))
        return cursor.fetchall()


def _aware(value: Any) -> Any:
    """Return a stored time as the ORM gives it (SQLite hands raw SQL its text, naive UTC)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def _role_order(role: str) -> int:
    return ["owner", "admin", "user_admin", "member"].index(role)
