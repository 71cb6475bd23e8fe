"""scim2-server's service, with the leniency identity providers need."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from scim2_models import InvalidSyntaxException, PatchOp, Resource, ResourceType, SearchRequest
from scim2_server.service import ScimService
from scim2_server.utils import parametrize

from equipage.scim.normalize import Normalizer, search_filter
from equipage.scim.provider import fallback_name, provider


class EquipageService(ScimService):
    """One per request: remembers the resource a PUT replaces, to fill what it leaves out.

    ``name`` and ``active`` are required in our User schema (every member has
    names and a state); a client that omits them on POST gets names from its
    userName and an active account, and on PUT keeps the current values.
    """

    def __init__(self) -> None:
        super().__init__(provider())
        self.current: Resource[Any] | None = None

    def _fill(self, resource_type: ResourceType, body: bytes, content_type: str | None) -> bytes:
        payload = self.decode_body(body, content_type)
        if not isinstance(payload, dict):
            raise InvalidSyntaxException(detail=_("The body must be a JSON object."))
        normalizer = Normalizer(resource_type)
        payload = normalizer.resource(payload)
        normalizer.report("PUT" if self.current is not None else "POST")
        if resource_type.name != "User":
            return json.dumps(payload).encode()
        keys = {k.lower(): k for k in payload}
        if self.current is not None:
            current = self.current.model_dump(scim_ctx=None, by_alias=True, exclude_none=True)
            for attr in ("active", "name"):
                if attr not in keys and attr in current:
                    payload[attr] = current[attr]
        else:
            if "active" not in keys:
                payload["active"] = True
            local = fallback_name(str(payload.get(keys.get("username", "userName")) or ""))
            name = payload.get(keys.get("name", "name"))
            if not isinstance(name, dict):
                name = {}
            name.setdefault("givenName", local)
            name.setdefault("familyName", local)
            payload[keys.get("name", "name")] = name
        return json.dumps(payload).encode()

    def read_creation(
        self, resource_type: ResourceType, body: bytes, content_type: str | None
    ) -> Resource[Any]:
        return super().read_creation(
            resource_type, self._fill(resource_type, body, content_type), content_type
        )

    def read_search_query(
        self, resource_types: list[ResourceType], query: Mapping[str, str]
    ) -> tuple[SearchRequest[Any], Any]:
        if isinstance(query.get("filter"), str) and any(rt.name == "User" for rt in resource_types):
            query = {**query, "filter": search_filter(query["filter"])}
        return super().read_search_query(resource_types, query)

    def read_patch(
        self, resource_type: ResourceType, body: bytes, content_type: str | None
    ) -> PatchOp[Any]:
        payload = self.decode_body(body, content_type)
        normalizer = Normalizer(resource_type)
        payload = normalizer.patch(payload)
        normalizer.report("PATCH")
        if normalizer.ignored and isinstance(payload, dict) and not payload.get("Operations"):
            # Every operation was about attributes we do not keep: a PATCH that changes nothing.
            self.ensure_patch_supported()
            model = parametrize(PatchOp, self.get_model(resource_type))
            return model.model_construct(schemas=payload.get("schemas"), operations=[])
        return super().read_patch(resource_type, json.dumps(payload).encode(), content_type)

    def read_replacement(
        self, resource_type: ResourceType, body: bytes, content_type: str | None
    ) -> Resource[Any]:
        return super().read_replacement(
            resource_type, self._fill(resource_type, body, content_type), content_type
        )
