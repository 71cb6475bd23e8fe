"""Custom fields: list, create, delete."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from equipage.accounts.actions import custom_field_create, custom_field_delete
from equipage.accounts.models import CustomField
from equipage.api.common import InputSchema, actor, organization
from equipage.api.errors import ERROR_RESPONSES
from equipage.permissions import Cap, access_custom_field_by_id, authorize

router = Router(tags=["custom fields"])


class CustomFieldOut(Schema):
    id: int
    key: str
    name: str
    kind: Literal["text", "number", "date", "choice"]
    choices: list[str]


class CustomFieldIn(InputSchema):
    name: str = Field(..., min_length=1, max_length=100)
    kind: Literal["text", "number", "date", "choice"] = "text"
    choices: list[str] = []


def _out(f: CustomField) -> dict[str, Any]:
    return {"id": f.pk, "key": f.key, "name": f.name, "kind": f.kind, "choices": list(f.choices)}


@router.get(
    "", response={200: list[CustomFieldOut], **ERROR_RESPONSES}, summary="List custom fields"
)
def list_custom_fields(request: HttpRequest) -> Any:
    """List the organization's custom profile fields."""
    authorize(actor(request), Cap.MEMBER_VIEW)
    return [_out(f) for f in CustomField.objects.filter(organization=organization(request))]


@router.post("", response={201: CustomFieldOut, **ERROR_RESPONSES}, summary="Create a custom field")
def create_custom_field(request: HttpRequest, payload: CustomFieldIn) -> Any:
    """Create a custom profile field."""
    field = custom_field_create(
        actor=actor(request), organization=organization(request), **payload.dict()
    )
    return Status(201, _out(field))


@router.delete(
    "/{field_id}", response={204: None, **ERROR_RESPONSES}, summary="Delete a custom field"
)
def delete_custom_field(request: HttpRequest, field_id: int) -> Any:
    """Delete a custom field and every member's value of it."""
    field = access_custom_field_by_id(actor(request), field_id)
    custom_field_delete(actor=actor(request), field=field)
    return Status(204, None)
