"""The login page's « Sign in with … » button, drawn from the organization's provider."""

from __future__ import annotations

from typing import Any

from django import template

from equipage.organizations.models import Organization
from equipage.sso.selectors import login_button, provider_of

register = template.Library()


@register.inclusion_tag("sso/_login_button.html")
def sso_login_button(organization: Organization, next_url: str = "") -> dict[str, Any]:
    return {"organization": organization, "next": next_url, **login_button(organization)}


@register.inclusion_tag("sso/_settings_card.html")
def sso_settings_card(organization: Organization) -> dict[str, Any]:
    """Return the settings page's card: whether single sign-on is on, and the way to its page."""
    return {"organization": organization, "sso_provider": provider_of(organization)}
