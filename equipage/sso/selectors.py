"""Reading an organization's single sign-on configuration and links."""

from __future__ import annotations

from equipage.instance.links import base_url
from equipage.organizations.models import Organization
from equipage.sso.models import OidcProvider


def provider_of(organization: Organization) -> OidcProvider | None:
    """Return the organization's OpenID provider, enabled or not, or None."""
    return OidcProvider.objects.filter(organization=organization).first()


def enabled_provider(organization: Organization) -> OidcProvider | None:
    """Return the provider members may sign in with now, or None."""
    return OidcProvider.objects.filter(organization=organization, enabled=True).first()


def redirect_uri(organization: Organization) -> str:
    """Return the URI the admin registers at the provider (its "sign-in redirect URI")."""
    return f"{base_url()}/o/{organization.slug}/sso/callback"


def login_button(organization: Organization) -> dict[str, object]:
    """Return the login page's context for the « Sign in with … » button (empty when off)."""
    provider = enabled_provider(organization)
    return {"sso_provider": provider} if provider is not None else {}
