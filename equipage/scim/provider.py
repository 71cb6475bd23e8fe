"""What the SCIM service announces: RFC 7643 schemas, resource types and capabilities."""

from __future__ import annotations

from functools import cache

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ETag,
    External,
    Filter,
    Patch,
    Reference,
    Required,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
)
from scim2_server.utils import load_default_resource_types, load_default_schemas

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_RESULTS = 200

# Every member has a first and last name and is active or not: these cannot be unassigned.
REQUIRED_USER_ATTRIBUTES = frozenset({"name", "active"})
REQUIRED_NAME_PARTS = frozenset({"givenName", "familyName"})


def fallback_name(login: str) -> str:
    """Return the name a member gets from its login when the IdP sends none: its local part.

    The same rule fills a POST without names and the User representation of a
    member whose names are still empty (an owner who has not set up the
    account yet), so that every User carries the names the schema requires.
    """
    return login.split("@")[0] or login


def service_provider_config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri=Reference[External]("https://github.com/equipage/equipage#scim"),
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=True),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A per-organization token with the scim scope "
                "(equipage token create --org SLUG --scope scim).",
                spec_uri=Reference[External]("https://datatracker.ietf.org/doc/html/rfc6750"),
                primary=True,
            )
        ],
    )


@cache
def provider() -> ScimProvider:
    """Return the description of the service, built once per process."""
    schemas = load_default_schemas()
    user = schemas[USER_SCHEMA]
    for attribute in user.attributes or []:
        if attribute.name in REQUIRED_USER_ATTRIBUTES:
            attribute.required = Required.true
        if attribute.name == "name":
            for sub in attribute.sub_attributes or []:
                if sub.name in REQUIRED_NAME_PARTS:
                    sub.required = Required.true
    return ScimProvider.from_discovery(
        schemas.values(), load_default_resource_types().values(), config=service_provider_config()
    )
