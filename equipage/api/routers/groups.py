"""Groups: the tree, create/rename/delete, and their members."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from equipage.accounts.ordering import name_order
from equipage.api.common import InputSchema, actor, organization
from equipage.api.errors import ERROR_RESPONSES
from equipage.groups.actions import (
    group_add_member,
    group_create,
    group_delete,
    group_remove_member,
    group_update,
)
from equipage.groups.models import Group, GroupMembership
from equipage.permissions import Cap, access_group_by_id, access_member_by_id, authorize

router = Router(tags=["groups"])


class GroupOut(Schema):
    id: int
    name: str
    parent_id: int | None
    visibility: Literal["public", "private"]
    depth: int
    member_count: int


class GroupIn(InputSchema):
    name: str = Field(..., min_length=1, max_length=150)
    parent_id: int | None = None
    visibility: Literal["public", "private"] = "public"


class GroupUpdateIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=150)
    visibility: Literal["public", "private"] | None = None


class GroupMemberOut(Schema):
    id: int
    login: str
    first_name: str
    last_name: str
    role: Literal["member", "group_admin"]
    ends_on: dt.date | None = None


class GroupMemberIn(InputSchema):
    member_id: int
    role: Literal["member", "group_admin"] = "member"
    # The day the membership ends: housekeeping removes it then (issue #19.5).
    ends_on: dt.date | None = None


def group_out(group: Group) -> dict[str, Any]:
    return {
        "id": group.pk,
        "name": group.name,
        "parent_id": group.parent_id,
        "visibility": group.visibility,
        "depth": group.depth,
        "member_count": GroupMembership.objects.filter(group=group).count(),
    }


@router.get("", response={200: list[GroupOut], **ERROR_RESPONSES}, summary="The group tree")
def list_groups(request: HttpRequest) -> Any:
    """Return every group in tree order (parents before children, ``depth`` for indentation)."""
    from django.db.models import Count

    authorize(actor(request), Cap.MEMBER_VIEW)
    groups = Group.objects.filter(organization=organization(request)).annotate(
        n=Count("memberships")
    )
    return [
        {
            "id": g.pk,
            "name": g.name,
            "parent_id": g.parent_id,
            "visibility": g.visibility,
            "depth": g.depth,
            "member_count": g.n,
        }
        for g in groups.order_by("path")
    ]


@router.post("", response={201: GroupOut, **ERROR_RESPONSES}, summary="Create a group")
def create_group(request: HttpRequest, payload: GroupIn) -> Any:
    """Create a group, at the top of the tree or under `parent_id`."""
    parent = (
        access_group_by_id(actor(request), payload.parent_id, Cap.GROUP_MANAGE)
        if payload.parent_id is not None
        else None
    )
    group = group_create(
        actor=actor(request),
        organization=organization(request),
        name=payload.name,
        parent=parent,
        visibility=payload.visibility,
    )
    return Status(201, group_out(group))


@router.get("/{group_id}", response={200: GroupOut, **ERROR_RESPONSES}, summary="Get a group")
def get_group(request: HttpRequest, group_id: int) -> Any:
    """Read one group."""
    return group_out(access_group_by_id(actor(request), group_id, Cap.MEMBER_VIEW))


@router.patch("/{group_id}", response={200: GroupOut, **ERROR_RESPONSES}, summary="Rename a group")
def update_group(request: HttpRequest, group_id: int, payload: GroupUpdateIn) -> Any:
    """Rename a group or change its visibility (public groups are shown to every member)."""
    group = access_group_by_id(actor(request), group_id)
    group = group_update(
        actor=actor(request), group=group, **payload.dict(exclude_unset=True, exclude_none=True)
    )
    return group_out(group)


@router.delete("/{group_id}", response={204: None, **ERROR_RESPONSES}, summary="Delete a group")
def delete_group(request: HttpRequest, group_id: int) -> Any:
    """Delete a group; its members stay members of the organization."""
    group_delete(actor=actor(request), group=access_group_by_id(actor(request), group_id))
    return Status(204, None)


@router.get(
    "/{group_id}/members",
    response={200: list[GroupMemberOut], **ERROR_RESPONSES},
    summary="Members of a group",
)
def list_group_members(request: HttpRequest, group_id: int) -> Any:
    """List the members of a group and their role in it, by name."""
    group = access_group_by_id(actor(request), group_id, Cap.MEMBER_VIEW)
    rows = (
        GroupMembership.objects.filter(group=group)
        .select_related("member")
        .order_by(*name_order("member__"))
    )
    return [
        {
            "id": r.member_id,
            "login": r.member.login,
            "first_name": r.member.first_name,
            "last_name": r.member.last_name,
            "role": r.role,
            "ends_on": r.ends_on,
        }
        for r in rows
    ]


@router.post(
    "/{group_id}/members",
    response={201: list[GroupMemberOut], **ERROR_RESPONSES},
    summary="Add a member to a group",
)
def add_group_member(request: HttpRequest, group_id: int, payload: GroupMemberIn) -> Any:
    """Add a member; a plain member also joins the public ancestors (seed 002)."""
    group = access_group_by_id(actor(request), group_id, Cap.GROUP_MEMBERS)
    member = access_member_by_id(actor(request), payload.member_id)
    group_add_member(
        actor=actor(request), group=group, member=member, role=payload.role, ends_on=payload.ends_on
    )
    return Status(201, list_group_members(request, group_id))


@router.delete(
    "/{group_id}/members/{member_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Remove a member from a group",
)
def remove_group_member(request: HttpRequest, group_id: int, member_id: int) -> Any:
    """Remove a member from a group (not from the organization)."""
    group = access_group_by_id(actor(request), group_id, Cap.GROUP_MEMBERS)
    member = access_member_by_id(actor(request), member_id)
    group_remove_member(actor=actor(request), group=group, member=member)
    return Status(204, None)
