"""Helpers every router shares: the actor of the request, ETags, keyset cursors."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import AfterValidator, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from equipage.api.errors import PreconditionFailed
from equipage.core.errors import ValidationFailed
from equipage.core.ids import MAX_ID
from equipage.core.text import check_identifier, free_text_problem
from equipage.organizations.models import Organization
from equipage.permissions import Actor

# An id a row can have: bigger numbers are refused with a 422, not sent to the database.
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


def _identifier(value: str, info: ValidationInfo) -> str:
    # A domain error, not a pydantic one: a 400 naming the parameter, as an action would answer.
    return check_identifier(value, field=info.field_name or "")


def _free_text(value: str, info: ValidationInfo) -> str:
    problem = free_text_problem(value)
    if problem:
        raise ValidationFailed(problem, field=info.field_name)
    return value


# A name or an identifier a query filters on: control and invisible characters refused (400).
Identifier = Annotated[str, AfterValidator(_identifier)]
# Text of several lines (addresses to invite): NUL and other controls refused (400).
FreeText = Annotated[str, AfterValidator(_free_text)]

# Every query parameter has a maximum length, so that the longest valid query fits in the
# request line `serve` reads (settings.EQUIPAGE_REQUEST_LINE_LIMIT): no HTML 414.
# A cursor is URL-safe base64 (1 byte a character in a URL); it holds up to two names of
# 150 characters as UTF-8 JSON, so 2,500 characters cover any valid one.
Cursor = Annotated[
    str,
    Field(
        max_length=2500,
        pattern=r"^[A-Za-z0-9_-]*$",
        description="The `next_cursor` of the previous page.",
    ),
]


class InputSchema(Schema):
    """A request body, which must be a JSON object.

    ninja's ``Schema`` reads attributes off any value (to accept ORM objects), so
    a body ``[null, null]`` or ``367`` would pass as "no field sent" and answer
    200 doing nothing; it is a 422 instead.
    """

    @model_validator(mode="before")
    @classmethod
    def _must_be_an_object(cls, data: Any) -> Any:
        # ninja's own validator runs first and wraps the value in a DjangoGetter.
        raw = data._obj if isinstance(data, DjangoGetter) else data
        if not isinstance(raw, dict):
            raise PydanticCustomError("dict_type", _("The body must be a JSON object."))
        return data


def actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined, no-any-return]


def organization(request: HttpRequest) -> Organization:
    return request.organization  # type: ignore[attr-defined, no-any-return]


def etag_of(data: Any) -> str:
    """Return a weak ETag of a representation."""
    body = json.dumps(data, sort_keys=True, default=str)
    return f'W/"{hashlib.sha256(body.encode()).hexdigest()[:20]}"'


def check_if_match(request: HttpRequest, current: str) -> None:
    """Refuse a write whose If-Match names another version (RFC 9110 §13.1.1)."""
    wanted = request.headers.get("If-Match")
    if not wanted or wanted.strip() == "*":
        return
    tags = {t.strip() for t in wanted.split(",")}
    bare = current.removeprefix("W/")
    if current not in tags and bare not in tags and f"W/{bare}" not in tags:
        raise PreconditionFailed()


def encode_cursor(values: list[Any]) -> str:
    data = json.dumps(values, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        raise ValidationFailed(_("This cursor is not valid."), field="cursor") from None
    if not isinstance(values, list) or len(values) != size:
        raise ValidationFailed(_("This cursor is not valid."), field="cursor")
    return values
