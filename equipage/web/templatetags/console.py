"""Template filters that turn stored codes into translated labels."""

from __future__ import annotations

from django import template

from equipage.accounts.models import MemberState, Role
from equipage.invitations.guide import Guide

register = template.Library()


def _label(choices: type, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@register.filter
def role_label(value: str) -> str:
    if value == "group_admin":
        from equipage.groups.models import GroupRole

        return _label(GroupRole, value)
    return _label(Role, value)


@register.filter
def state_label(value: str) -> str:
    return _label(MemberState, value)


@register.filter
def guide_label(value: str) -> str:
    return _label(Guide, value)
