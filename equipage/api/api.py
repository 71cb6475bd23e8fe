"""The NinjaAPI instance: token auth, problem+json errors, one router per resource."""

from __future__ import annotations

from ninja import NinjaAPI

from equipage.api import errors
from equipage.api.auth import TokenAuth
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

api = NinjaAPI(
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
)
errors.install(api)
api.add_router("/members", members.router)
api.add_router("/groups", groups.router)
api.add_router("/labels", labels.router)
api.add_router("/custom-fields", custom_fields.router)
api.add_router("/invitations", invitations.router)
api.add_router("/audit-events", audit.router)
api.add_router("/imports", imports.router)
api.add_router("/exports", exports.router)
