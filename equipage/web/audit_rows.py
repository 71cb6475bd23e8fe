"""Audit events as people read them: who, what, when, from where, and before / after in words.

The trail stores machine values (``{"state": "deactivated", "roles":
["user_admin"]}``); the audit page and its CSV export show them in the
viewer's language — field names translated, states and roles as words,
lists joined, dates in the viewer's time zone — never as raw JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import dateformat, formats, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from equipage.accounts.models import MemberState, Role
from equipage.audit.attempts import ANONYMOUS
from equipage.audit.events import EventType
from equipage.audit.models import AuditEvent
from equipage.groups.models import GroupRole

FIELD_NAMES: dict[str, Promise] = {
    "login": gettext_lazy("Login"),
    "email": gettext_lazy("E-mail"),
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "phone": gettext_lazy("Phone"),
    "job_title": gettext_lazy("Job title"),
    "language": gettext_lazy("Language"),
    "state": gettext_lazy("State"),
    "must_change_password": gettext_lazy("Must change password"),
    "contact_roles": gettext_lazy("Contact roles"),
    "auto_delete_on": gettext_lazy("Auto-deletion date"),
    "external_id": gettext_lazy("External id"),
    "roles": gettext_lazy("Roles"),
    "role": gettext_lazy("Role"),
    "groups": gettext_lazy("Groups"),
    "labels": gettext_lazy("Labels"),
    "label": gettext_lazy("Label"),
    "member": gettext_lazy("Member"),
    "members": gettext_lazy("Members"),
    "name": gettext_lazy("Name"),
    "parent": gettext_lazy("Parent group"),
    "visibility": gettext_lazy("Visibility"),
    "seats": gettext_lazy("Paid seats"),
    "slug": gettext_lazy("Identifier in the address"),
    "via": gettext_lazy("Through"),
    "scope": gettext_lazy("Counter"),
    "failures": gettext_lazy("Failures"),
    "until": gettext_lazy("Until"),
    "count": gettext_lazy("Times"),
    "last_at": gettext_lazy("Last time"),
    "capability": gettext_lazy("Permission"),
    "reason": gettext_lazy("Reason"),
    "message": gettext_lazy("Message"),
    "channel": gettext_lazy("Channel"),
    "known": gettext_lazy("Known account"),
    "identifier_hmac": gettext_lazy("Typed identifier (keyed hash)"),
    "import": gettext_lazy("Import"),
    "scopes": gettext_lazy("Scopes"),
    "owner": gettext_lazy("Owner"),
    "expires_at": gettext_lazy("Expires"),
    "format": gettext_lazy("Format"),
    "revoked": gettext_lazy("Revoked"),
}

ORIGINS: dict[str, Promise] = {
    "web": gettext_lazy("Console"),
    "api": gettext_lazy("API"),
    "scim": gettext_lazy("SCIM"),
    "cli": gettext_lazy("Command line"),
    "import": gettext_lazy("Import"),
    "task": gettext_lazy("System"),
    "test": gettext_lazy("Test"),
}

# Actor labels the system writes (in English, once for every reader), said in the reader's.
SYSTEM_ACTORS: dict[str, Promise] = {
    ANONYMOUS: gettext_lazy("Unidentified visitor"),
    "login throttle": gettext_lazy("Login protection"),
    "password reset": gettext_lazy("Password reset"),
    "auto-deletion": gettext_lazy("Automatic deletion"),
    "invitation expiry": gettext_lazy("Invitation expiry"),
    "system": gettext_lazy("System"),
    "operator": gettext_lazy("Platform operator"),
}

_WORDS: dict[str, dict[str, Any]] = {
    "state": dict(MemberState.choices),
    "roles": dict(Role.choices),
    "role": {**dict(Role.choices), **dict(GroupRole.choices)},
}
_DATES = frozenset({"until", "last_at", "expires_at"})


# What a page says again and again (field names, event names, the date format), by language:
# a page of 50 events otherwise spends most of its time translating the same few words.
_said: dict[tuple[str, str, str], str] = {}


def _say(kind: str, key: str, make: Any) -> str:
    memo = (translation.get_language() or "", kind, key)
    text = _said.get(memo)
    if text is None:
        if len(_said) > 10_000:
            _said.clear()
        text = _said[memo] = str(make())
    return text


@dataclass(frozen=True)
class Change:
    """One field of a before / after, in words."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class ReadableEvent:
    """An audit event as the page and the export show it."""

    id: int
    when: str
    what: str
    who: str
    about: str
    origin: str
    address: str
    changes: list[Change]


def word(key: str, value: Any) -> str:
    """Return ``value`` of field ``key`` in words, in the active language."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    words = _WORDS.get(key)
    if isinstance(value, list):
        return ", ".join(word(key, v) for v in value) if value else "—"
    if isinstance(value, dict):
        return "; ".join(f"{field_name(k)}: {word(k, v)}" for k, v in value.items())
    if words is not None and str(value) in words:
        return _say(key, str(value), lambda: words[str(value)])
    if key in _DATES and isinstance(value, str):
        try:
            return local_time(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def field_name(key: str) -> str:
    label = FIELD_NAMES.get(key)
    return _say("field", key, lambda: label) if label is not None else key.replace("_", " ")


def local_time(moment: dt.datetime) -> str:
    """Return ``moment`` in the current time zone and the active language's short format."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    shape = _say("format", "", lambda: formats.get_format("SHORT_DATETIME_FORMAT"))
    return dateformat.format(moment, shape)


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """Return each field the event names, with its value before and after, in words."""
    before, after = before or {}, after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [
        Change(
            field_name(k),
            word(k, before[k]) if k in before else "",
            word(k, after[k]) if k in after else "",
        )
        for k in keys
    ]


def actor_words(label: str) -> str:
    said = SYSTEM_ACTORS.get(label)
    return _say("actor", label, lambda: said) if said is not None else label


def readable(event: AuditEvent) -> ReadableEvent:
    origin = event.origin or {}
    channel = origin.get("channel", "")
    said = ORIGINS.get(channel)
    return ReadableEvent(
        id=event.pk,
        when=local_time(event.created_at),
        what=_say("event", event.event_type, lambda: _event_name(event.event_type)),
        who=actor_words(event.actor_label),
        about=event.target_label,
        origin=_say("origin", channel, lambda: said) if said is not None else channel,
        address=origin.get("ip", ""),
        changes=changes(event.before, event.after),
    )


def _event_name(event_type: str) -> str:
    try:
        return str(EventType(event_type).label)
    except ValueError:  # a retired type: its name as written
        return event_type


def readable_all(events: Iterable[AuditEvent]) -> Iterator[ReadableEvent]:
    return (readable(e) for e in events)


def export_header() -> list[str]:
    return [
        _("When"),
        _("Event"),
        _("By"),
        _("About"),
        pgettext("where an action came from", "From"),
        _("Address"),
        _("Before"),
        _("After"),
    ]


def export_cells(event: ReadableEvent) -> list[str]:
    """Return one CSV line's cells; before and after as ``field: value`` lines."""
    before = "\n".join(f"{c.field}: {c.before}" for c in event.changes if c.before)
    after = "\n".join(f"{c.field}: {c.after}" for c in event.changes if c.after)
    return [
        event.when,
        event.what,
        event.who,
        event.about,
        event.origin,
        event.address,
        before,
        after,
    ]
