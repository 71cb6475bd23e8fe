"""The diff's shortcuts give exactly the plan of the straightforward version (reference_diff)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from equipage.imports.diff import Current, Scope, compute_plan
from equipage.imports.validate import Row
from tests.imports import reference_diff

COLUMNS = {
    "login": "Identifiant",
    "last_name": "Nom",
    "first_name": "Prénom",
    "email": "Adresse e-mail",
    "state": "État",
    "roles": "Rôles",
}
LOGINS = ["ana", "Ana", "ANA", "bob", "Bob", "zoe.l", "", "", "elodie.martin"]
EMAILS = ["", "", "a@x.fr", "A@x.fr", "b@x.fr", "c@x.fr", "B@X.FR"]
NAMES = [("Élodie", "Martin"), ("Zoé", "L"), ("Ana", "B"), ("", "Martin")]
ROLES = [None, (), ("member",), ("admin",), ("owner",), ("user_admin", "member")]


@st.composite
def cases(draw):  # type: ignore[no-untyped-def]
    members = []
    used: set[str] = set()
    for pk in range(1, draw(st.integers(0, 6)) + 1):
        login = draw(st.sampled_from([x for x in LOGINS if x] + [f"m{pk}"]))
        if login in used:
            continue
        used.add(login)
        members.append(
            (pk, login, draw(st.sampled_from(EMAILS)), draw(st.sampled_from(["active", "deactivated"])), draw(st.sampled_from([frozenset({"member"}), frozenset({"owner"}), frozenset({"admin"})])))
        )  # fmt: skip
    rows = []
    for line in range(2, draw(st.integers(0, 7)) + 2):
        first, last = draw(st.sampled_from(NAMES))
        rows.append(
            (line, draw(st.sampled_from(LOGINS)), last or "X", first or "Y", draw(st.sampled_from(EMAILS)), draw(st.booleans()), draw(st.sampled_from(ROLES)))
        )  # fmt: skip
    with_email = draw(st.booleans())
    with_roles = draw(st.booleans())
    mode = draw(st.sampled_from(["sync", "upsert"]))
    return members, rows, with_email, with_roles, mode


def _plan(module, members, rows, with_email, with_roles, mode):  # type: ignore[no-untyped-def]
    columns = {k: v for k, v in COLUMNS.items() if (k != "email" or with_email)}
    if not with_roles:
        columns.pop("roles")
    current = [
        module.Current(pk, login, email, "A", "B", state, roles=roles)
        for pk, login, email, state, roles in members
    ]
    file_rows = [
        Row(line, login, last, first, email if with_email else "", None, active, roles=roles if with_roles else None)
        for line, login, last, first, email, active, roles in rows
    ]  # fmt: skip
    scope = module.Scope(mode=mode, owner_id=1, actor_id=2, grantable=frozenset({"member"}))
    plan = module.compute_plan(file_rows, current, scope, columns)
    return (
        # In the order the report gives them (the diff's own order is not a promise).
        sorted([(p.line, p.column, p.message) for p in plan.errors], key=lambda e: e[:2]),
        [c.as_dict() for c in plan.changes],
        plan.unchanged,
        [s.as_dict() for s in plan.skipped],
        plan.seats_needed(),
        plan.needs_mass_confirmation,
    )


@settings(max_examples=400, deadline=None)
@given(cases())
def test_plan_is_the_reference_plan(case) -> None:  # type: ignore[no-untyped-def]
    assert Current is not reference_diff.Current and Scope is not reference_diff.Scope
    assert compute_plan is not reference_diff.compute_plan
    import equipage.imports.diff as diff

    assert _plan(diff, *case) == _plan(reference_diff, *case)
