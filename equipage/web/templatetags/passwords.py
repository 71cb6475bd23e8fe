"""``{% password_policy %}``: the organization's password rules, said where a password is chosen."""

from __future__ import annotations

from typing import Any

from django import template

from equipage.organizations.password_policy import policy_summary

register = template.Library()


@register.simple_tag(takes_context=True)
def password_policy(context: dict[str, Any]) -> str:
    """Return the rules of the page's organization (its request's, else the context's)."""
    request = context.get("request")
    org = getattr(request, "organization", None) or context.get("organization")
    return policy_summary(org)
