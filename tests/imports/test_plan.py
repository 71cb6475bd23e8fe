"""What the plan does with groups, labels, custom values, passwords and a group admin's reach,
which member rules refuse what (and under which stored code), and that its shortcuts give the
plan of its straightforward path.

These replace the frozen copy of the plan that used to be its oracle
(``reference_diff``): that copy restated the member rules a third time and never compared
groups, labels, custom values, passwords or a group admin's reach.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from equipage.imports.model import Current, GroupInfo, Members, Scope
from equipage.imports.plan import compute_plan, settle_passwords
from equipage.imports.validate import Row

COLUMNS = {
    "login": "Identifiant",
    "last_name": "Nom",
    "first_name": "Prénom",
    "email": "Adresse e-mail",
    "state": "État",
    "roles": "Rôles",
    "groups": "Groupes",
    "labels": "Étiquettes",
    "password": "Mot de passe",
    "custom:badge": "Badge",
}
GROUPS = {
    1: GroupInfo(1, "Siège", None, True),
    2: GroupInfo(2, "Nord", 1, False),  # public: its members join Siège too
    3: GroupInfo(3, "Sud", None, False),
}
LABELS = {"Bénévole": 10, "Salarié": 11}


def line(n: int, login: str, **kw: Any) -> Row:
    return Row(
        n,
        login,
        kw.pop("last", "B"),
        kw.pop("first", "A"),
        kw.pop("email", ""),
        kw.pop("password", None),
        kw.pop("active", True),
        **kw,
    )


def held(pk: int, login: str, **kw: Any) -> Current:
    return Current(pk, login, "", "A", "B", kw.pop("state", "active"), **kw)


def plan_of(rows: list[Row], current: list[Current], **scope: Any):  # type: ignore[no-untyped-def]
    scope.setdefault("groups", GROUPS)
    scope.setdefault("label_ids", LABELS)
    return compute_plan(rows, current, Scope(**scope), COLUMNS)


def codes(plan) -> list[tuple[int | None, str, str]]:  # type: ignore[no-untyped-def]
    return [(p.line, p.column, p.message.code) for p in plan.errors]


# groups


def test_listed_groups_are_joined_with_public_ancestors_and_plain_ones_left() -> None:
    plan = plan_of([line(2, "a", groups=("nord",))], [held(1, "a", groups=frozenset({3}))])
    (change,) = plan.changes
    assert change.add_groups == {2, 1} and change.remove_groups == {3}
    assert change.fields["groups"] == [["Sud"], ["Nord", "Siège"]]


def test_a_file_never_takes_a_group_admin_membership_away() -> None:
    a = held(1, "a", groups=frozenset({2}), admin_groups=frozenset({3}))
    plan = plan_of([line(2, "a", groups=())], [a])
    (change,) = plan.changes
    assert change.remove_groups == {2} and change.add_groups == frozenset()
    assert change.fields["groups"] == [["Nord", "Sud"], ["Sud"]]


def test_the_same_groups_change_nothing() -> None:
    plan = plan_of(
        [line(2, "a", groups=("Nord", "Siège"))], [held(1, "a", groups=frozenset({1, 2}))]
    )
    assert plan.changes == [] and plan.unchanged == 1


def test_a_group_name_is_found_whatever_its_case_and_accents() -> None:
    plan = plan_of([line(2, "n", groups=("SIEGE",))], [])
    assert plan.errors == [] and plan.changes[0].add_groups == {1}
    assert plan.changes[0].as_dict()["fields"]["groups"] == {"before": None, "after": ["Siège"]}


# a group admin's reach


def test_a_group_admin_puts_each_new_member_in_one_of_their_groups() -> None:
    reach: dict[str, Any] = {"group_reach": frozenset({3}), "needs_group": True}
    plan = plan_of(
        [line(2, "n"), line(3, "o", groups=("Nord",)), line(4, "p", groups=("Sud",))], [], **reach
    )
    assert codes(plan) == [
        (2, "Groupes", "group_admin_needs_group"),
        (3, "Groupes", "groups_not_administered"),
    ]
    assert [c.login for c in plan.changes] == ["p"]


def test_a_group_admin_cannot_move_a_member_in_or_out_of_other_groups() -> None:
    reach: dict[str, Any] = {"group_reach": frozenset({3}), "needs_group": True}
    current = [held(1, "a", groups=frozenset({2, 1})), held(2, "b", groups=frozenset({3}))]
    out = plan_of([line(2, "a", groups=("Sud",))], current[:1], **reach)
    assert codes(out) == [(2, "Groupes", "groups_not_administered")]
    within = plan_of([line(2, "b", groups=("Sud",))], current[1:], **reach)
    assert within.errors == [] and within.unchanged == 1


def test_an_admin_without_group_rights_may_not_change_groups_but_may_add_without() -> None:
    scope: dict[str, Any] = {"group_reach": frozenset()}
    plan = plan_of([line(2, "n"), line(3, "a", groups=("Sud",))], [held(1, "a")], **scope)
    assert codes(plan) == [(3, "Groupes", "groups_not_administered")]
    assert [c.login for c in plan.changes] == ["n"]


def test_members_a_group_admin_cannot_see_or_change_are_skipped_with_the_rule() -> None:
    current = [held(1, "owner"), held(2, "hidden"), held(3, "boss", roles=frozenset({"admin"}))]
    rows = [line(2, "owner", first="Z"), line(3, "hidden", first="Z"), line(4, "boss", first="Z")]
    plan = plan_of(rows, current, owner_id=1, visible={1, 3}, updatable=set())
    assert [(s.login, s.reason.code) for s in plan.skipped] == [
        ("owner", "owner_details"),
        ("hidden", "outside_groups"),
        ("boss", "role_above"),
    ]


# labels


def test_labels_are_added_and_removed_by_name() -> None:
    plan = plan_of([line(2, "a", labels=("salarie",))], [held(1, "a", labels=frozenset({10}))])
    (change,) = plan.changes
    assert (change.add_labels, change.remove_labels) == ({11}, {10})
    assert change.fields["labels"] == [["Bénévole"], ["Salarié"]]


def test_unknown_labels_and_labels_without_the_right_are_errors() -> None:
    rows = [line(2, "a", labels=("Inconnue",)), line(3, "n", labels=("Bénévole",))]
    plan = plan_of(rows, [held(1, "a")], can_assign_labels=False)
    assert codes(plan) == [
        (2, "Étiquettes", "label_unknown"),
        (3, "Étiquettes", "labels_forbidden"),
    ]
    same = plan_of(
        [line(2, "a", labels=("Bénévole",))],
        [held(1, "a", labels=frozenset({10}))],
        can_assign_labels=False,
    )
    assert same.errors == [] and same.unchanged == 1  # the same labels need no right


# custom values


def test_custom_values_change_one_by_one_and_an_equal_one_changes_nothing() -> None:
    a = held(1, "a", custom={"badge": "12"})
    assert plan_of([line(2, "a", custom={"badge": "12"})], [a]).unchanged == 1
    (change,) = plan_of([line(2, "a", custom={"badge": "13"})], [a]).changes
    assert change.fields == {"custom:badge": ["12", "13"]}
    (new,) = plan_of([line(2, "n", custom={"badge": "7"})], []).changes
    assert new.as_dict()["fields"]["custom:badge"] == {"before": None, "after": "7"}


# passwords


def test_a_given_password_is_a_change_until_the_stored_hash_says_it_is_the_same() -> None:
    current = [held(1, "a"), held(2, "b"), held(3, "c")]
    rows = [
        line(2, "a", password="s3cret!"),
        line(3, "b", password="s3cret!"),
        line(4, "c", first="Z", password="x"),
    ]
    plan = plan_of(rows, current)
    assert [c.fields.get("password") for c in plan.changes] == [["", "********"]] * 3
    assert [c.login for c in plan.password_checks] == ["a", "b", "c"]
    settle_passwords(plan, same={1, 3})
    assert [(c.login, sorted(c.fields)) for c in plan.changes] == [
        ("b", ["password"]),
        ("c", ["first_name"]),
    ]
    assert plan.unchanged == 1 and plan.password_checks == []


def test_a_refused_line_is_not_a_password_check() -> None:
    plan = plan_of([line(2, "boss", password="x")], [held(1, "boss")], updatable=set())
    assert plan.changes == [] and plan.password_checks == [] and len(plan.skipped) == 1


# roles and the owner (the member rules, under the codes the report stores)


def test_role_rules_are_errors_with_their_codes() -> None:
    current = [
        held(1, "owner", roles=frozenset({"owner"})),
        held(2, "me", roles=frozenset({"admin"})),
        held(3, "x"),
    ]
    rows = [
        line(2, "owner", roles=("admin",)),
        line(3, "me", roles=("member",)),
        line(4, "x", roles=("owner",)),
        line(5, "n", roles=("admin", "user_admin")),
    ]
    plan = plan_of(rows, current, actor_id=2, grantable=frozenset({"member"}))
    assert codes(plan) == [
        (2, "Rôles", "owner_keeps_ownership"),
        (3, "Rôles", "role_not_grantable"),
        (3, "Rôles", "own_roles"),
        (4, "Rôles", "ownership_by_transfer"),
        (5, "Rôles", "role_not_grantable"),
    ]
    assert plan.errors[-1].message.params == {"r": "admin, user_admin"}


def test_deactivation_rules_skip_with_their_codes() -> None:
    current = [held(1, "owner"), held(2, "me"), held(3, "peer"), held(4, "x")]
    rows = [line(2, "owner", active=False), line(3, "me", active=False)]
    plan = plan_of(rows, current, owner_id=1, actor_id=2, deactivatable={4})
    assert [(s.line, s.login, s.reason.code) for s in plan.skipped] == [
        (2, "owner", "owner_not_deactivated"),
        (3, "me", "self_not_deactivated"),
        (None, "peer", "deactivate_forbidden"),
    ]
    assert [c.login for c in plan.changes] == ["x"]


# the shortcuts give the plan of the straightforward path

LOGINS = ["ana", "Ana", "ANA", "bob", "zoe.l", "", "", "elodie.martin", "m1", "m2"]
EMAILS = ["", "", "a@x.fr", "A@x.fr", "b@x.fr", "B@X.FR"]
ROLES = [None, (), ("member",), ("admin",), ("owner",), ("user_admin", "member")]
GROUP_CELLS = [None, None, None, None, (), ("Nord",), ("Sud",), ("siege", "Sud"), ("Ailleurs",)]
LABEL_CELLS = [None, None, None, None, (), ("Bénévole",), ("salarié", "Bénévole"), ("Autre",)]
CUSTOM = [None, None, None, None, {"badge": ""}, {"badge": "12"}]
SETS = [frozenset(), frozenset({1}), frozenset({2, 1}), frozenset({3})]
SCOPES: list[dict[str, Any]] = [
    {},
    {"grantable": frozenset({"member"}), "can_assign_labels": False},
    {
        "group_reach": frozenset({3}),
        "needs_group": True,
        "visible": {1, 3, 4},
        "updatable": {3, 4},
        "deactivatable": {4},
    },
    {"group_reach": frozenset()},
]


@st.composite
def cases(draw):  # type: ignore[no-untyped-def]
    current, used = [], set()
    for pk in range(1, draw(st.integers(0, 5)) + 1):
        login = draw(st.sampled_from([x for x in LOGINS if x] + [f"p{pk}"]))
        if login.lower() in used:
            continue
        used.add(login.lower())
        current.append(
            Current(pk, login, draw(st.sampled_from(EMAILS)), "A", "B", draw(st.sampled_from(["active", "deactivated"])), roles=draw(st.sampled_from([frozenset({"member"}), frozenset({"owner"}), frozenset({"admin"})])), groups=draw(st.sampled_from(SETS)), admin_groups=draw(st.sampled_from(SETS[:2])), labels=draw(st.sampled_from([frozenset(), frozenset({10})])), custom=draw(st.sampled_from([None, {"badge": "12"}])))
        )  # fmt: skip
    rows = []
    for n in range(2, draw(st.integers(0, 7)) + 2):
        # Half the lines are a member's own (the usual line the shortcuts are for).
        own = draw(st.sampled_from([None, *current, *current]))
        login = own.login if own else draw(st.sampled_from(LOGINS))
        email = own.email if own else draw(st.sampled_from(EMAILS))
        rows.append(
            line(n, login, first=draw(st.sampled_from(["A", "A", "Zoé"])), email=email, active=draw(st.booleans()), password=draw(st.sampled_from([None, None, None, "s3cret!"])), roles=draw(st.sampled_from(ROLES)), groups=draw(st.sampled_from(GROUP_CELLS)), labels=draw(st.sampled_from(LABEL_CELLS)), custom=draw(st.sampled_from(CUSTOM)))
        )  # fmt: skip
    scope = {
        "mode": draw(st.sampled_from(["sync", "upsert"])),
        "owner_id": 1,
        "actor_id": 2,
        **draw(st.sampled_from(SCOPES)),
    }
    return current, rows, scope


def _outcome(rows: list[Row], current: Any, scope: dict[str, Any]) -> tuple[Any, ...]:
    plan = plan_of(rows, current, **scope)
    return (
        sorted(((p.line, p.column, p.message.code) for p in plan.errors), key=lambda e: e[:2]),
        [c.as_dict() for c in plan.changes],
        plan.unchanged,
        [(s.as_dict(), s.reason.code) for s in plan.skipped],
        [c.login for c in plan.password_checks],
        plan.seats_needed(),
        plan.needs_mass_confirmation,
    )


def _straightforward(row: Row) -> Row:
    """The same line with an empty contact cell set: no shortcut takes it (nothing changes)."""
    return Row(row.line, row.login, row.last_name, row.first_name, row.email, row.password, row.active, row.groups, row.roles, row.labels, row.custom, {})  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(cases())
def test_the_shortcuts_give_the_plan_of_the_straightforward_path(case) -> None:  # type: ignore[no-untyped-def]
    current, rows, scope = case
    fast = _outcome(rows, current, scope)
    assert fast == _outcome([_straightforward(r) for r in rows], current, scope)
    assert fast == _outcome(iter(rows), Members.of(current), scope)
