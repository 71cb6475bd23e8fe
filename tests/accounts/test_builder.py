"""A new member's row follows one set of rules whichever door they come in by (accounts.builder).

Direct creation, an invitation, the owner of a new organization and the import
each used to write their own row; these tests hold them to ``member_row``.
"""

from __future__ import annotations

from typing import Any

import pytest

from equipage.accounts.builder import MEMBER_COLUMNS, build_member, member_row
from equipage.accounts.models import Member, MemberState
from equipage.core import clock
from equipage.core.text import search_key


@pytest.mark.parametrize(
    ("state", "usable", "shared", "must_change", "temporary"),
    [
        ("active", True, False, True, False),  # a password given is changed at first login
        ("active", True, True, True, False),
        ("active", False, True, True, True),  # the organization's shared temporary password
        ("active", False, False, False, False),  # a set-password link opens it
        ("deactivated", False, True, False, False),  # nobody logs in: no temporary password
        ("deactivated", True, False, True, False),
        ("invited", False, True, False, False),  # the invitation opens it
    ],
)
def test_first_password_flags_follow_one_rule(
    state: str, usable: bool, shared: bool, must_change: bool, temporary: bool
) -> None:
    values = member_row(1, "l", "", "A", "B", state, "x", usable, shared, "now")
    row = dict(zip(MEMBER_COLUMNS, values, strict=True))
    assert (row["must_change_password"], row["uses_temp_password"]) == (must_change, temporary)
    assert (row["activated_at"] is not None) == (state == "active")
    assert (row["deactivated_at"] is not None) == (state == "deactivated")


def test_built_member_is_unsaved_with_search_text_and_an_unusable_password(org: Any) -> None:
    member = build_member(
        organization=org,
        login="zoe.dupre",
        email="Zoe@acme.test",
        first_name="Zoé",
        last_name="Dupré",
        state=MemberState.ACTIVE,
        now=clock.now(),
    )
    assert member.pk is None and member.organization == org
    assert member.search_text == search_key("Zoé", "Dupré", "zoe.dupre", "Zoe@acme.test")
    assert not member.has_usable_password()


def _row_of(member: Member) -> dict[str, Any]:
    member.refresh_from_db()
    return {
        "search_text": member.search_text,
        "must_change_password": member.must_change_password,
        "uses_temp_password": member.uses_temp_password,
        "usable": member.has_usable_password(),
        "active_since": member.activated_at is not None,
        "deactivated_since": member.deactivated_at is not None,
    }


def test_member_created_directly_and_by_import_get_the_same_row(org: Any, owner: Any) -> None:
    from equipage.accounts.actions import member_create
    from tests.imports.helpers import EN_HEADER, csv_bytes, run_import

    direct = member_create(
        actor=owner, organization=org, first_name="Zoé", last_name="Dupré", login="zoe"
    )
    rows = [["eloise", "Dupré", "Zoé", "", "", "Active"]]
    assert run_import(org, owner, csv_bytes(rows, header=EN_HEADER), mode="upsert").applied
    imported = Member.objects.get(organization=org, login="eloise")

    a, b = _row_of(direct), _row_of(imported)
    assert a.pop("search_text") == search_key("Zoé", "Dupré", "zoe", "")
    assert b.pop("search_text") == search_key("Zoé", "Dupré", "eloise", "")
    assert a == b


def test_member_created_deactivated_carries_its_deactivation_date_like_an_imported_one(
    org: Any, owner: Any
) -> None:
    # SCIM's « active: false » at creation: the same row as an import's « Deactivated » line.
    from equipage.accounts.actions import member_create
    from tests.imports.helpers import EN_HEADER, csv_bytes, run_import

    direct = member_create(
        actor=owner,
        organization=org,
        first_name="Paul",
        last_name="Parti",
        login="paul",
        state=MemberState.DEACTIVATED,
    )
    rows = [["pierre", "Parti", "Pierre", "", "", "Deactivated"]]
    assert run_import(org, owner, csv_bytes(rows, header=EN_HEADER), mode="upsert").applied
    imported = Member.objects.get(organization=org, login="pierre")

    a, b = _row_of(direct), _row_of(imported)
    a.pop("search_text"), b.pop("search_text")
    assert a == b and a["deactivated_since"] and not a["active_since"]


def test_invited_member_and_new_owner_follow_the_same_rules(org: Any, owner: Any) -> None:
    from equipage.invitations.actions import invitations_create

    (outcome,) = invitations_create(actor=owner, organization=org, emails="new@acme.test")
    invited = outcome.member
    assert invited is not None
    row = _row_of(invited)
    assert row["search_text"] == search_key(invited.login, "new@acme.test")
    assert not row["usable"] and not row["must_change_password"] and not row["active_since"]

    owner_row = _row_of(Member.objects.get(pk=owner.pk))
    assert owner_row["active_since"] and not owner_row["uses_temp_password"]
