"""Members: list (filters, search, keyset pagination), read, create, update, lifecycle, roles."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from equipage.accounts.actions import (
    member_create,
    member_deactivate,
    member_delete,
    member_reactivate,
    member_send_password_link,
    member_set_password,
    member_set_roles,
    member_update,
)
from equipage.accounts.models import Member
from equipage.accounts.ordering import after_name, name_order
from equipage.api.common import (
    Cursor,
    Identifier,
    InputSchema,
    RowId,
    actor,
    check_if_match,
    decode_cursor,
    encode_cursor,
    etag_of,
    organization,
)
from equipage.api.errors import ERROR_RESPONSES
from equipage.core.errors import ValidationFailed
from equipage.directory.listed import listed_rows
from equipage.directory.listing import filter_members, member_facts, member_query
from equipage.directory.selectors import unfiltered_page
from equipage.permissions import Cap, access_member_by_id

router = Router(tags=["members"])

State = Literal["created", "invited", "active", "deactivated"]
RoleName = Literal["owner", "admin", "user_admin", "member"]


class MemberOut(Schema):
    id: int
    login: str
    email: str
    first_name: str
    last_name: str
    phone: str
    job_title: str
    language: str
    external_id: str
    state: State
    guide: str
    roles: list[str]
    groups: list[str]
    labels: list[str]
    last_login: str | None
    created_at: str


# The fields of a listed member, in the schema's order: the list renders them without
# pydantic (list_members).
MEMBER_OUT_FIELDS = tuple(MemberOut.model_fields)


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None = Field(None, description="Pass it as `cursor` for the next page.")


class MemberFilters(Schema):
    search: str = Field("", max_length=200, description="Names, login, e-mail; accent-insensitive.")
    group: Identifier = Field("", max_length=150, description="Group id or name (with subgroups).")
    state: State | Literal[""] = ""
    role: RoleName | Literal[""] = ""
    label: Identifier = Field("", max_length=60)
    idle_days: int | None = Field(
        None, ge=1, le=3650, description="No login for more than this many days (#19.5)."
    )
    limit: int = Field(50, ge=1, le=500)
    cursor: Cursor = ""


class MemberCreateIn(InputSchema):
    first_name: str = Field(..., min_length=1, max_length=150)
    last_name: str = Field(..., min_length=1, max_length=150)
    email: str = Field("", max_length=254)
    login: str = Field("", max_length=150)
    roles: list[Literal["admin", "user_admin", "member"]] = ["member"]
    group_ids: list[RowId] = []
    password: str | None = Field(None, max_length=200)
    phone: str = Field("", max_length=40)
    job_title: str = Field("", max_length=150)
    language: Literal["", "fr", "en"] = ""
    external_id: str = Field("", max_length=255)
    send: Literal["none", "credentials", "notification", "link"] = "none"


class MemberUpdateIn(InputSchema):
    login: str | None = Field(None, max_length=150)
    email: str | None = Field(None, max_length=254)
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    phone: str | None = Field(None, max_length=40)
    job_title: str | None = Field(None, max_length=150)
    language: Literal["", "fr", "en"] | None = None
    external_id: str | None = Field(None, max_length=255)
    auto_delete_on: dt.date | None = None


class Accepted(Schema):
    detail: str


class RolesIn(InputSchema):
    roles: list[RoleName] = Field(..., min_length=1)


def member_out(member: Member) -> dict[str, Any]:
    facts = member_facts([member])[0]
    return {
        **facts,
        "phone": member.phone,
        "job_title": member.job_title,
        "language": member.language,
        "external_id": member.external_id,
        "created_at": member.created_at.isoformat(),
    }


def _with_etag(response: HttpResponse, data: dict[str, Any]) -> HttpResponse:
    response["ETag"] = etag_of(data)
    return response


@router.get("", response={200: MemberPage, **ERROR_RESPONSES}, summary="List members")
def list_members(request: HttpRequest, filters: Query[MemberFilters]) -> Any:
    """List the members the token may see, ordered by last name, first name and id.

    Names sort accent- and case-insensitively, as in the console (« Élodie »
    before « Zoé »); the cursor holds the last row's [last name, first name, id].
    """
    query = member_query(
        actor(request),
        search=filters.search,
        group=filters.group or None,
        state=filters.state,
        role=filters.role,
        label=filters.label,
        idle_days=filters.idle_days,
    )
    after: list[Any] | None = None
    if filters.cursor:
        last, first, pk = decode_cursor(filters.cursor, 3)
        if not (isinstance(last, str) and isinstance(first, str) and isinstance(pk, int)):
            raise ValidationFailed(_("This cursor is not valid."), field="cursor")
        after = [last, first, pk]
    # The whole roster by name, for a token that sees it all: the directory's prepared read.
    rows = (
        unfiltered_page(actor(request), replace(query, per_page=filters.limit), after)
        if query is not None
        else None
    )
    if rows is None:
        qs = filter_members(actor(request), query, for_page=True)
        if after is not None:
            qs = after_name(qs, *after)
        rows = listed_rows(qs.order_by(*name_order())[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    by_id = {m.pk: m for m in rows}
    items = []
    for f in member_facts(rows):
        m = by_id[f["id"]]
        row = {
            **f,
            "phone": m.phone,
            "job_title": m.job_title,
            "language": m.language,
            "external_id": m.external_id,
            "created_at": m.created_at.isoformat(),
        }
        items.append({name: row[name] for name in MEMBER_OUT_FIELDS})
    cursor = encode_cursor([rows[-1].last_name, rows[-1].first_name, rows[-1].pk]) if more else None
    # Built field for field as MemberOut (tests/accounts/test_listing.py checks it against the
    # schema): rendered directly, not validated again item by item by pydantic, which was a
    # sixth of a page of 50 members (#20).
    from equipage.api.api import api

    return api.create_response(request, {"items": items, "next_cursor": cursor}, status=200)


@router.get("/{member_id}", response={200: MemberOut, **ERROR_RESPONSES}, summary="Get a member")
def get_member(request: HttpRequest, response: HttpResponse, member_id: int) -> Any:
    """Read one member; the `ETag` header is what `If-Match` of a later update names."""
    data = member_out(access_member_by_id(actor(request), member_id))
    response["ETag"] = etag_of(data)
    return data


@router.post("", response={201: MemberOut, **ERROR_RESPONSES}, summary="Create a member")
def create_member(request: HttpRequest, response: HttpResponse, payload: MemberCreateIn) -> Any:
    """Create a member; with `send`, mail them their credentials, a notification or a set-password link."""
    member = member_create(
        actor=actor(request), organization=organization(request), **payload.dict()
    )
    data = member_out(member)
    response["ETag"] = etag_of(data)
    return Status(201, data)


@router.patch(
    "/{member_id}", response={200: MemberOut, **ERROR_RESPONSES}, summary="Update a member"
)
def update_member(
    request: HttpRequest, response: HttpResponse, member_id: int, payload: MemberUpdateIn
) -> Any:
    """Change profile fields; send ``If-Match`` with the ETag you read to avoid lost updates."""
    member = access_member_by_id(actor(request), member_id, Cap.MEMBER_VIEW)
    check_if_match(request, etag_of(member_out(member)))
    changes = payload.dict(exclude_unset=True)
    changes = {k: ("" if v is None and k != "auto_delete_on" else v) for k, v in changes.items()}
    # A field sent back as it was read is no change: a GET-then-PATCH round trip of a member
    # whose stored data the rules of today would refuse (an empty last name) still succeeds.
    changes = {k: v for k, v in changes.items() if getattr(member, k) != v}
    if changes:
        member = member_update(actor=actor(request), member=member, **changes)
    data = member_out(member)
    response["ETag"] = etag_of(data)
    return data


@router.post(
    "/{member_id}/deactivate",
    response={200: MemberOut, **ERROR_RESPONSES},
    summary="Deactivate a member",
)
def deactivate_member(request: HttpRequest, member_id: int) -> Any:
    """Deactivate a member: they can no longer log in; their data stays."""
    member = access_member_by_id(actor(request), member_id)
    return member_out(member_deactivate(actor=actor(request), member=member))


@router.post(
    "/{member_id}/reactivate",
    response={200: MemberOut, **ERROR_RESPONSES},
    summary="Reactivate a member",
)
def reactivate_member(request: HttpRequest, member_id: int) -> Any:
    """Reactivate a deactivated member (a seat must be free)."""
    member = access_member_by_id(actor(request), member_id)
    return member_out(member_reactivate(actor=actor(request), member=member))


@router.delete("/{member_id}", response={204: None, **ERROR_RESPONSES}, summary="Delete a member")
def delete_member(request: HttpRequest, member_id: int) -> Any:
    """Delete a member: they go to the organization's bin (no login, no seat, hidden from
    every list, restorable from the console), then are erased when its days are over."""
    member = access_member_by_id(actor(request), member_id)
    member_delete(actor=actor(request), member=member)
    return Status(204, None)


@router.put(
    "/{member_id}/roles",
    response={200: MemberOut, **ERROR_RESPONSES},
    summary="Set a member's roles",
)
def set_member_roles(request: HttpRequest, member_id: int, payload: RolesIn) -> Any:
    """Replace the member's roles by the given ones."""
    member = access_member_by_id(actor(request), member_id)
    member_set_roles(actor=actor(request), member=member, roles=payload.roles)
    return member_out(member)


@router.post(
    "/{member_id}/password-link",
    response={202: Accepted, **ERROR_RESPONSES},
    summary="Mail a single-use set-password link",
)
def send_password_link(request: HttpRequest, member_id: int) -> Any:
    """Mail the member a single-use link to choose a password (seed 004's « flèches cycliques »).

    The new link voids the member's older ones, expires after 7 days and dies
    with its first use or when their password, e-mail address or state
    changes. 409 for an account that is not active, 400 without an e-mail
    address (set a temporary password instead: ``POST /members/{id}/password``),
    429 after a few links to the same member, or password mails to the same
    address, within an hour.
    """
    member = access_member_by_id(actor(request), member_id)
    member_send_password_link(actor=actor(request), member=member)
    return Status(202, {"detail": _("A single-use set-password link was mailed to the member.")})


class TemporaryPasswordIn(InputSchema):
    password: str = Field(..., min_length=1, max_length=4096)


@router.post(
    "/{member_id}/password",
    response={200: Accepted, **ERROR_RESPONSES},
    summary="Set a temporary password the member must change at first login",
)
def set_temporary_password(
    request: HttpRequest, member_id: int, payload: TemporaryPasswordIn
) -> Any:
    """Give the member a password they must change at their first login (#18.1).

    For a member without an e-mail address, who cannot get a link. The
    organization's password policy applies (400 naming the rule: too short,
    too common); nothing is mailed.
    """
    member = access_member_by_id(actor(request), member_id)
    member_set_password(actor=actor(request), member=member, password=payload.password)
    return Status(
        200,
        {
            "detail": _(
                "Temporary password set: the member must choose their own at their first login."
            )
        },
    )
