"""The login page's « Sign in with … » button, drawn from the organization's provider."""

from __future__ import annotations

from typing import Any

from django import template

from equipage.organizations.models import Organization
from equipage.sso.selectors import login_button

register = template.Library()


@register.inclusion_tag("sso/_login_button.html")
def sso_login_button(organization: Organization, next_url: str = "") -> dict[str, Any]:
    return {"organization": organization, "next": next_url, **login_button(organization)}
