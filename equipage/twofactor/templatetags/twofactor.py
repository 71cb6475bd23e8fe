"""Sections other pages include: the settings page's requirement, a profile's status."""

from __future__ import annotations

from typing import Any

from django import template

from equipage.permissions import Cap, can
from equipage.twofactor.forms import PolicyForm
from equipage.twofactor.selectors import standing_of

register = template.Library()


@register.inclusion_tag("twofactor/_settings_section.html")
def twofactor_settings_section(organization: Any) -> dict[str, Any]:
    form = PolicyForm(
        initial={
            "requirement": organization.twofactor_requirement,
            "grace_days": organization.twofactor_grace_days,
        }
    )
    return {"form": form, "organization": organization}


@register.inclusion_tag("twofactor/_profile_section.html", takes_context=True)
def twofactor_profile_section(context: Any, member: Any) -> dict[str, Any]:
    request = context["request"]
    act = getattr(request, "actor", None)
    is_self = act is not None and act.member is not None and act.member.pk == member.pk
    return {
        "m": member,
        "standing": standing_of(member),
        "is_self": is_self,
        "can_reset": act is not None and not is_self and can(act, Cap.MEMBER_SET_PASSWORD, member),
        "organization": member.organization,
        "csrf_token": context.get("csrf_token"),
    }
