"""Membership webhooks: groups joined / left, labels attached / detached, roles changed.

They are read off the audit rows every action writes (``group.member_added``,
``label.attached``, ``member.roles_changed``…, and the import's
``member.created`` / ``member.updated`` rows, which carry the groups, labels
and roles they changed): one event per member, type and listener call, so a
member added to a group and its public ancestors in one action is one
``member.groups_changed`` event naming every group joined.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from equipage.audit.events import EventType
from equipage.webhooks.models import WebhookEvent

GROUPS = WebhookEvent.MEMBER_GROUPS_CHANGED
LABELS = WebhookEvent.MEMBER_LABELS_CHANGED
ROLES = WebhookEvent.MEMBER_ROLES_CHANGED
KINDS = (GROUPS, LABELS, ROLES)

# Audit types that may carry membership changes; any other row is not even looked at.
SOURCES = frozenset(
    {
        EventType.GROUP_MEMBER_ADDED,
        EventType.GROUP_MEMBER_REMOVED,
        EventType.LABEL_ATTACHED,
        EventType.LABEL_DETACHED,
        EventType.MEMBER_ROLES_CHANGED,
        EventType.MEMBER_CREATED,
        EventType.MEMBER_UPDATED,
        EventType.MEMBER_DEACTIVATED,
        EventType.MEMBER_REACTIVATED,
    }
)
# The import writes one member.* row per member with these fields inside, tagged "import".
_IMPORT_ROWS = frozenset(
    {
        EventType.MEMBER_CREATED,
        EventType.MEMBER_UPDATED,
        EventType.MEMBER_DEACTIVATED,
        EventType.MEMBER_REACTIVATED,
    }
)


@dataclass
class Change:
    """One member's membership change of one kind, as its webhook event will tell it."""

    event: WebhookEvent
    member_id: int
    created_at: Any
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    roles_before: list[str] | None = None
    roles_after: list[str] | None = None

    def data(self) -> dict[str, Any]:
        """Return the event's own fields (the member is added by the caller)."""
        if self.event == GROUPS:
            return {"joined": self.added, "left": self.removed}
        if self.event == LABELS:
            return {"attached": self.added, "detached": self.removed}
        return {"roles": {"before": self.roles_before or [], "after": self.roles_after or []}}


class _Names:
    """Group and label ids by name in one organization, looked up once per listener call."""

    def __init__(self, organization_id: int) -> None:
        self.organization_id = organization_id
        self._groups: dict[str, int] | None = None
        self._labels: dict[str, int] | None = None

    def group(self, name: str) -> dict[str, Any]:
        if self._groups is None:
            from equipage.groups.models import Group

            self._groups = dict(
                Group.objects.filter(organization_id=self.organization_id).values_list("name", "pk")
            )
        return {"id": self._groups.get(name), "name": name}

    def label(self, name: str) -> dict[str, Any]:
        if self._labels is None:
            from equipage.groups.models import Label

            self._labels = dict(
                Label.objects.filter(organization_id=self.organization_id).values_list("name", "pk")
            )
        return {"id": self._labels.get(name), "name": name}


def changes(rows: Iterable[Any], wanted: set[str], organization_id: int) -> list[Change]:
    """Return the membership changes the audit ``rows`` tell, one per member and kind."""
    found: dict[tuple[str, int], Change] = {}
    names = _Names(organization_id)

    def change(event: WebhookEvent, row: Any) -> Change:
        key = (event.value, row.member_id)
        held = found.get(key)
        if held is None:
            held = found[key] = Change(event, row.member_id, row.created_at)
        return held

    for row in rows:
        if row.event_type not in SOURCES or not row.member_id:
            continue
        kind = row.event_type
        if kind == EventType.GROUP_MEMBER_ADDED and GROUPS in wanted:
            role = (row.after or {}).get("role", "member")
            group = {"id": int(row.target_id), "name": row.target_label, "role": role}
            change(GROUPS, row).added.append(group)
        elif kind == EventType.GROUP_MEMBER_REMOVED and GROUPS in wanted:
            group = {"id": int(row.target_id), "name": row.target_label}
            change(GROUPS, row).removed.append(group)
        elif kind == EventType.LABEL_ATTACHED and LABELS in wanted:
            change(LABELS, row).added.append(names.label((row.after or {}).get("label", "")))
        elif kind == EventType.LABEL_DETACHED and LABELS in wanted:
            change(LABELS, row).removed.append(names.label((row.before or {}).get("label", "")))
        elif kind == EventType.MEMBER_ROLES_CHANGED and ROLES in wanted:
            held = change(ROLES, row)
            if held.roles_before is None:
                held.roles_before = list((row.before or {}).get("roles", []))
            held.roles_after = list((row.after or {}).get("roles", []))
        elif kind in _IMPORT_ROWS:
            _from_import(row, wanted, names, change)
    return list(found.values())


def _from_import(row: Any, wanted: set[str], names: _Names, change: Any) -> None:
    """Read the groups, labels and roles an import row changed (names, before and after)."""
    after = row.after or {}
    if "import" not in after:
        return  # the console's member.created: its groups have their own group.member_added rows
    before = row.before or {}
    created = row.event_type == EventType.MEMBER_CREATED
    for key, event, lookup in (("groups", GROUPS, names.group), ("labels", LABELS, names.label)):
        if event not in wanted or key not in after:
            continue
        old = set() if created else set(before.get(key) or [])
        new = set(after.get(key) or [])
        if old == new:
            continue
        held = change(event, row)
        held.added.extend(lookup(n) for n in sorted(new - old))
        held.removed.extend(lookup(n) for n in sorted(old - new))
    if ROLES in wanted and not created and "roles" in after:
        held = change(ROLES, row)
        held.roles_before = list(before.get("roles") or [])
        held.roles_after = list(after.get("roles") or [])
