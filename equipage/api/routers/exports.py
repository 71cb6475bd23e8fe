"""The members export (CSV or XLSX, French or English headers), streamed."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router, Schema

from equipage.api.common import actor, organization
from equipage.api.errors import ERROR_RESPONSES

router = Router(tags=["exports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"


class ExportQuery(Schema):
    format: Literal["csv", "xlsx"] = "csv"
    lang: Literal["", "fr", "en"] = ""


@router.get(
    "/members",
    response={200: None, **ERROR_RESPONSES},
    summary="Export the members",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file: CSV (UTF-8 with BOM; `;` for fr, `,` for en) or XLSX.",
                "content": {
                    CSV: {"schema": {"type": "string"}},
                    XLSX: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def export_members(request: HttpRequest, query: Query[ExportQuery]) -> Any:
    """Download the members the token may see, in the import's structure (SPEC §7).

    ``lang`` defaults to the organization's language.
    """
    from equipage.imports.actions import roster_export

    org = organization(request)
    chunks = roster_export(
        actor=actor(request), organization=org, fmt=query.format, language=query.lang
    )
    content_type = XLSX if query.format == "xlsx" else f"{CSV}; charset=utf-8"
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{org.slug}-members.{query.format}"'
    return response
