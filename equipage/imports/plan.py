"""The plan of a roster import: what an apply would do, from the file's rows, the members as
they are and what the importing actor may do. Pure functions over plain data: no database.

``compute_plan`` says who is added, updated (field by field), deactivated,
left unchanged or skipped and why, and every error that forbids the apply. The
member rules (the owner, oneself, role grants, a group admin's reach) are
``accounts.rules``'; the import words their refusals with its own stored codes
(``imports.problems.RULE_CODES``). The data it fills is ``imports.model``'s;
which line is which member, ``imports.matching``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from operator import attrgetter
from typing import Any

from equipage.accounts.logins import login_base, next_free_login
from equipage.accounts.rules import (
    Refusal,
    deactivation_refusal,
    groups_refusal,
    in_bin,
    own_roles_refusal,
    ownership_refusal,
    ungrantable_roles,
    update_refusal,
)
from equipage.imports import columns as C
from equipage.imports.listnames import AMBIGUOUS, ListNames
from equipage.imports.matching import Matching, Taken, check_emails, lowered
from equipage.imports.model import (
    ACTIVE,
    DEACTIVATED,
    MEMBER_ONLY,
    NO_IDS,
    Change,
    Current,
    GroupInfo,
    Members,
    NewMemberChange,
    NewMemberWithMore,
    Plan,
    Scope,
    Skip,
)
from equipage.imports.problems import msg, row_who, rule_msg
from equipage.imports.reader import Problem
from equipage.imports.validate import Row
from equipage.organizations.password_policy import password_refusal


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
    group_by_name = ListNames((g.name, g.pk) for g in scope.groups.values())
    label_by_name = ListNames(scope.label_ids.items())

    def col(key: str) -> str:
        return columns.get(key) or C.COLUMN_BY_KEY[key].fr

    matching = Matching(members)
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
            if row.email and lowered(row.email) in by_email:
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
        if in_bin(states[target]):
            # Deleted, still restorable: the file cannot bring them back nor take their login.
            plan.errors.append(
                Problem(row.line, col(C.LOGIN), msg("member_in_bin"), who=row_who(row))
            )
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
        check_emails(members, matched, shared_emails, claims, moved, col, plan.errors)
    del claims, moved

    if scope.mode == "sync":
        absent = [
            i
            for i, (line, state) in enumerate(zip(matched, states, strict=True))
            if not line and state != DEACTIVATED and not in_bin(state)
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


def _resolve_names(
    row: Row,
    cells: Sequence[str] | None,
    column: str,
    kind: str,
    plan: Plan,
    col: Any,
    names: ListNames,
) -> set[int] | None:
    """Read a Groupes or Étiquettes cell into ids; an unknown or ambiguous name is an error.

    ``kind`` is ``"group"`` or ``"label"``: the stored codes are ``<kind>_unknown`` and
    ``<kind>_ambiguous``. None when the file has no such column (nothing to change).
    """
    if cells is None:
        return None
    ids: set[int] = set()
    for name, pk in names.read(cells):
        if pk is None or pk == AMBIGUOUS:
            code = f"{kind}_unknown" if pk is None else f"{kind}_ambiguous"
            plan.errors.append(
                Problem(row.line, col(column), msg(code, {"g": name}), who=row_who(row))
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
    taken: set[str] | Taken,
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
    groups = _resolve_names(row, row.groups, C.GROUPS, "group", plan, col, group_by_name)
    labels = _resolve_names(row, row.labels, C.LABELS, "label", plan, col, label_by_name)
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
        base = login_base(row.first_name, row.last_name, row.email)
        login = next_free_login(base, lambda made: made.lower() in taken)
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
            frozenset(add_groups) if add_groups else NO_IDS,
            frozenset(labels) if labels else NO_IDS,
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
    groups = _resolve_names(row, row.groups, C.GROUPS, "group", plan, col, group_by_name)
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
    labels = _resolve_names(row, row.labels, C.LABELS, "label", plan, col, label_by_name)
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
        add_groups=frozenset(add_groups) if add_groups else NO_IDS,
        remove_groups=frozenset(remove_groups) if remove_groups else NO_IDS,
        add_labels=frozenset(add_labels) if add_labels else NO_IDS,
        remove_labels=frozenset(remove_labels) if remove_labels else NO_IDS,
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


def screen_passwords(
    rows: Iterable[Row], min_length: int, column: str, refused: list[Problem]
) -> Iterator[Row]:
    """Yield ``rows`` as they are, adding a problem for each password the policy refuses.

    The line stays in the plan (a sync must not take its member for gone); its
    problem, naming the rule, forbids the apply like any other error.
    """
    for row in rows:
        if row.password is not None:
            broken = password_refusal(row.password, min_length)
            if broken is not None:
                refused.append(Problem(row.line, column, msg(*broken), row_who(row)))
        yield row


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
