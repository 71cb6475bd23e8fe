"""Template filters that turn stored codes into translated labels."""

from __future__ import annotations

import functools

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_noop

from equipage.accounts.models import MemberState, Role
from equipage.invitations.guide import Guide

register = template.Library()


def _label(choices: type, value: str) -> str:
    # Fifty rows ask for ~150 labels: an enum lookup and a translation each, cached per language.
    return _translated_label(choices, value, get_language())


@functools.lru_cache(maxsize=512)
def _translated_label(choices: type, value: str, language: str | None) -> str:
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


# The console's navigation, laid out once per language, entries and current page: on every
# console page its loop, tests and lazy labels were a tenth of the template's CPU (#20).
_NAV_KEPT: dict[tuple[object, ...], SafeString] = {}
_NAV_KEPT_MAX = 512


@register.simple_tag(takes_context=True)
def nav_links(context: template.Context) -> SafeString:
    """Return the navigation's links (the entries ``web.context.navigation`` allows)."""
    if not context.get("organization"):
        return mark_safe("")
    entries = context.get("nav_entries") or []
    current = context.get("nav")
    key = (get_language(), current, *((e["key"], e["url"], str(e["label"])) for e in entries))
    kept = _NAV_KEPT.get(key)
    if kept is None:
        links = (
            f'<a href="{conditional_escape(e["url"])}" '
            f"{'aria-current="page"' if current == e['key'] else ''}>"
            f"{conditional_escape(e['label'])}</a>"
            for e in entries
        )
        kept = mark_safe("".join(links))  # noqa: S308 (each value escaped)
        if len(_NAV_KEPT) >= _NAV_KEPT_MAX:
            _NAV_KEPT.clear()
        _NAV_KEPT[key] = kept
    return kept


@register.simple_tag
def members_thead(query: object) -> SafeString:
    """The directory table's head (``web.member_rows.render_members_thead``)."""
    from equipage.web.member_rows import render_members_thead

    return render_members_thead(query)


# Labels defined by apps without a French catalog of their own yet (the Guide, the outbox):
# listed here so that makemessages puts them in the console's catalog.
_CONSOLE_WORDS = (
    gettext_noop("Invite"),
    gettext_noop("Wait"),
    gettext_noop("OK"),
    gettext_noop("Resend invitation"),
    gettext_noop("Reactivate"),
    gettext_noop("Check e-mail address"),
    gettext_noop("Set your password"),
    gettext_noop("Password reset"),
    gettext_noop("Invitation"),
    gettext_noop("Credentials"),
    gettext_noop("Account created"),
    gettext_noop("Ownership transfer"),
    gettext_noop("Deactivation notice"),
    gettext_noop("Waiting"),
    gettext_noop("Sending"),
    gettext_noop("Sent"),
    gettext_noop("Failed"),
    gettext_noop("Unknown"),
    gettext_noop("Delivered"),
    gettext_noop("Bounced"),
    gettext_noop("Complained"),
)


def person_name(first_name: str, last_name: str, email: str = "", login: str = "") -> str:
    """Name a person; an invitee without a name yet is named by their e-mail (then login)."""
    return f"{first_name} {last_name}".strip() or email or login


@register.filter
def person(member: object) -> str:
    """Name a member as everywhere in the console: full name, else e-mail, else login."""
    if not hasattr(member, "first_name"):
        return str(member)  # a bulk result may skip a bare id it could not load
    return person_name(
        getattr(member, "first_name", ""),
        getattr(member, "last_name", ""),
        getattr(member, "email", ""),
        getattr(member, "login", ""),
    )


@register.filter(is_safe=True)
def elide(value: str, name: str) -> str:
    """« de Atelier Boréal » → « d’Atelier Boréal » in French: ``{{ text|elide:org.name }}``."""
    from django.utils.html import conditional_escape
    from django.utils.safestring import mark_safe

    from equipage.core.elision import elide as french_elide

    # Both the text and the name are escaped first; the elision only adds « ’ ».
    escaped = french_elide(str(conditional_escape(value)), str(conditional_escape(name)))
    return mark_safe(escaped)  # noqa: S308
