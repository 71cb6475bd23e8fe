"""Labels: list, create, delete, attach to and detach from members."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from equipage.api.common import InputSchema, RowId, actor, organization
from equipage.api.errors import ERROR_RESPONSES
from equipage.groups.actions import label_create, label_delete, labels_attach, labels_detach
from equipage.groups.models import Label
from equipage.permissions import Cap, access_label_by_id, authorize

router = Router(tags=["labels"])


class LabelOut(Schema):
    id: int
    name: str
    color: str


class LabelIn(InputSchema):
    name: str = Field(..., min_length=1, max_length=60)
    color: str = Field("#4b6bfb", pattern=r"^#[0-9a-fA-F]{6}$")


class MembersIn(InputSchema):
    member_ids: list[RowId] = Field(..., min_length=1, max_length=5000)


class BulkOut(Schema):
    done: int
    skipped: list[dict[str, Any]]


def _label_out(label: Label) -> dict[str, Any]:
    return {"id": label.pk, "name": label.name, "color": label.color}


@router.get("", response={200: list[LabelOut], **ERROR_RESPONSES}, summary="List labels")
def list_labels(request: HttpRequest) -> Any:
    """List the organization's labels."""
    authorize(actor(request), Cap.MEMBER_VIEW)
    return [_label_out(label) for label in Label.objects.filter(organization=organization(request))]


@router.post("", response={201: LabelOut, **ERROR_RESPONSES}, summary="Create a label")
def create_label(request: HttpRequest, payload: LabelIn) -> Any:
    """Create a label with a name and a colour."""
    label = label_create(actor=actor(request), organization=organization(request), **payload.dict())
    return Status(201, _label_out(label))


@router.delete("/{label_id}", response={204: None, **ERROR_RESPONSES}, summary="Delete a label")
def delete_label(request: HttpRequest, label_id: int) -> Any:
    """Delete a label; it is taken off every member."""
    label_delete(actor=actor(request), label=access_label_by_id(actor(request), label_id))
    return Status(204, None)


@router.post(
    "/{label_id}/members", response={200: BulkOut, **ERROR_RESPONSES}, summary="Attach a label"
)
def label_members(request: HttpRequest, label_id: int, payload: MembersIn) -> Any:
    """Put the label on many members at once; members it cannot go on are reported as skipped."""
    return labels_attach(
        actor=actor(request),
        label=access_label_by_id(actor(request), label_id, None),
        members=payload.member_ids,
    ).summary()


@router.post(
    "/{label_id}/members/remove",
    response={200: BulkOut, **ERROR_RESPONSES},
    summary="Detach a label",
)
def unlabel_members(request: HttpRequest, label_id: int, payload: MembersIn) -> Any:
    """Take the label off many members at once; members that cannot be changed are reported as skipped."""
    return labels_detach(
        actor=actor(request),
        label=access_label_by_id(actor(request), label_id, None),
        members=payload.member_ids,
    ).summary()
