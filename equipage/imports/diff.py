"""The diff between a validated roster and the organization: pure functions over plain data.

Given the file's rows, the members as they are and what the importing actor
may do, ``compute_plan`` says exactly what an apply would do — who is added,
updated (field by field), deactivated, left unchanged or skipped and why —
and every error that forbids the apply. No database here.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import Any

from equipage.accounts.rules import (
    Refusal,
    deactivation_refusal,
    groups_refusal,
    own_roles_refusal,
    ownership_refusal,
    ungrantable_roles,
    update_refusal,
)
from equipage.core.text import default_login
from equipage.imports import columns as C
from equipage.imports.listnames import AMBIGUOUS, ListNames
from equipage.imports.problems import msg, row_who, rule_msg
from equipage.imports.reader import TYPED_CELLS, Problem
from equipage.imports.twins import Twins
from equipage.imports.validate import Row, typed_problem

DEACTIVATED = "deactivated"
ACTIVE = "active"
_NO_IDS: frozenset[int] = frozenset()


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
_NO_GROUPS: frozenset[int] = frozenset()


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
                (members.groups, m.groups, _NO_GROUPS),
                (members.admin_groups, m.admin_groups, _NO_GROUPS),
                (members.labels, m.labels, _NO_GROUPS),
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
            self.groups.get(i, _NO_GROUPS),
            self.admin_groups.get(i, _NO_GROUPS),
            self.labels.get(i, _NO_GROUPS),
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


def propagation(groups: dict[int, GroupInfo], group_id: int) -> list[int]:
    """Return the groups a plain member added to ``group_id`` joins: seed 002's rule.

    A public group passes its members up to every ancestor, up to and including
    the first private one; a private group passes nothing on.
    """
    out = [group_id]
    group = groups[group_id]
    if group.private:
        return out
    parent = group.parent_id
    while parent is not None and parent in groups:
        out.append(parent)
        if groups[parent].private:
            break
        parent = groups[parent].parent_id
    return out


def next_free(base: str, taken: Container[str]) -> str:
    """Return ``base``, else ``base2``, ``base3``... the first not in ``taken`` (lower-cased)."""
    if base.lower() not in taken:
        return base
    n = 2
    while f"{base}{n}".lower() in taken:
        n += 1
    return f"{base}{n}"


def compute_plan(
    rows: Iterable[Row],
    current: Members | Iterable[Current],
    scope: Scope,
    columns: dict[str, str],
) -> Plan:
    """Compare the file's rows with the members; say what an apply would do, and every error.

    ``columns`` maps column keys to the headers as written (for error messages).
    ``rows`` is read once, in the file's order, and a row that changes nothing
    is not kept: a big file can be compared as it is read. Errors come in no
    particular order (the report sorts them by line and column); changes come
    in the file's order, then the deactivations.
    """
    plan = Plan()
    members = current if isinstance(current, Members) else Members.of(current)
    plan.active_before = members.states.count(ACTIVE)
    group_by_name = _by_folded_name((g.name, g.pk) for g in scope.groups.values())
    label_by_name = _by_folded_name(scope.label_ids.items())

    def col(key: str) -> str:
        return columns.get(key) or C.COLUMN_BY_KEY[key].fr

    matching = _Matching(members)
    email_column = C.EMAIL in columns
    emails, first_names, last_names = members.emails, members.first_names, members.last_names
    states, held_roles = members.states, members.roles
    # The lines that give an e-mail their member does not hold (a new member's, a new
    # address) when another member holds it now: checked once every line is read, against
    # who holds what in the end. An address no member holds now is given by one line
    # alone (a second line giving it is "the same member"): it cannot be taken.
    claims: list[tuple[int, str, int | None]] = []
    by_email = matching.by_email
    moved: dict[int, str] = {}  # member position -> the e-mail their line gives instead
    deferred: list[Row] = []  # new members without a login: made once every login is known
    roles_ok: dict[tuple[str, ...] | None, bool] = {}
    wanted_roles: dict[tuple[str, ...], frozenset[str]] = {}
    no_logins: set[str] = set()  # only the new members without a login need the logins in use
    placeholders = False
    for row, target in matching.pairs(rows, col, plan.errors):
        if email_column and (target is None or row.email != emails[target]):
            if target is not None:
                moved[target] = row.email
            if row.email and _lower(row.email) in by_email:
                claims.append((row.line, row.email, target))
        if target is None:
            if not row.login:
                deferred.append(row)
                continue
            if (
                row.last_name
                and row.first_name
                and row.groups is None
                and row.labels is None
                and not row.custom
                and row.contact is None
                and row.active != C.PENDING
                and not scope.needs_group
            ):
                # The usual new member: only its roles can refuse it, the same way for
                # every line with the same roles cell (_plan_new's outcome, without its work).
                ok = roles_ok.get(row.roles)
                if ok is None:
                    trial = Plan()
                    _check_roles(row, set(), set(row.roles or ()) or {"member"}, scope, trial, col)
                    ok = roles_ok[row.roles] = not trial.errors
                if ok:
                    # The row itself holds its place among the changes until the maps are
                    # freed (a million new members: their changes never meet the maps).
                    plan.changes.append(row)  # type: ignore[arg-type]
                    placeholders = True
                    continue
            _plan_new(row, scope, plan, no_logins, col, group_by_name, label_by_name)
            continue
        # The usual line of a member: the same as the member in every cell (what
        # _plan_update would find, without making the member's record).
        more = row.optional
        if (
            row.password is None
            and row.last_name == last_names[target]
            and row.first_name == first_names[target]
            and (not email_column or row.email == emails[target])
            and row.active == (states[target] != DEACTIVATED)
        ):
            if more is None:
                plan.unchanged += 1
                continue
            groups, given_roles, labels, custom, contact = more
            if (
                groups is None
                and labels is None
                and not custom
                and contact is None
                and given_roles is not None
            ):
                wanted = wanted_roles.get(given_roles)
                if wanted is None:
                    wanted = wanted_roles[given_roles] = frozenset(given_roles) or MEMBER_ONLY
                if wanted == held_roles.get(target, MEMBER_ONLY):
                    plan.unchanged += 1
                    continue
        _plan_update(
            row, members.get(target), scope, plan, col, group_by_name, label_by_name, columns
        )
    if deferred:
        taken = matching.taken()
        for row in deferred:
            _plan_new(row, scope, plan, taken, col, group_by_name, label_by_name)
    if deferred or matching.late:
        plan.changes.sort(key=attrgetter("line"))  # back in the file's order
    matched, shared_emails = matching.line_marks, matching.shared_emails
    del matching, deferred, by_email  # the maps go before the e-mails are checked
    if placeholders:
        changes: list[Any] = plan.changes
        for i, change in enumerate(changes):
            if type(change) is Row:
                changes[i] = NewMemberChange(change)
    if email_column:
        _check_emails(members, matched, shared_emails, claims, moved, col, plan.errors)
    del claims, moved

    if scope.mode == "sync":
        absent = [
            i
            for i, (line, state) in enumerate(zip(matched, states, strict=True))
            if not line and state != DEACTIVATED
        ]
        for i in absent:
            pk, login = members.pks[i], members.logins[i]
            if not _within(scope.visible, pk):
                continue
            refusal = _deactivation_refusal(pk, states[i], scope)
            if refusal:
                plan.skipped.append(Skip(None, login, rule_msg(refusal)))
            else:
                plan.changes.append(
                    Change(
                        line=None,
                        login=login,
                        pk=pk,
                        fields={"state": [states[i], DEACTIVATED]},
                        state_before=states[i],
                        current=members.get(i),
                    )
                )
    return plan


class _Matching:
    """Find the member each line updates, by login, else e-mail, else default login.

    Members are found by position in ``Members``. The maps are keyed by the
    members' own texts, and what the lines named is marked in arrays by
    position (the line that named a member's login, gave its e-mail, matched
    it); only the texts no member holds are kept in maps of their own. A line
    that changes nothing is then let go once compared.
    """

    def __init__(self, members: Members) -> None:
        n = len(members)
        logins, emails = members.logins, members.emails
        self.logins = logins
        positions = list(range(n))  # one int object per member, shared by the maps
        self.by_login = dict(zip(logins, positions, strict=True))
        # Case-insensitive logins: the first member (in this order) of each lower-cased
        # login. Logins are mostly lower-case already; those are found in ``by_login``
        # itself, and only the others need a map, unless one of them clashes with a
        # lower-case login.
        by_login_ci: dict[str, int] = {}
        for login, i in zip(logins, positions, strict=True):
            low = login.lower()
            if low != login:
                by_login_ci.setdefault(low, i)
        self.clash = any(low in self.by_login for low in by_login_ci)
        if self.clash:
            by_login_ci = {}
            for login, i in zip(logins, positions, strict=True):
                by_login_ci.setdefault(_lower(login), i)
        self.by_login_ci = by_login_ci
        # By e-mail, the last member holding each (lower-cased) address matches.
        self.by_email = {_lower(e): i for e, i in zip(emails, positions, strict=True) if e}
        del positions
        # The addresses more than one member holds now (rare: none, usually).
        self.shared_emails: set[str] = set()
        if len(self.by_email) < n - emails.count(""):
            counts = Counter(_lower(e) for e in emails if e)
            self.shared_emails = {email for email, k in counts.items() if k > 1}
        zeros = array("I", [0]) * n
        self.login_marks, self.email_marks, self.line_marks = zeros, zeros[:], zeros[:]
        # The lower-cased logins, e-mails and default logins the lines gave that no member
        # holds, with the line that gave each first.
        self.other_logins: dict[str, int] = {}
        self.other_emails: dict[str, int] = {}
        self.other_defaults: dict[str, int] = {}
        self.twins = Twins(logins, self.member_of)
        self.late = False  # a line was yielded after the lines that follow it

    def member_of(self, key: str) -> int | None:
        """Return the member whose lower-cased login is ``key`` (the first, in a clash)."""
        if self.clash:
            return self.by_login_ci.get(key)
        found = self.by_login.get(key)
        return self.by_login_ci.get(key) if found is None else found

    def taken(self) -> _Taken:
        """Return the logins in use: the members', the file's, and those made up from now."""
        return _Taken(self)

    def pairs(
        self, rows: Iterable[Row], col: Any, errors: list[Problem]
    ) -> Iterator[tuple[Row, int | None]]:
        """Yield each line with the position of the member it updates (None: a new one).

        A second line for one member is an error ("same member as line N") and
        is not yielded. Lines come in the file's order, but for a line whose
        login is the spreadsheet-made twin of a member's (``twins``): once
        every line is read, it is an error naming the cause when no other line
        names that member, else a new member, yielded last.
        """
        by_login, by_email, member_of = self.by_login, self.by_email, self.member_of
        login_marks, email_marks, line_marks = self.login_marks, self.email_marks, self.line_marks
        other_logins, other_emails = self.other_logins, self.other_emails
        other_defaults = self.other_defaults

        def name(key: str, line: int, into: dict[str, int]) -> tuple[int, int | None]:
            """Mark the lower-cased login ``key`` as named by ``line``.

            Return the line that named it first (0: none) and its member.
            ``into`` keeps the keys no member holds: the file's logins, or the
            default logins of the lines without one.
            """
            named = member_of(key)
            if named is not None:
                seen = login_marks[named]
                if not seen:
                    login_marks[named] = line
                return seen, named
            seen = other_logins.get(key) or other_defaults.get(key, 0)
            if not seen:
                into[key] = line
            elif into is other_logins:  # a login in the file, not to be made up for another
                other_logins.setdefault(key, seen)
            return seen, None

        twins: list[tuple[Row, int, str]] = []  # (line, its member's position, the cause)
        for row in rows:
            target: int | None = None
            twin: tuple[int, str] | None = None
            login, email, line = row.login, row.email, row.line
            if login:
                key = login.lower()
                if key == login:
                    key = login  # one string object, not two (memory)
                seen, named = name(key, line, other_logins)
                if seen:
                    errors.append(_same(row, col(C.LOGIN), seen))
                    continue
                target = by_login.get(login)
                if target is None:
                    target = named
                if target is None:
                    twin = self.twins.of(login)
                    if twin is None and isinstance(login, TYPED_CELLS):
                        typed = typed_problem(C.LOGIN, login)
                        if typed is not None:  # a date, a boolean: not a login anybody typed
                            errors.append(Problem(line, col(C.LOGIN), typed, who=row_who(row)))
                            continue
            if email:
                key = email.lower()
                if key == email:
                    key = email
                holder = by_email.get(key)
                seen = email_marks[holder] if holder is not None else other_emails.get(key, 0)
                if seen:
                    errors.append(_same(row, col(C.EMAIL), seen))
                    continue
                if holder is not None:
                    email_marks[holder] = line
                else:
                    other_emails[key] = line
                if not login:
                    target = holder
            elif not login:
                base = default_login(row.first_name, row.last_name) or "member"
                seen, named = name(base, line, other_defaults)
                if seen:
                    errors.append(_same(row, col(C.LAST_NAME), seen))
                    continue
                target = by_login.get(base)
                if target is None:
                    target = named
            if twin is not None:
                twins.append((row, *twin))
                continue
            if target is not None:
                if line_marks[target]:
                    column = col(C.LOGIN) if login else col(C.EMAIL)
                    errors.append(_same(row, column, line_marks[target]))
                    continue
                line_marks[target] = line
            yield row, target
        for row, twin_of, cause in twins:
            if login_marks[twin_of]:  # the member's own login is in the file too: a new login
                self.late = True
                yield row, None
                continue
            errors.append(twin_problem(row, col(C.LOGIN), self.logins[twin_of], cause))
            if not line_marks[twin_of]:
                line_marks[twin_of] = row.line  # its line is in error: it is not deactivated


class _Taken:
    """The lower-cased logins in use, for making up new ones: ``in`` and ``add``, like a set."""

    def __init__(self, matching: _Matching) -> None:
        self._member_of = matching.member_of
        self._file = matching.other_logins
        self._made: set[str] = set()

    def __contains__(self, login: object) -> bool:
        return isinstance(login, str) and (
            login in self._made or login in self._file or self._member_of(login) is not None
        )

    def add(self, login: str) -> None:
        self._made.add(login)


def _check_emails(
    members: Members,
    line_marks: array[int],
    shared: set[str],
    claims: list[tuple[int, str, int | None]],
    moved: dict[int, str],
    col: Any,
    errors: list[Problem],
) -> None:
    """Refuse the lines whose e-mail another member holds once the file is applied.

    Each address ends up with one member only (a member's own line may give
    theirs away). Who holds which address in the end: the members who had
    one, in the members' order, with the one their line gives instead; then
    those the file gives their first, in the file's order. Only the addresses
    that can end up with two holders are looked at: those the lines claim from
    another member (``claims``) and those more than one member holds now
    (``shared``).
    ``line_marks`` gives, by position, the line matched with each member.
    """
    wanted = {_lower(email) for _line, email, _member in claims} | shared
    if not wanted:
        return
    emails = members.emails
    holder_of: dict[str, int] = {}
    more_holders: dict[str, list[int]] = {}

    def hold(email: str, i: int) -> None:
        if email in wanted:
            if email in holder_of:
                more_holders.setdefault(email, []).append(i)
            else:
                holder_of[email] = i

    instead = moved.get
    for i, email in enumerate(emails):
        if email:
            hold(_lower(instead(i, email)), i)
    for _line, email, member in claims:
        if member is not None and not emails[member]:
            hold(_lower(email), member)
    checks = list(claims)
    for email, more in more_holders.items():
        for i in (holder_of[email], *more):
            if line_marks[i] and emails[i] and i not in moved:  # its line gave what it holds
                checks.append((line_marks[i], emails[i], i))
    checks.sort(key=itemgetter(0))
    for line, given, claimant in checks:
        email = _lower(given)
        first = holder_of.get(email)
        if first is None or (first == claimant and email not in more_holders):
            continue
        others = [h for h in (first, *more_holders.get(email, ())) if h != claimant]
        if others:
            errors.append(
                Problem(
                    line,
                    col(C.EMAIL),
                    msg("email_taken", {"e": given, "l": members.logins[others[0]]}),
                )
            )


def _lower(text: str) -> str:
    """Return ``text`` lower-cased, the same object when it already is (memory)."""
    low = text.lower()
    return text if low == text else low


def twin_problem(row: Row, column: str, login: str, cause: str) -> Problem:
    """Say that the line's login is probably the member ``login``'s, turned by a spreadsheet."""
    return Problem(
        row.line,
        column,
        msg(f"login_twin_{cause}", {"v": row.login, "l": login}),
        who=row_who(row),
    )


def _same(row: Row, column: str, first_line: int) -> Problem:
    return Problem(row.line, column, msg("same_member", {"n": first_line}), who=row_who(row))


def _by_folded_name(pairs: Iterable[tuple[str, int]]) -> ListNames:
    """Return the names as the import reads a cell of them (``AMBIGUOUS`` when two share one)."""
    return ListNames(pairs)


def _resolve_groups(
    row: Row, scope: Scope, plan: Plan, col: Any, group_by_name: ListNames
) -> set[int] | None:
    if row.groups is None:
        return None
    ids: set[int] = set()
    for name, pk in group_by_name.read(row.groups):
        if pk is None or pk == AMBIGUOUS:
            code = "group_unknown" if pk is None else "group_ambiguous"
            plan.errors.append(
                Problem(row.line, col(C.GROUPS), msg(code, {"g": name}), who=row_who(row))
            )
        else:
            ids.add(pk)
    return ids


def _resolve_labels(row: Row, plan: Plan, col: Any, label_by_name: ListNames) -> set[int] | None:
    if row.labels is None:
        return None
    ids: set[int] = set()
    for name, pk in label_by_name.read(row.labels):
        if pk is None or pk == AMBIGUOUS:
            code = "label_unknown" if pk is None else "label_ambiguous"
            plan.errors.append(
                Problem(row.line, col(C.LABELS), msg(code, {"g": name}), who=row_who(row))
            )
        else:
            ids.add(pk)
    return ids


def _within(ids: set[int] | None, pk: int) -> bool:
    """Tell whether ``pk`` is in a scope's set of ids (None: every member)."""
    return ids is None or pk in ids


def _plan_new(
    row: Row,
    scope: Scope,
    plan: Plan,
    taken: set[str] | _Taken,
    col: Any,
    group_by_name: ListNames,
    label_by_name: ListNames,
) -> None:
    errors = len(plan.errors)
    _require_names(row, None, plan, col)
    if row.active == C.PENDING:
        plan.errors.append(
            Problem(row.line, col(C.STATE), msg("state_pending_new"), who=row_who(row))
        )
    groups = _resolve_groups(row, scope, plan, col, group_by_name)
    labels = _resolve_labels(row, plan, col, label_by_name)
    refusal = groups_refusal(groups or (), scope.group_reach, need_one=scope.needs_group)
    if refusal:
        plan.errors.append(Problem(row.line, col(C.GROUPS), rule_msg(refusal), who=row_who(row)))
    if labels and not scope.can_assign_labels:
        plan.errors.append(
            Problem(row.line, col(C.LABELS), msg("labels_forbidden"), who=row_who(row))
        )
    roles = set(row.roles or ()) or {"member"}
    _check_roles(row, set(), roles, scope, plan, col)
    if len(plan.errors) > errors:
        return
    if row.login:
        login = row.login
    else:
        base = default_login(row.first_name, row.last_name) or (
            row.email.split("@")[0].lower() if row.email else "member"
        )
        login = next_free(base, taken)
        taken.add(login.lower())
    add_groups: set[int] = set()
    for gid in groups or ():
        add_groups.update(propagation(scope.groups, gid))
    extra: dict[str, Any] = {}
    if groups:
        extra["groups"] = _names(scope, add_groups)
    if labels:
        extra["labels"] = sorted(_label_names(scope, labels))
    if row.custom:
        for key, value in row.custom.items():
            if value:
                extra[f"custom:{key}"] = value
    for key, value in (row.contact or {}).items():
        if value:
            extra[key] = value
    plan.changes.append(
        NewMemberWithMore(
            login,
            row,
            frozenset(add_groups) if add_groups else _NO_IDS,
            frozenset(labels) if labels else _NO_IDS,
            extra or None,
        )
    )


def _require_names(row: Row, member: Current | None, plan: Plan, col: Any) -> None:
    """Refuse an empty name cell for a new member, or for a member whose stored name is not empty.

    A member created without a name (an identity provider may send none) is
    exported with an empty cell: importing that file back changes nothing.
    """
    for key, given, held in (
        (C.LAST_NAME, row.last_name, member.last_name if member else None),
        (C.FIRST_NAME, row.first_name, member.first_name if member else None),
    ):
        if not given and held != "":
            plan.errors.append(Problem(row.line, col(key), msg("cell_required"), who=row_who(row)))


def _check_roles(
    row: Row, before: set[str], after: set[str], scope: Scope, plan: Plan, col: Any
) -> None:
    if before == after:
        return
    owner = ownership_refusal(before, after)
    if owner:
        plan.errors.append(Problem(row.line, col(C.ROLES), rule_msg(owner), who=row_who(row)))
        return
    refused = ungrantable_roles(sorted(before ^ after), scope.grantable)
    if refused:
        plan.errors.append(
            Problem(
                row.line,
                col(C.ROLES),
                rule_msg(Refusal.ROLE_NOT_GRANTABLE, {"r": ", ".join(refused)}),
                who=row_who(row),
            )
        )


def _plan_update(
    row: Row,
    m: Current,
    scope: Scope,
    plan: Plan,
    col: Any,
    group_by_name: ListNames,
    label_by_name: ListNames,
    columns: dict[str, str],
) -> None:
    errors = len(plan.errors)
    _require_names(row, m, plan, col)
    fields: dict[str, list[Any]] = {}
    if row.last_name != m.last_name:
        fields["last_name"] = [m.last_name, row.last_name]
    if row.first_name != m.first_name:
        fields["first_name"] = [m.first_name, row.first_name]
    if C.EMAIL in columns and row.email != m.email:
        fields["email"] = [m.email, row.email]
    if row.active == C.PENDING:
        # « Invité » / « Non invité » keep a pending member as they are; they cannot make
        # anyone pending (an active member stays active: the file is older than the accepted
        # invitation), and a deactivated member's line must say Activé or Désactivé.
        if m.state == DEACTIVATED:
            plan.errors.append(
                Problem(row.line, col(C.STATE), msg("state_pending_deactivated"), who=row_who(row))
            )
    elif row.active and m.state == DEACTIVATED:
        fields["state"] = [m.state, ACTIVE]
    elif not row.active and m.state != DEACTIVATED:
        fields["state"] = [m.state, DEACTIVATED]
    if row.roles is not None:
        wanted = set(row.roles) or {"member"}
        if wanted != set(m.roles):
            _check_roles(row, set(m.roles), wanted, scope, plan, col)
            own = own_roles_refusal(m.pk == scope.actor_id, set(m.roles) - wanted)
            if own:
                plan.errors.append(Problem(row.line, col(C.ROLES), rule_msg(own), who=row_who(row)))
            fields["roles"] = [sorted(m.roles), sorted(wanted)]
    add_groups: set[int] = set()
    remove_groups: set[int] = set()
    groups = _resolve_groups(row, scope, plan, col, group_by_name)
    if groups is not None:
        current = set(m.groups) | set(m.admin_groups)
        # Listing a public subgroup implies its ancestors (seed 002), as when adding by hand.
        desired: set[int] = set()
        for gid in groups:
            desired.update(propagation(scope.groups, gid))
        add_groups = desired - current
        # Group admin memberships are never taken away by a file; plain ones are.
        remove_groups = set(m.groups) - desired - set(m.admin_groups)
        if add_groups or remove_groups:
            refusal = groups_refusal(add_groups | remove_groups, scope.group_reach, need_one=False)
            if refusal:
                plan.errors.append(
                    Problem(row.line, col(C.GROUPS), rule_msg(refusal), who=row_who(row))
                )
            fields["groups"] = [
                _names(scope, current),
                _names(scope, (current | add_groups) - remove_groups),
            ]
    add_labels: set[int] = set()
    remove_labels: set[int] = set()
    labels = _resolve_labels(row, plan, col, label_by_name)
    if labels is not None and labels != set(m.labels):
        add_labels, remove_labels = labels - set(m.labels), set(m.labels) - labels
        if not scope.can_assign_labels:
            plan.errors.append(
                Problem(row.line, col(C.LABELS), msg("labels_forbidden"), who=row_who(row))
            )
        fields["labels"] = [
            sorted(_label_names(scope, m.labels)),
            sorted(_label_names(scope, labels)),
        ]
    if row.custom:
        held = m.custom or {}
        for key, value in row.custom.items():
            if held.get(key, "") != value:
                fields[f"custom:{key}"] = [held.get(key, ""), value]
    if row.contact:
        contact = m.contact or {}
        for key, value in row.contact.items():
            before = contact.get(key) or type(value)()  # "" or []
            if before != value:
                fields[key] = [before, value]
    if len(plan.errors) > errors:
        return
    if row.password is not None:
        # Whether the password really changes is known only against the stored hash.
        fields["password"] = ["", "********"]
    if not fields:
        plan.unchanged += 1
        return
    # The change keeps its row: the row's texts equal to the member's become the member's
    # (a hundred thousand changed members: about 15 MB of second copies less).
    row.share_texts(m.login, m.email, m.first_name, m.last_name)
    change = Change(
        line=row.line,
        login=m.login,
        pk=m.pk,
        row=row,
        fields=fields,
        add_groups=frozenset(add_groups) if add_groups else _NO_IDS,
        remove_groups=frozenset(remove_groups) if remove_groups else _NO_IDS,
        add_labels=frozenset(add_labels) if add_labels else _NO_IDS,
        remove_labels=frozenset(remove_labels) if remove_labels else _NO_IDS,
        state_before=m.state,
        current=m,
    )
    reason = _skip_reason(m, scope, change)
    if reason:
        plan.skipped.append(Skip(row.line, m.login, reason))
        return
    if row.password is not None:
        plan.password_checks.append(change)
    plan.changes.append(change)


def _skip_reason(m: Current, scope: Scope, change: Change) -> str | None:
    """Word why the member rules skip this change of ``m``, or None."""
    visible = _within(scope.visible, m.pk)
    refusal = None
    if visible and change.kind == "deactivated":
        refusal = _deactivation_refusal(m.pk, m.state, scope)
    if refusal is None:
        refusal = update_refusal(
            m.pk,
            owner_id=scope.owner_id,
            visible=visible,
            allowed=_within(scope.updatable, m.pk),
        )
    return rule_msg(refusal) if refusal else None


def _deactivation_refusal(pk: int, state: str, scope: Scope) -> Refusal | None:
    return deactivation_refusal(
        pk,
        state,
        owner_id=scope.owner_id,
        self_id=scope.actor_id,
        allowed=_within(scope.deactivatable, pk),
    )


def settle_passwords(plan: Plan, same: set[int]) -> None:
    """Drop the password change of members whose stored hash already matches the file."""
    for change in plan.password_checks:
        if change.pk in same:
            change.fields.pop("password", None)
            if not change.fields:
                plan.changes.remove(change)
                plan.unchanged += 1
    plan.password_checks = []


def _names(scope: Scope, ids: Iterable[int]) -> list[str]:
    return sorted(scope.groups[i].name for i in ids if i in scope.groups)


def _label_names(scope: Scope, ids: Iterable[int]) -> list[str]:
    names = {pk: name for name, pk in scope.label_ids.items()}
    return [names[i] for i in ids if i in names]
