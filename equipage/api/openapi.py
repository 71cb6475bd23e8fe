"""The finishing of the OpenAPI document: servers, tags, security, no unused components.

django-ninja writes the operations; what it leaves out (where the API lives,
what each group of operations is for, how to authenticate) is added here, so
that the document passes Redocly's and Spectral's OpenAPI rulesets.
"""

from __future__ import annotations

import json
from typing import Any

from equipage.instance.links import base_url

PREFIX = "/api/v1"

TAGS: dict[str, str] = {
    "members": "Members of the organization: list, read, create, update, deactivate, "
    "reactivate, delete, roles.",
    "groups": "The group tree and the members of each group.",
    "labels": "Labels put on members, in bulk.",
    "custom fields": "The organization's custom profile fields.",
    "invitations": "Invite people by e-mail; resend or cancel invitations.",
    "audit": "The audit log: who changed what, when, from where.",
    "imports": "Import a roster (CSV or XLSX): preview, then apply.",
    "exports": "Export the members as CSV or XLSX.",
}

SECURITY_DESCRIPTION = (
    "An API token of the organization, sent as `Authorization: Bearer <token>`. Create one "
    "in Settings → API tokens or with `equipage token create --org SLUG --scope api`; reads "
    "need the `api:read` scope, writes `api:write`."
)


def polish(schema: Any) -> Any:
    """Add what ninja leaves out of the document, and drop what nothing refers to."""
    schema["servers"] = [{"url": f"{base_url()}{PREFIX}", "description": "This installation"}]
    schema["info"]["license"] = {"name": "MIT", "identifier": "MIT"}
    used = {tag for ops in schema["paths"].values() for op in ops.values() for tag in op["tags"]}
    schema["tags"] = [
        {"name": name, "description": description}
        for name, description in TAGS.items()
        if name in used
    ]
    components = schema.setdefault("components", {})
    for scheme in components.get("securitySchemes", {}).values():
        scheme["description"] = SECURITY_DESCRIPTION
        scheme["bearerFormat"] = "eqp_…"
    _drop_unused_schemas(schema)
    return schema


def _drop_unused_schemas(schema: Any) -> None:
    """Remove component schemas no operation reaches (ninja lists query models there too)."""
    schemas = schema.get("components", {}).get("schemas", {})
    prefix = "#/components/schemas/"
    reached: set[str] = set()
    todo = [json.dumps(schema["paths"])]
    while todo:
        text = todo.pop()
        for name in schemas:
            if name not in reached and f'"{prefix}{name}"' in text:
                reached.add(name)
                todo.append(json.dumps(schemas[name]))
    for name in list(schemas):
        if name not in reached:
            del schemas[name]
