"""The plan (imports.plan) is pure: rows + members + scope in, a plan out, no database."""

from __future__ import annotations

from equipage.imports.model import Current, GroupInfo, Members, Scope
from equipage.imports.plan import compute_plan, propagation
from equipage.imports.validate import Row

COLUMNS = {
    "login": "Identifiant",
    "last_name": "Nom",
    "first_name": "Prénom",
    "email": "Adresse e-mail",
    "state": "État",
}


def row(
    line: int, first: str, last: str, email: str = "", login: str = "", active: bool = True, **kw
):  # type: ignore[no-untyped-def]
    return Row(
        line=line,
        login=login,
        last_name=last,
        first_name=first,
        email=email,
        password=kw.pop("password", None),
        active=active,
        **kw,
    )


def member(
    pk: int,
    login: str,
    first: str = "A",
    last: str = "B",
    email: str = "",
    state: str = "active",
    **kw,
):  # type: ignore[no-untyped-def]
    return Current(pk, login, email, first, last, state, **kw)


def plan_of(rows, current, **scope):  # type: ignore[no-untyped-def]
    columns = scope.pop("columns", COLUMNS)
    return compute_plan(rows, current, Scope(**scope), columns)


def test_member_in_file_not_in_organization_is_added() -> None:
    plan = plan_of([row(2, "Élodie", "Œuvray")], [])
    assert [(c.kind, c.login) for c in plan.changes] == [("added", "elodie.oeuvray")]


def test_member_in_both_is_updated_field_by_field() -> None:
    current = [member(1, "jd", "Jean", "Dupont", "jd@x.fr")]
    plan = plan_of([row(2, "Jean", "Dupond", "jd@x.fr", login="jd")], current)
    assert [(c.kind, c.fields) for c in plan.changes] == [
        ("updated", {"last_name": ["Dupont", "Dupond"]})
    ]


def test_member_absent_from_file_is_deactivated_in_sync_mode_only() -> None:
    current = [member(1, "jd"), member(2, "absent")]
    rows = [row(2, "A", "B", login="jd")]
    assert [(c.kind, c.login) for c in plan_of(rows, current).changes] == [
        ("deactivated", "absent")
    ]
    assert plan_of(rows, current, mode="upsert").changes == []


def test_matching_prefers_login_then_email_then_default_login() -> None:
    current = [
        member(1, "custom", "Jean", "Dupont", "jean@x.fr"),
        member(2, "anne.martin", "Anne", "Martin"),
    ]
    rows = [row(2, "Jean", "Dupont", "JEAN@x.fr"), row(3, "Anne", "Martin")]
    plan = plan_of(rows, current)
    assert plan.unchanged == 1
    assert [(c.pk, c.fields) for c in plan.changes] == [(1, {"email": ["jean@x.fr", "JEAN@x.fr"]})]


def test_default_login_is_numbered_on_collision() -> None:
    current = [member(1, "jean.dupont", "Jean", "Dupont", "other@x.fr")]
    rows = [
        row(2, "Jean", "Dupont", "jean@x.fr"),
        row(3, "Jean", "Dupont", "jean2@x.fr"),
        row(4, "Jean", "Dupont", login="jd"),
    ]
    plan = plan_of(rows, current)
    assert [c.login for c in plan.changes if c.kind == "added"] == [
        "jean.dupont2",
        "jean.dupont3",
        "jd",
    ]


def test_default_login_strips_accents_and_turns_spaces_and_apostrophes_into_dashes() -> None:
    plan = plan_of([row(2, "Jean Pierre", "D'Artagnan", "jp@x.fr")], [])
    assert plan.changes[0].login == "jean-pierre.d-artagnan"


def test_same_member_twice_is_an_error_on_the_later_line() -> None:
    current = [member(1, "jd", email="jd@x.fr")]
    rows = [
        row(2, "A", "B", login="jd"),
        row(3, "A", "B", "jd@x.fr"),
        row(4, "C", "D", "x@x.fr"),
        row(5, "E", "F", "X@x.fr"),
    ]
    plan = plan_of(rows, current)
    assert [(p.line, p.column, p.message) for p in plan.errors] == [
        (3, "Adresse e-mail", "Same member as line 2."),
        (5, "Adresse e-mail", "Same member as line 4."),
    ]


def test_email_of_another_member_is_an_error_unless_they_give_it_away() -> None:
    current = [member(1, "a", email="a@x.fr"), member(2, "b", email="b@x.fr")]
    clash = plan_of(
        [
            row(2, "A", "B", "b@x.fr", login="a"),
            row(3, "A", "B", "b@x.fr".replace("b@", "c@"), login="b"),
        ],
        current,
    )
    assert clash.errors == []  # b gives b@ away to a, and takes c@
    taken = plan_of([row(2, "A", "B", "b@x.fr", login="a")], current)
    assert [(p.line, p.column) for p in taken.errors] == [(2, "Adresse e-mail")]


def test_owner_and_importer_are_never_deactivated_but_skipped_with_reason() -> None:
    current = [member(1, "owner"), member(2, "me"), member(3, "x")]
    plan = plan_of([], current, owner_id=1, actor_id=2)
    assert [c.login for c in plan.changes] == ["x"]
    assert [(s.login, s.reason) for s in plan.skipped] == [
        ("owner", "The owner cannot be deactivated."),
        ("me", "You are importing: you cannot deactivate yourself."),
    ]


def test_row_deactivating_the_owner_is_skipped() -> None:
    plan = plan_of(
        [row(2, "A", "B", login="owner", active=False)], [member(1, "owner")], owner_id=1
    )
    assert plan.changes == [] and [s.line for s in plan.skipped] == [2]


def test_members_outside_group_admin_reach_are_skipped_or_left_alone() -> None:
    current = [member(1, "mine"), member(2, "theirs"), member(3, "gone")]
    rows = [row(2, "X", "Y", login="theirs")]
    plan = plan_of(rows, current, visible={1, 3}, updatable={1, 3}, deactivatable={1})
    assert [c.login for c in plan.changes] == ["mine"]
    assert {(s.login, s.line) for s in plan.skipped} == {("theirs", 2), ("gone", None)}


def test_placeholder_password_leaves_member_unchanged() -> None:
    plan = plan_of([row(2, "A", "B", login="a", password=None)], [member(1, "a")])
    assert plan.unchanged == 1 and plan.changes == []


def test_roles_the_importer_may_not_grant_are_errors() -> None:
    columns = {**COLUMNS, "roles": "Rôles"}
    plan = plan_of(
        [row(2, "A", "B", login="a", roles=("admin",)), row(3, "C", "D", roles=("owner",))],
        [member(1, "a")],
        grantable=frozenset({"user_admin", "member"}),
        columns=columns,
    )
    assert [(p.line, p.column) for p in plan.errors] == [(2, "Rôles"), (3, "Rôles")]


def test_mass_deactivation_needs_confirmation_over_half_and_over_ten() -> None:
    current = [member(i, f"m{i}") for i in range(1, 31)]
    keep = [row(i + 1, "A", "B", login=f"m{i}") for i in range(1, 15)]
    assert plan_of(keep, current).needs_mass_confirmation is True
    keep = [row(i + 1, "A", "B", login=f"m{i}") for i in range(1, 16)]
    assert plan_of(keep, current).needs_mass_confirmation is False
    small = [member(i, f"m{i}") for i in range(1, 11)]
    assert plan_of([], small).needs_mass_confirmation is False


def test_public_group_passes_members_up_to_first_private_ancestor() -> None:
    groups = {
        1: GroupInfo(1, "Siège", None, False),
        2: GroupInfo(2, "Région", 1, True),
        3: GroupInfo(3, "Ventes", 2, False),
        4: GroupInfo(4, "Ventes Nord", 3, False),
    }
    assert propagation(groups, 4) == [4, 3, 2]
    assert propagation(groups, 2) == [2]
    columns = {**COLUMNS, "groups": "Groupes"}
    plan = plan_of([row(2, "A", "B", groups=("ventes nord",))], [], groups=groups, columns=columns)
    assert plan.changes[0].add_groups == frozenset({4, 3, 2})


def test_unknown_group_is_an_error() -> None:
    columns = {**COLUMNS, "groups": "Groupes"}
    plan = plan_of([row(2, "A", "B", groups=("Nulle part",))], [], columns=columns)
    assert [(p.line, p.column) for p in plan.errors] == [(2, "Groupes")]


def test_reimporting_the_applied_state_is_a_no_op() -> None:
    current = [member(1, "jd", "Jean", "Dupont", "jd@x.fr"), member(2, "old", state="deactivated")]
    plan = plan_of([row(2, "Jean", "Dupont", "jd@x.fr", login="jd")], current)
    assert plan.changes == [] and plan.unchanged == 1


def test_refused_roles_of_new_members_are_reported_on_every_line() -> None:
    columns = {**COLUMNS, "roles": "Rôles"}
    plan = plan_of(
        [
            row(2, "A", "B", login="n1", roles=("admin",)),
            row(3, "C", "D", login="n2", roles=("member",)),
            row(4, "E", "F", login="n3", roles=("admin",)),
            row(5, "G", "H", login="n4", roles=("owner",)),
        ],
        [],
        grantable=frozenset({"user_admin", "member"}),
        columns=columns,
    )
    assert [(p.line, p.column) for p in plan.errors] == [(2, "Rôles"), (4, "Rôles"), (5, "Rôles")]
    assert "ownership" in plan.errors[2].message.lower()
    assert [c.login for c in plan.changes] == ["n2"]


def test_empty_name_cell_is_required_for_a_new_member() -> None:
    plan = plan_of([row(2, "", "Neuf", login="n1"), row(3, "Anne", "", login="n2")], [])
    assert [(e.line, e.column, e.message) for e in plan.errors] == [
        (2, "Prénom", "This cell is required."),
        (3, "Nom", "This cell is required."),
    ]
    assert plan.changes == []


def test_empty_name_cell_keeps_a_member_without_that_name_unchanged() -> None:
    current = [member(1, "sans.nom", first="Sans", last="")]
    plan = plan_of([row(2, "Sans", "", login="sans.nom")], current)
    assert plan.errors == [] and plan.changes == [] and plan.unchanged == 1


def test_empty_name_cell_cannot_clear_a_stored_name() -> None:
    current = [member(1, "jd", first="Jean", last="Dupont")]
    plan = plan_of([row(2, "Jean", "", login="jd")], current)
    assert [(e.line, e.column) for e in plan.errors] == [(2, "Nom")]
    assert plan.changes == []


def test_login_made_up_for_a_new_member_avoids_a_login_on_a_refused_line() -> None:
    # Line 3 repeats the default login of line 2 and is refused; its login is still the
    # file's, so line 2's new member gets the next one (found by the property-based oracle).
    rows = [row(2, "Zoé", "L"), row(3, "Élodie", "Martin", login="zoe.l")]
    plan = plan_of(rows, [])
    assert [(p.line, p.message) for p in plan.errors] == [(3, "Same member as line 2.")]
    assert [c.login for c in plan.changes] == ["zoe.l2"]


def test_rows_are_read_once_in_order_and_give_the_plan_of_a_list() -> None:
    current = [
        member(1, "ana", "Ana", "B", "ana@x.fr"),
        member(2, "bob", "Bob", "C", "bob@x.fr"),
        member(3, "cyd", "Cyd", "D", "cyd@x.fr"),
    ]
    rows = [
        row(2, "Ana", "B", "ana@x.fr", login="ana"),  # unchanged
        row(3, "Bob", "Chevalier", "bob@x.fr", login="bob"),  # updated
        row(4, "Jean", "Dupont", "jd@x.fr"),  # new, login made up
        row(5, "Eve", "E", "eve@x.fr", login="eve"),  # new
    ]
    read: list[int] = []

    def once():  # type: ignore[no-untyped-def]
        for r in rows:
            read.append(r.line)
            yield r

    streamed = plan_of(once(), current)
    listed = plan_of(rows, current)
    assert read == [2, 3, 4, 5]
    assert [c.as_dict() for c in streamed.changes] == [c.as_dict() for c in listed.changes]
    assert [(c.line, c.kind) for c in streamed.changes] == [
        (3, "updated"),
        (4, "added"),
        (5, "added"),
        (None, "deactivated"),
    ]
    assert streamed.unchanged == listed.unchanged == 1


def test_member_columns_give_the_same_plan_as_member_records() -> None:
    current = [
        member(1, "ana", "Ana", "B", "ana@x.fr", roles=frozenset({"admin"})),
        member(2, "bob", "Bob", "C", "bob@x.fr", groups=frozenset({7})),
    ]
    rows = [row(2, "Ana", "B", "ana@x.fr", login="ana", roles=("member",))]
    columns = {**COLUMNS, "roles": "Rôles"}
    members = Members.of(current)
    assert [members.get(i) for i in range(len(members))] == current
    by_records = plan_of(rows, current, columns=columns)
    by_columns = plan_of(rows, members, columns=columns)
    assert [c.as_dict() for c in by_columns.changes] == [c.as_dict() for c in by_records.changes]
    assert by_columns.changes[0].fields["roles"] == [["admin"], ["member"]]


def test_an_email_held_by_two_members_is_refused_to_the_line_that_keeps_it() -> None:
    # Two members share an address (an older database may hold such pairs): a line keeping
    # it for one of them is refused while the other keeps it too, and passes once the
    # other's line gives it up.
    current = [member(1, "a", email="s@x.fr"), member(2, "b", email="S@x.fr")]
    kept = plan_of([row(2, "A", "B", "s@x.fr", login="a")], current)
    assert [(p.line, p.message) for p in kept.errors] == [
        (2, "The e-mail address s@x.fr is already used by the member “b”."),
    ]
    given_up = plan_of(
        [row(2, "A", "B", "s@x.fr", login="a"), row(3, "A", "B", "b@x.fr", login="b")],
        current,
    )
    assert given_up.errors == []
