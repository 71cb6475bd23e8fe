"""Request bodies as Okta and Entra ID send them, made into the RFC 7643/7644 bodies we validate.

Identity providers send what their documentation shows, not always what the
RFCs say, and an organization cannot change its IdP. So, before scim2-models
validates a body, this module:

- drops unknown extension schemas and attributes we do not serve (Entra's
  custom extensions, ``department: null`` at the top level, its ADSCIM group
  schema, a misspelt enterprise URI), and reports their names (never their
  values) in the ``equipage.scim`` log: ignored, not refused;
- drops ``null`` attributes (RFC 7643 §2.5: null is unassigned);
- reads booleans sent as strings (Entra without ``aadOptscim062020``:
  ``"value": "False"``);
- accepts ``manager`` as a string, an object or a one-item list, at the top
  level or under the enterprise extension, as the whole reference (``value``,
  ``$ref``, ``displayName``);
- turns a PATCH ``remove`` of ``members`` with a value list (Entra's default)
  into one filtered removal per member (RFC 7644 §3.5.2.2), so it removes
  those members and not every member.

Anything else is left to the validator, which refuses it with a SCIM error.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from scim2_models import Attribute, ResourceType, Schema

from equipage.scim.provider import ENTERPRISE_SCHEMA, provider

log = logging.getLogger("equipage.scim")

# Attributes of every resource (RFC 7643 §3.1), not listed in the schemas.
COMMON_ATTRIBUTES = frozenset({"schemas", "id", "externalid", "meta"})
MANAGER_KEYS = ("value", "$ref", "displayName")
MANAGER_PATHS = frozenset({"manager", f"{ENTERPRISE_SCHEMA}:manager".lower()})
TRUE_FALSE = {"true": True, "false": False}
# In a filter: a quoted string (left alone), or a bare ``manager`` / ``manager.value`` compared.
FILTER_MANAGER = re.compile(
    r'"(?:[^"\\]|\\.)*"|(?<![\w:.])manager(?:\.value)?(?=\s+(?:eq|ne|co|sw|ew|pr|gt|ge|lt|le)\b)',
    re.IGNORECASE,
)


def search_filter(expression: str) -> str:
    """Qualify a bare ``manager`` in a search filter, as Entra ID sends it before updating one.

    Entra checks "whether the manager attribute of a user object currently has
    a certain value" with a filter on ``id`` and ``manager``; ``manager`` lives
    in the enterprise extension and is compared by its ``value``.
    """
    return FILTER_MANAGER.sub(
        lambda m: (
            m.group(0) if m.group(0).startswith('"') else f"{ENTERPRISE_SCHEMA}:manager.value"
        ),
        expression,
    )


def _schema(schema_id: str) -> Schema | None:
    return next((s for s in provider().schemas if s.id == schema_id), None)


def _extensions(resource_type: ResourceType) -> dict[str, Schema]:
    found = {}
    for extension in resource_type.schema_extensions or []:
        schema = _schema(str(extension.schema_))
        if schema is not None:
            found[str(extension.schema_).lower()] = schema
    return found


def _attributes(schema: Schema | None) -> dict[str, Attribute]:
    return {a.name.lower(): a for a in (schema.attributes if schema else []) or [] if a.name}


class Normalizer:
    """Normalize the bodies sent for one resource type, collecting what was ignored."""

    def __init__(self, resource_type: ResourceType) -> None:
        self.resource_type = resource_type
        self.core = _attributes(_schema(str(resource_type.schema_)))
        self.extensions = _extensions(resource_type)
        self.ignored: list[str] = []

    # -- values ----------------------------------------------------------

    def _coerce(self, attribute: Attribute | None, value: Any) -> Any:
        """Read a value as its attribute's type says: booleans from strings, sub-attributes."""
        if attribute is None or value is None:
            return value
        if isinstance(value, list) and attribute.multi_valued:
            return [self._coerce_one(attribute, item) for item in value if item is not None]
        return self._coerce_one(attribute, value)

    def _coerce_one(self, attribute: Attribute, value: Any) -> Any:
        kind = attribute.type.value if attribute.type else ""
        if kind == "boolean" and isinstance(value, str) and value.lower() in TRUE_FALSE:
            return TRUE_FALSE[value.lower()]
        if kind == "complex" and isinstance(value, dict):
            subs = {a.name.lower(): a for a in attribute.sub_attributes or [] if a.name}
            return {
                k: self._coerce(subs.get(k.lower()), v) for k, v in value.items() if v is not None
            }
        return value

    @staticmethod
    def manager(value: Any) -> Any:
        """Return ``manager`` as the object the enterprise schema defines, from what IdPs send."""
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str | int) and not isinstance(value, bool):
            value = {"value": str(value)} if str(value) else None
        if isinstance(value, dict) and value.get("value") not in (None, ""):
            # The whole reference: a PATCH merges objects, and a stale $ref or
            # displayName of the previous manager must not survive.
            return {k: str(value[k]) if value.get(k) else None for k in MANAGER_KEYS}
        return value

    def _extension(self, schema: Schema, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        attributes = _attributes(schema)
        kept: dict[str, Any] = {}
        for key, value in data.items():
            attribute = attributes.get(key.lower())
            if value is None:
                continue
            if attribute is None:
                self.ignored.append(f"{schema.id}:{key}")
                continue
            kept[key] = (
                self.manager(value) if key.lower() == "manager" else self._coerce(attribute, value)
            )
        return kept

    # -- whole resources ---------------------------------------------------

    def resource(self, payload: Any) -> Any:
        """Normalize a POST or PUT body."""
        if not isinstance(payload, dict):
            return payload
        result: dict[str, Any] = {}
        top_manager: Any = None
        for key, value in payload.items():
            lower = key.lower()
            if lower == "schemas" and isinstance(value, list):
                result[key] = self._schemas(value)
            elif value is None:
                continue
            elif lower in self.extensions:
                result[key] = self._extension(self.extensions[lower], value)
            elif lower in COMMON_ATTRIBUTES:
                result[key] = value
            elif lower in self.core:
                result[key] = self._coerce(self.core[lower], value)
            elif lower == "manager" and ENTERPRISE_SCHEMA.lower() in self.extensions:
                top_manager = self.manager(value)  # Entra's provisioning example puts it here
            else:
                self.ignored.append(key)
        if top_manager is not None:
            key = next(
                (k for k in result if k.lower() == ENTERPRISE_SCHEMA.lower()), ENTERPRISE_SCHEMA
            )
            extension = result.setdefault(key, {})
            if isinstance(extension, dict):
                extension.setdefault("manager", top_manager)
        return result

    def _schemas(self, uris: list[Any]) -> list[Any]:
        known = {str(self.resource_type.schema_).lower(), *self.extensions}
        kept = [u for u in uris if isinstance(u, str) and u.lower() in known]
        self.ignored.extend(str(u) for u in uris if not (isinstance(u, str) and u.lower() in known))
        return kept

    # -- PATCH ---------------------------------------------------------------

    def _split_path(self, path: str) -> tuple[Schema | None, str, str]:
        """Return (extension schema or None, attribute name, the rest) of a PATCH path."""
        schema = None
        for uri, extension in self.extensions.items():
            if path.lower().startswith(uri + ":"):
                schema, path = extension, path[len(uri) + 1 :]
                break
        head = path.split("[", 1)[0].split(".", 1)[0]
        return schema, head, path[len(head) :]

    def _known_path(self, path: str) -> bool:
        lower = path.lower()
        if lower in MANAGER_PATHS:
            return True
        core_uri = str(self.resource_type.schema_).lower() + ":"
        if lower.startswith(core_uri):
            return self._known_path(path[len(core_uri) :])
        if lower in self.extensions:
            return True
        schema, head, _ = self._split_path(path)
        if schema is not None:
            return head.lower() in _attributes(schema)
        if lower.startswith(("urn:", "http:", "https:")):
            return False  # an extension we do not serve
        return head.lower() in self.core or head.lower() in COMMON_ATTRIBUTES

    def _path_value(self, path: str, value: Any) -> Any:
        schema, name, rest = self._split_path(path)
        if path.lower() in MANAGER_PATHS:
            return self.manager(value)
        attributes = _attributes(schema) if schema is not None else self.core
        attribute = attributes.get(name.lower())
        if attribute is None:
            return value
        if not rest:
            return self._coerce(attribute, value)
        sub_name = rest.rsplit(".", 1)[-1] if "." in rest else ""
        subs = {a.name.lower(): a for a in attribute.sub_attributes or [] if a.name}
        return self._coerce(subs.get(sub_name.lower()), value) if sub_name else value

    def _value_map(self, value: dict[str, Any]) -> dict[str, Any]:
        """Normalize the value of a path-less operation: attribute names, dotted or urn-prefixed."""
        kept: dict[str, Any] = {}
        for key, item in value.items():
            if item is None:
                continue
            lower = key.lower()
            if lower in self.extensions:
                kept[key] = self._extension(self.extensions[lower], item)
            elif lower == "schemas" and isinstance(item, list):
                kept[key] = self._schemas(item)
            elif self._known_path(key):
                kept[key] = self._path_value(key, item)
            else:
                self.ignored.append(key)
        return kept

    def _operation(self, operation: Any) -> list[Any]:
        if not isinstance(operation, dict):
            return [operation]
        operation = dict(operation)
        op_key = next((k for k in operation if k.lower() == "op"), "op")
        op = operation.get(op_key)
        if isinstance(op, str):
            operation[op_key] = op = op.lower()
        path = operation.get("path")
        value = operation.get("value")
        if isinstance(path, str) and path:
            if not self._known_path(path):
                self.ignored.append(path)
                return []
            if path.lower() in MANAGER_PATHS:
                operation["path"] = f"{ENTERPRISE_SCHEMA}:manager"
            if op == "remove" and path.lower() == "members" and isinstance(value, list):
                # Entra's default: remove the listed members, one filtered removal each.
                ids = [v.get("value") if isinstance(v, dict) else v for v in value]
                return [
                    {"op": "remove", "path": f"members[value eq {json.dumps(str(i))}]"}
                    for i in ids
                    if i is not None
                ]
            if "value" in operation:
                operation["value"] = self._path_value(path, value)
        elif isinstance(value, dict):
            operation["value"] = self._value_map(value)
            if value and not operation["value"]:
                return []  # only attributes we do not keep: nothing left to do
        return [operation]

    def patch(self, payload: Any) -> Any:
        """Normalize a PATCH body (RFC 7644 §3.5.2)."""
        if not isinstance(payload, dict):
            return payload
        key = next((k for k in payload if k.lower() == "operations"), None)
        if key is None or not isinstance(payload[key], list):
            return payload
        operations = [new for old in payload[key] for new in self._operation(old)]
        return {**payload, key: operations}

    def report(self, what: str) -> None:
        """Log the names of what was ignored: the organization's admin can ask their IdP."""
        if self.ignored:
            # A warning: shown at the default log level, for the admin to fix the IdP's mapping.
            log.warning(
                "SCIM %s %s: ignored what Equipage does not keep: %s",
                what,
                self.resource_type.name,
                ", ".join(dict.fromkeys(self.ignored)),
            )
