"""The NinjaAPI instance: token auth, problem+json errors, one router per resource."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from equipage.api import errors, openapi
from equipage.api.auth import TokenAuth
from equipage.api.docs import SwaggerUnderCsp
from equipage.api.routers import (
    audit,
    custom_fields,
    exports,
    groups,
    imports,
    invitations,
    labels,
    members,
)


class EquipageAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document gives every error its real media type."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        # Paths are relative to the document's `servers` entry (the base URL + /api/v1).
        schema = super().get_openapi_schema(path_prefix="", path_params=path_params)
        return openapi.polish(errors.declare_problem_json(schema))

    def get_openapi_operation_id(self, operation: Operation) -> str:
        """Name an operation after its function (unique: checked by the tests)."""
        return str(operation.view_func.__name__)


api = EquipageAPI(
    title="Equipage API",
    version="1",
    description=(
        "Manage an organization's members, groups, labels, custom fields and invitations; import and export rosters. "
        "Authenticate with `Authorization: Bearer <token>` (create one in Settings → API tokens "
        "or with `equipage token create --org SLUG --scope api`). Reads need the `api:read` "
        "scope, writes `api:write`. Errors are `application/problem+json`."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs=SwaggerUnderCsp(),
)
errors.install(api)
errors.install_request_errors(api)
api.add_router("/members", members.router)
api.add_router("/groups", groups.router)
api.add_router("/labels", labels.router)
api.add_router("/custom-fields", custom_fields.router)
api.add_router("/invitations", invitations.router)
api.add_router("/audit-events", audit.router)
api.add_router("/imports", imports.router)
api.add_router("/exports", exports.router)
