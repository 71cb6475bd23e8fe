"""Reads of the members directory: filters, indexed search, sort and keyset pages.

Every query starts from ``members_visible_to(actor)``, so the tenant and the
actor's reach are applied before anything else.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import OrderBy, RawSQL
from django.http import QueryDict

from equipage.accounts.collation import COLLATED_COLUMNS
from equipage.accounts.models import Member, MemberRole, MemberState, Role
from equipage.accounts.ordering import key_value, keyset, name_sql, order_expression
from equipage.core import clock
from equipage.core.ids import parse_id
from equipage.core.prepared import Prepared
from equipage.core.text import fold, without_controls
from equipage.directory.listed import LISTED_COLUMNS, ListedMember, listed_members
from equipage.permissions import Actor, Cap, members_visible_to
from equipage.permissions.policy import reach_kind

PER_PAGE = 50
MAX_PER_PAGE = 200

# Sort name → (columns in order, descending?). The last column is always the id.
SORTS: dict[str, tuple[tuple[str, ...], bool]] = {
    "name": (("last_name", "first_name", "id"), False),
    "-name": (("last_name", "first_name", "id"), True),
    "login": (("login", "id"), False),
    "-login": (("login", "id"), True),
    "created": (("created_at", "id"), False),
    "-created": (("created_at", "id"), True),
    # Never logged in (NULL) sorts first: the most dormant accounts lead (lifecycle 0006 index).
    "last_login": (("last_login", "id"), False),
    "-last_login": (("last_login", "id"), True),
}
# « No login for more than N days » (issue #19.5): the choices the console offers.
IDLE_DAYS = (30, 90, 180, 365)
GUIDES = ("invite", "wait", "ok", "resend", "reactivate", "check_email")


@dataclass(frozen=True)
class DirectoryQuery:
    """What the directory shows, as it lives in the URL (shareable, back-button friendly)."""

    q: str = ""
    group: int | None = None
    subgroups: bool = True
    role: str = ""
    state: str = ""
    guide: str = ""
    label: int | None = None
    field: str = ""
    value: str = ""
    bounced: bool = False
    idle: int | None = None
    sort: str = "name"
    after: str = ""
    before: str = ""
    per_page: int = PER_PAGE

    @classmethod
    def from_params(cls, params: QueryDict | dict[str, Any]) -> DirectoryQuery:
        """Parse the query string leniently: unknown or malformed values are ignored."""

        def get(name: str) -> str:
            value = params.get(name, "")
            # A control character (NUL) matches no stored text; PostgreSQL refuses it outright.
            return without_controls(str(value)).strip() if value is not None else ""

        def as_int(name: str) -> int | None:
            raw = get(name)
            return parse_id(raw)

        sort = get("sort")
        state = get("state")
        guide = get("guide")
        role = get("role")
        per_page = as_int("per_page") or PER_PAGE
        return cls(
            q=get("q")[:200],
            group=as_int("group"),
            subgroups=get("subgroups") != "0",
            role=role if role in Role.values else "",
            state=state if state in MemberState.values else "",
            guide=guide if guide in GUIDES else "",
            label=as_int("label"),
            field=get("field")[:63],
            value=get("value")[:500],
            bounced=get("bounced") == "1",
            idle=_idle_days(as_int("idle")),
            sort=sort if sort in SORTS else "name",
            after=get("after")[:500],
            before=get("before")[:500],
            per_page=min(per_page, MAX_PER_PAGE),
        )

    def params(self, **override: Any) -> dict[str, str]:
        """Return the non-default filters as URL parameters (cursors dropped unless given)."""
        q = replace(self, after="", before="", **override)
        out: dict[str, str] = {}
        if q.q:
            out["q"] = q.q
        if q.group is not None:
            out["group"] = str(q.group)
            if not q.subgroups:
                out["subgroups"] = "0"
        for name in ("role", "state", "guide"):
            if getattr(q, name):
                out[name] = getattr(q, name)
        if q.label is not None:
            out["label"] = str(q.label)
        if q.field:
            out["field"] = q.field
            out["value"] = q.value
        if q.bounced:
            out["bounced"] = "1"
        if q.idle is not None:
            out["idle"] = str(q.idle)
        if q.sort != "name":
            out["sort"] = q.sort
        if q.per_page != PER_PAGE:
            out["per_page"] = str(q.per_page)
        if q.after:
            out["after"] = q.after
        if q.before:
            out["before"] = q.before
        return out

    def querystring(self, **override: Any) -> str:
        return urlencode(self.params(**override))

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.q
            or self.group is not None
            or self.role
            or self.state
            or self.guide
            or self.label is not None
            or self.field
            or self.bounced
            or self.idle is not None
        )


def _idle_days(days: int | None) -> int | None:
    """Keep a « no login for N days » filter within a sane range (1 day to 10 years)."""
    return days if days is not None and 1 <= days <= 3650 else None


# A search whose words match fewer members than this is answered from the trigram
# index (ids listed); a more frequent one walks the sort index and stops at the page.
RARE_LIMIT = 1000


def _search_words(text: str) -> tuple[list[str], list[str]]:
    words = [w for w in fold(text).split() if w]
    return [w for w in words if len(w) >= 3], [w for w in words if len(w) < 3]


def probe_search(organization_id: int, text: str, limit: int = RARE_LIMIT) -> list[int] | None:
    """Return the ids of every member matching ``text`` when fewer than ``limit`` do, else None.

    Asks the trigram index for at most ``limit`` rows, so a frequent word costs
    about a millisecond (the index stops early) instead of listing 20,000 ids.
    Short words (under three letters) are left to the caller's filter.
    """
    long_words, _short = _search_words(text)
    if not long_words:
        return None
    table = Member._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            match = " AND ".join('"{}"'.format(w.replace('"', '""')) for w in long_words)
            cur.execute(
                "SELECT rowid FROM directory_member_fts WHERE directory_member_fts MATCH %s"
                " LIMIT %s",
                [match, limit],
            )
            ids = [r[0] for r in cur.fetchall()]
        else:
            likes = " AND ".join(["search_text LIKE %s"] * len(long_words))
            patterns = [f"%{_escape_like(w)}%" for w in long_words]
            if _frequent_in_sample(cur, table, organization_id, likes, patterns):
                return None
            cur.execute(
                f'SELECT id FROM "{table}" WHERE organization_id = %s AND {likes} LIMIT %s',  # noqa: S608
                [organization_id, *patterns, limit],
            )
            ids = [r[0] for r in cur.fetchall()]
    return ids if len(ids) < limit else None


# PostgreSQL: the first SAMPLE names of the name-walk index, read index-only (about 1 ms),
# tell a frequent word without the trigram probe, which costs ~8 ms exactly when the word
# is frequent (its bitmap lists every match). SAMPLE_HITS matches in SAMPLE names is a
# frequency above RARE_LIMIT in a million. A word the sample misses (a last name far
# from « A ») still goes to the trigram probe.
SAMPLE = 2000
SAMPLE_HITS = 3


def _frequent_in_sample(
    cur: Any, table: str, organization_id: int, likes: str, patterns: list[str]
) -> bool:
    walk = f"{_name_sql('last_name')}, {_name_sql('first_name')}, id"
    cur.execute(
        f'SELECT count(*) FROM (SELECT search_text FROM "{table}" WHERE organization_id = %s'  # noqa: S608
        f" ORDER BY {walk} LIMIT %s) AS sample WHERE {likes}",
        [organization_id, SAMPLE, *patterns],
    )
    return bool(cur.fetchone()[0] >= SAMPLE_HITS)


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_members(qs: QuerySet[Member], text: str, *, walk: bool = False) -> QuerySet[Member]:
    """Narrow ``qs`` to members whose names, login or e-mail contain every word of ``text``.

    Case and accents are ignored ("elodie" finds "Élodie"). Words of three
    letters or more go through the trigram index (FTS5 on SQLite, pg_trgm on
    PostgreSQL); shorter words can only filter what the other criteria left.
    With ``walk``, every word is a plain filter on the folded text: meant for a
    frequent word on a sorted page, where the database walks the covering name
    index (directory migration 0002) and stops after one page of matches.
    """
    long_words, short_words = _search_words(text)
    if not long_words and not short_words:
        return qs
    if walk:
        for word in [*long_words, *short_words]:
            qs = qs.filter(search_text__contains=word)
        return qs
    if long_words and connection.vendor == "sqlite":
        match = " AND ".join('"{}"'.format(w.replace('"', '""')) for w in long_words)
        qs = qs.filter(
            pk__in=RawSQL(
                "SELECT rowid FROM directory_member_fts WHERE directory_member_fts MATCH %s",
                [match],
            )
        )
    else:
        for word in long_words:
            qs = qs.filter(search_text__contains=word)
    for word in short_words:
        qs = qs.filter(search_text__contains=word)
    return qs


def _latest_mail_status() -> Subquery:
    from equipage.emails.models import OutboundEmail

    return Subquery(
        OutboundEmail.objects.filter(member_id=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("delivery_status")[:1]
    )


def _latest_invitation(column: str) -> Subquery:
    from equipage.invitations.models import Invitation

    return Subquery(
        Invitation.objects.filter(member_id=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values(column)[:1]
    )


def bounced_q() -> Q:
    """Match members whose last mail bounced (the envelope icon of seed 003)."""
    from equipage.emails.models import DeliveryStatus

    return Q(_last_delivery=DeliveryStatus.BOUNCED)


def with_guide_facts(qs: QuerySet[Member]) -> QuerySet[Member]:
    return qs.annotate(
        _last_delivery=_latest_mail_status(),
        _inv_status=_latest_invitation("status"),
        _inv_expires=_latest_invitation("expires_at"),
    )


def filter_by_guide(qs: QuerySet[Member], guide: str) -> QuerySet[Member]:
    """Narrow to members whose Guide is ``guide``; mirrors invitations/guide.py ``compute_guide``."""
    from equipage.emails.models import DeliveryStatus

    now = clock.now()
    if guide == "reactivate":
        return qs.filter(state=MemberState.DEACTIVATED)
    qs = with_guide_facts(qs).exclude(state=MemberState.DEACTIVATED)
    not_bounced = Q(_last_delivery__isnull=True) | ~Q(_last_delivery=DeliveryStatus.BOUNCED)
    if guide == "check_email":
        return qs.filter(bounced_q())
    qs = qs.filter(not_bounced)
    if guide == "ok":
        return qs.filter(state=MemberState.ACTIVE)
    qs = qs.exclude(state=MemberState.ACTIVE)
    if guide == "wait":
        return qs.filter(Q(_inv_status="pending", _inv_expires__gt=now))
    if guide == "resend":
        return qs.filter(Q(_inv_status="pending", _inv_expires__lte=now))
    if guide == "invite":
        return qs.filter(Q(_inv_status__isnull=True) | ~Q(_inv_status="pending"))
    return qs


def members_matching(
    actor: Actor, query: DirectoryQuery, *, for_page: bool = False
) -> QuerySet[Member]:
    """Return the members the actor may see that match every filter (unordered).

    ``for_page`` chooses the plan of a search for one sorted page: a rare
    search becomes the short list of ids the trigram index gives; a frequent
    one (``RARE_LIMIT`` matches or more) is left to a walk of the name index,
    unless the group or label filter is the rarer one, which then gives the list.
    Counts and "select all" keep the trigram index plan.
    """
    from equipage.groups.models import GroupMembership, MemberLabel

    if actor.organization_id is None:
        return Member.objects.none()
    qs = members_visible_to(actor)
    org_id = actor.org_id
    gids = _filter_group_ids(org_id, query)
    if gids is not None and not gids:
        return qs.none()
    if query.q and for_page:
        text_ids = probe_search(org_id, query.q)
        if text_ids is not None:
            qs = qs.filter(pk__in=text_ids)
            qs = search_members(qs, " ".join(_search_words(query.q)[1]), walk=True)
        else:
            small = _small_filter_ids(org_id, query, gids)
            if small is not None:
                qs = qs.filter(pk__in=small)
            qs = search_members(qs, query.q, walk=True)
    elif query.q:
        qs = search_members(qs, query.q)
    elif for_page:
        few = _rare_state_ids(org_id, query)
        if few is not None:
            qs = qs.filter(pk__in=few)
    if query.state:
        if for_page and connection.vendor == "postgresql":
            # No PostgreSQL index holds the state (directory 0005): checked on the rows the
            # walk keeps, through the primary key, the name walk stays index-only.
            qs = qs.filter(Exists(Member.objects.filter(pk=OuterRef("pk"), state=query.state)))
        else:
            qs = qs.filter(state=query.state)
    if query.role:
        qs = qs.filter(Exists(MemberRole.objects.filter(member_id=OuterRef("pk"), role=query.role)))
    if gids:
        qs = qs.filter(
            Exists(GroupMembership.objects.filter(member_id=OuterRef("pk"), group_id__in=gids))
        )
    if query.label is not None:
        qs = qs.filter(
            Exists(
                MemberLabel.objects.filter(
                    member_id=OuterRef("pk"), label_id=query.label, organization_id=org_id
                )
            )
        )
    if query.field:
        from equipage.accounts.models import CustomFieldValue

        values = CustomFieldValue.objects.filter(
            member_id=OuterRef("pk"), field__key=query.field, organization_id=org_id
        )
        if query.value:
            values = values.filter(value__iexact=query.value)
        qs = qs.filter(Exists(values))
    if query.guide:
        qs = filter_by_guide(qs, query.guide)
    if query.bounced:
        qs = with_guide_facts(qs).filter(bounced_q()) if not query.guide else qs.filter(bounced_q())
    if query.idle is not None:
        from equipage.accounts.dormancy import inactive_q

        qs = qs.filter(inactive_q(clock.now() - dt.timedelta(days=query.idle)))
    return qs


def _filter_group_ids(org_id: int, query: DirectoryQuery) -> set[int] | None:
    """Return the groups the group filter stands for (with subgroups when asked), or None.

    An empty set: the group is not this organization's, nothing matches.
    """
    from equipage.groups.models import Group
    from equipage.groups.selectors import subtree_ids

    if query.group is None:
        return None
    if query.subgroups:
        return subtree_ids(org_id, [query.group])
    return (
        {query.group}
        if Group.objects.filter(organization_id=org_id, pk=query.group).exists()
        else set()
    )


# Members waiting for their first login are few in a large organization: a filter on
# their state, or on a Guide only they can have, lists them from the state index
# (SQLite; PostgreSQL reads the table, see directory 0005) instead of walking every
# name to find a page of them.
PENDING_STATES = (MemberState.CREATED, MemberState.INVITED)
PENDING_GUIDES = ("invite", "wait", "resend")


def _rare_state_ids(org_id: int, query: DirectoryQuery) -> list[int] | None:
    """Return the ids of the members in the pending states the filter asks for, if few."""
    if query.state in PENDING_STATES:
        states: tuple[str, ...] = (query.state,)
    elif query.guide in PENDING_GUIDES:
        states = PENDING_STATES
    else:
        return None
    found = list(
        Member.objects.filter(organization_id=org_id, state__in=states).values_list(
            "pk", flat=True
        )[:RARE_LIMIT]
    )
    return found if len(found) < RARE_LIMIT else None


def _small_filter_ids(
    org_id: int, query: DirectoryQuery, gids: set[int] | None = None
) -> list[int] | None:
    """Return the members of the filtered group or label when they are fewer than ``RARE_LIMIT``.

    ``gids`` are the filter's groups (``_filter_group_ids``) when the caller has them.
    """
    from equipage.groups.models import GroupMembership, MemberLabel

    lists: list[list[int]] = []
    if gids is None and query.group is not None:
        gids = _filter_group_ids(org_id, query)
    if gids:
        found = list(
            GroupMembership.objects.filter(organization_id=org_id, group_id__in=gids)
            .values_list("member_id", flat=True)
            .distinct()[:RARE_LIMIT]
        )
        if len(found) < RARE_LIMIT:
            lists.append(found)
    if query.label is not None:
        found = list(
            MemberLabel.objects.filter(organization_id=org_id, label_id=query.label).values_list(
                "member_id", flat=True
            )[:RARE_LIMIT]
        )
        if len(found) < RARE_LIMIT:
            lists.append(found)
    return min(lists, key=len) if lists else None


# Cursors -------------------------------------------------------------------------------


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and "dt" in value:
        return dt.datetime.fromisoformat(value["dt"])
    return value


def encode_cursor(member: Member | ListedMember, sort: str) -> str:
    columns, _desc = SORTS[sort]
    values = [_encode_value(getattr(member, c)) for c in columns]
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> list[Any] | None:
    """Return the key values of a cursor, or ``None`` when it is malformed."""
    columns, _desc = SORTS[sort]
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, binascii.Error):
        return None
    if not isinstance(values, list) or len(values) != len(columns):
        return None
    try:
        decoded = [_decode_value(v) for v in values]
    except (TypeError, ValueError):
        return None
    if not isinstance(decoded[-1], int):
        return None
    if (
        columns[0] in NULLABLE_SORT_COLUMNS
        and decoded[0] is not None
        and not isinstance(decoded[0], dt.datetime)
    ):
        return None
    if any(
        c in COLLATED_COLUMNS and not isinstance(v, str)
        for c, v in zip(columns, decoded, strict=True)
    ):
        return None
    return decoded


# The name order lives in ordering.py, shared with the API, the export and the console.
_name_sql = name_sql


def _order(column: str, descending: bool) -> OrderBy:
    """Order by ``column``, names accent-insensitively (collation.py), as the name index does."""
    if column in NULLABLE_SORT_COLUMNS:
        # NULL (« never ») is the smallest value, as in SQLite and the lifecycle index.
        return F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_first=True)
    return order_expression(column, descending)


NULLABLE_SORT_COLUMNS = frozenset({"last_login"})


def _keyset(qs: QuerySet[Member], columns: Sequence[str], values: list[Any], op: str) -> Any:
    # Cursors keep the raw names; SQLite's keys are computed in ``keyset``, once per page.
    if columns[0] in NULLABLE_SORT_COLUMNS:
        return qs.filter(_nullable_after(columns[0], values[0], values[-1], op))
    return keyset(qs, columns, values, op)


def _nullable_after(column: str, value: Any, pk: int, op: str) -> Q:
    """Keep rows after (``>``) or before (``<``) (value, pk), NULL being the smallest value."""
    null = Q(**{f"{column}__isnull": True})
    if op == ">":
        if value is None:
            return (null & Q(pk__gt=pk)) | ~null
        return Q(**{f"{column}__gt": value}) | Q(**{column: value, "pk__gt": pk})
    if value is None:
        return null & Q(pk__lt=pk)
    return Q(**{f"{column}__lt": value}) | Q(**{column: value, "pk__lt": pk}) | null


@dataclass
class DirectoryPage:
    members: list[ListedMember]
    next_cursor: str = ""
    prev_cursor: str = ""


def directory_page(actor: Actor, query: DirectoryQuery) -> DirectoryPage:
    """Return one keyset page of the directory and the cursors around it."""
    columns, desc = SORTS[query.sort]
    backwards = bool(query.before) and not query.after
    cursor = decode_cursor(query.before if backwards else query.after, query.sort)
    forward_desc = desc != backwards
    op = "<" if forward_desc else ">"
    rows = unfiltered_page(actor, query, cursor, forward_desc)
    if rows is None:
        qs = members_matching(actor, query, for_page=True)
        if cursor is not None:
            qs = _keyset(qs, columns, cursor, op)
        order = [_order(c, forward_desc) for c in columns]
        # Ids first, so a walk of the covering name index stays index-only; then the rows.
        ids = list(qs.order_by(*order).values_list("pk", flat=True)[: query.per_page + 1])
        rows = listed_members(ids)
    more = len(rows) > query.per_page
    rows = rows[: query.per_page]
    if backwards:
        rows.reverse()
    page = DirectoryPage(members=rows)
    if rows:
        has_next = more if not backwards else True
        has_prev = (cursor is not None) if not backwards else more
        if has_next:
            page.next_cursor = encode_cursor(rows[-1], query.sort)
        if has_prev:
            page.prev_cursor = encode_cursor(rows[0], query.sort)
    return page


# The pages most asked: the whole organization (nothing filtered) by name or login, seen by
# someone who sees all of it (owners, administrators). Their query is the same but for the
# organization and the cursor: compiled once a process per sort, direction and page size. With
# nothing filtered every row the walk reaches is on the page: its columns come with it.
PREPARED_SORTS = frozenset({"name", "-name", "login", "-login"})
_unfiltered_pages: dict[tuple[Any, ...], Prepared] = {}
_ORG_SAMPLE = -7_000_001


def unfiltered_page(
    actor: Actor, query: DirectoryQuery, cursor: list[Any] | None, forward_desc: bool = False
) -> list[ListedMember] | None:
    """Return an unfiltered page (and the row after it) through a prepared read, or None.

    ``cursor``: the raw values of the last row before the page, in ``query.sort``'s columns.
    The directory and the API's member list both ask it.

    The read is built by ``members_matching`` (the one home of who sees whom, and of the
    bin) for the organization, as an owner sees it, and ``keyset``: only the organization
    and the cursor's keys are bound anew.
    """
    if (
        query.is_filtered
        or query.sort not in PREPARED_SORTS
        or actor.organization_id is None
        or reach_kind(actor, Cap.MEMBER_VIEW) != "visible"
    ):
        return None
    columns, _desc = SORTS[query.sort]
    keys = [] if cursor is None else [key_value(c, v) for c, v in zip(columns, cursor, strict=True)]
    if not all(type(k) in (int, str) for k in keys):
        return None
    shape = (query.sort, forward_desc, cursor is not None, query.per_page)
    prepared = _unfiltered_pages.get(shape)
    if prepared is None:
        samples = [-7_000_002 - i if c == "id" else f"\x00key-{i}" for i, c in enumerate(columns)]
        build = partial(_page_query, query.sort, forward_desc, query.per_page, len(keys) > 0)
        prepared = _unfiltered_pages.setdefault(
            shape, Prepared(build, _ORG_SAMPLE, *(samples if cursor is not None else []))
        )
    return [ListedMember(*row) for row in prepared.rows(actor.organization_id, *keys)]


def _page_query(
    sort: str, forward_desc: bool, per_page: int, after: bool, org_id: int, *keys: Any
) -> QuerySet[Member, tuple[Any, ...]]:
    columns, _desc = SORTS[sort]
    seer = Actor(kind="system", label="prepared page", organization_id=org_id)
    qs = members_matching(seer, DirectoryQuery(sort=sort, per_page=per_page), for_page=True)
    if after:
        qs = keyset(qs, columns, keys, "<" if forward_desc else ">", keyed=True)
    order = [_order(c, forward_desc) for c in columns]
    return qs.order_by(*order).values_list(*LISTED_COLUMNS)[: per_page + 1]


def count_matching(actor: Actor, query: DirectoryQuery) -> int:
    return members_matching(actor, query).count()


def matching_ids(actor: Actor, query: DirectoryQuery) -> list[int]:
    """Return the ids of every member matching the filter ("select all N")."""
    return list(members_matching(actor, query).values_list("pk", flat=True))
