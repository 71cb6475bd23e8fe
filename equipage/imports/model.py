"""What the roster import compares and what its plan says, as plain data: no database.

``Current`` / ``Members``: the members as the database holds them (columns, not
an object per member); ``Scope``: what the importing actor may do, from the
permission module (``imports.selectors.import_scope``); ``Change`` /
``NewMemberChange`` / ``Skip`` / ``Plan``: what an apply would write, and why
some lines are skipped. ``imports.plan`` fills them; ``imports.actions`` applies them.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from equipage.imports.reader import Problem
from equipage.imports.validate import Row

DEACTIVATED = "deactivated"
ACTIVE = "active"
NO_IDS: frozenset[int] = frozenset()


@dataclass(slots=True)
class Current:
    """A member as the database holds it (only what the import compares)."""

    pk: int
    login: str
    email: str
    first_name: str
    last_name: str
    state: str
    roles: frozenset[str] = frozenset({"member"})
    groups: frozenset[int] = frozenset()
    admin_groups: frozenset[int] = frozenset()
    labels: frozenset[int] = frozenset()
    custom: dict[str, str] | None = None  # None: no custom value (one dict less per member)
    contact: dict[str, Any] | None = None  # None: no phone, job title or contact role


MEMBER_ONLY: frozenset[str] = frozenset({"member"})
NO_GROUPS: frozenset[int] = frozenset()


class Members:
    """The members as the import compares them: a column per field, not an object per member.

    A million ``Current`` objects cost about 310 MB; these columns about 190
    MB, most of it the logins and e-mails themselves. The relations are kept
    for the members that have some (position -> value). ``get`` makes the
    ``Current`` of one member, when a line differs from it or a change needs it.
    """

    __slots__ = (
        "admin_groups",
        "contact",
        "custom",
        "emails",
        "first_names",
        "groups",
        "labels",
        "last_names",
        "logins",
        "pks",
        "roles",
        "states",
    )

    def __init__(self) -> None:
        self.pks: array[int] = array("q")
        self.logins: list[str] = []
        self.emails: list[str] = []
        self.first_names: list[str] = []
        self.last_names: list[str] = []
        self.states: list[str] = []
        self.roles: dict[int, frozenset[str]] = {}  # absent: {"member"}
        self.groups: dict[int, frozenset[int]] = {}
        self.admin_groups: dict[int, frozenset[int]] = {}
        self.labels: dict[int, frozenset[int]] = {}
        self.custom: dict[int, dict[str, str]] = {}
        self.contact: dict[int, dict[str, Any]] = {}

    @classmethod
    def of(cls, current: Iterable[Current]) -> Members:
        """Return the columns of ``Current`` records, in their order."""
        members = cls()
        for i, m in enumerate(current):
            members.add(m.pk, m.login, m.email, m.first_name, m.last_name, m.state)
            for holder, value, default in (
                (members.roles, m.roles, MEMBER_ONLY),
                (members.groups, m.groups, NO_GROUPS),
                (members.admin_groups, m.admin_groups, NO_GROUPS),
                (members.labels, m.labels, NO_GROUPS),
            ):
                if value != default:
                    holder[i] = value  # type: ignore[assignment]
            if m.custom is not None:
                members.custom[i] = m.custom
            if m.contact is not None:
                members.contact[i] = m.contact
        return members

    def add(
        self, pk: int, login: str, email: str, first_name: str, last_name: str, state: str
    ) -> None:
        self.pks.append(pk)
        self.logins.append(login)
        self.emails.append(email)
        self.first_names.append(first_name)
        self.last_names.append(last_name)
        self.states.append(state)

    def __len__(self) -> int:
        return len(self.pks)

    def get(self, i: int) -> Current:
        """Return the member at position ``i`` as a ``Current`` record."""
        return Current(
            self.pks[i],
            self.logins[i],
            self.emails[i],
            self.first_names[i],
            self.last_names[i],
            self.states[i],
            self.roles.get(i, MEMBER_ONLY),
            self.groups.get(i, NO_GROUPS),
            self.admin_groups.get(i, NO_GROUPS),
            self.labels.get(i, NO_GROUPS),
            self.custom.get(i),
            self.contact.get(i),
        )


@dataclass(frozen=True, slots=True)
class GroupInfo:
    pk: int
    name: str
    parent_id: int | None
    private: bool


@dataclass
class Scope:
    """What the importing actor may do, precomputed from the permission module.

    ``None`` for a set of ids means "every member of the organization".
    """

    mode: str = "sync"
    owner_id: int | None = None
    actor_id: int | None = None
    visible: set[int] | None = None
    updatable: set[int] | None = None
    deactivatable: set[int] | None = None
    grantable: frozenset[str] = frozenset({"admin", "user_admin", "member"})
    group_reach: frozenset[int] | None = None  # None: any group
    needs_group: bool = False  # group admins must put new members in one of their groups
    can_assign_labels: bool = True
    groups: dict[int, GroupInfo] = field(default_factory=dict)
    label_ids: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Change:
    """One member the apply writes: a new one (``pk`` None) or field changes of an existing one."""

    line: int | None
    login: str
    pk: int | None = None
    row: Row | None = None
    fields: dict[str, list[Any]] = field(default_factory=dict)
    add_groups: frozenset[int] = frozenset()
    remove_groups: frozenset[int] = frozenset()
    add_labels: frozenset[int] = frozenset()
    remove_labels: frozenset[int] = frozenset()
    state_before: str = ""
    # The member as the database held it (updates and deactivations): the apply reads it.
    current: Current | None = None

    @property
    def kind(self) -> str:
        if self.pk is None:
            return "added"
        state = self.fields.get("state")
        if state and state[1] == DEACTIVATED:
            return "deactivated"
        return "updated"

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "login": self.login,
            "change": self.kind,
            "fields": {k: {"before": v[0], "after": v[1]} for k, v in self.fields.items()},
        }


class NewMemberChange:
    """A member to add, read like a ``Change`` whose ``pk`` is None.

    A fresh import holds one per line. The usual new member (its login given
    in the file; no group, label or custom value) keeps its row only: one
    slot, where a ``Change`` has eleven. Its line and field list are derived
    from its row when read (a dict of field pairs per member cost about 1 kB).
    ``NewMemberWithMore`` holds the rest.
    """

    __slots__ = ("row",)

    pk: None = None
    remove_groups: frozenset[int] = frozenset()
    remove_labels: frozenset[int] = frozenset()
    add_groups: frozenset[int] = frozenset()
    add_labels: frozenset[int] = frozenset()
    extra: dict[str, Any] | None = None  # groups, labels and custom values: field -> value after
    state_before = ""
    current: Current | None = None
    kind = "added"

    def __init__(self, row: Row) -> None:
        self.row = row

    @property
    def login(self) -> str:
        return self.row.login

    @property
    def line(self) -> int:
        return self.row.line

    @property
    def fields(self) -> dict[str, list[Any]]:
        return {key: [None, value] for key, value in self.values().items()}

    def as_dict(self) -> dict[str, Any]:
        return Change.as_dict(self)  # type: ignore[arg-type]

    def values(self) -> dict[str, Any]:
        """Return each field's value after the import (the audit's ``after``)."""
        row = self.row
        out: dict[str, Any] = {
            "login": self.login,
            "last_name": row.last_name,
            "first_name": row.first_name,
            "email": row.email,
            "state": ACTIVE if row.active else DEACTIVATED,
            "roles": self.roles(),
        }
        if self.extra:
            out.update(self.extra)
        return out

    def roles(self) -> list[str]:
        """Return the new member's roles, sorted (``member`` when the file gives none)."""
        return sorted(set(self.row.roles or ()) or {"member"})


class NewMemberWithMore(NewMemberChange):
    """A member to add with a made-up login, groups, labels or custom values."""

    __slots__ = ("add_groups", "add_labels", "extra", "login")

    def __init__(
        self,
        login: str,
        row: Row,
        add_groups: frozenset[int],
        add_labels: frozenset[int],
        extra: dict[str, Any] | None,
    ) -> None:
        self.login, self.row = login, row  # type: ignore[misc]
        self.add_groups, self.add_labels = add_groups, add_labels
        self.extra = extra


AnyChange = Change | NewMemberChange


@dataclass(frozen=True, slots=True)
class Skip:
    line: int | None
    login: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "login": self.login, "reason": self.reason}


@dataclass
class Plan:
    changes: list[AnyChange] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Skip] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    active_before: int = 0
    # Existing members whose given password must be compared with their hash before applying.
    password_checks: list[Change] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def deactivating_active(self) -> int:
        return sum(1 for c in self.changes if c.kind == "deactivated" and c.state_before == ACTIVE)

    @property
    def needs_mass_confirmation(self) -> bool:
        """Tell whether the sync deactivates more than half of the active members, and > 10."""
        n = self.deactivating_active
        return n > 10 and n * 2 > self.active_before

    def seats_needed(self) -> int:
        """Return the net change of active accounts (new active + reactivated − deactivated)."""
        net = 0
        for c in self.changes:
            if c.pk is None:
                net += 1 if c.row is not None and c.row.active else 0
            elif "state" in c.fields:
                if c.fields["state"][1] == ACTIVE:
                    net += 1
                elif c.state_before == ACTIVE:
                    net -= 1
        return net
