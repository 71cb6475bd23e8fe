"""Login by identifier: case-insensitive, and answered by indexes, not by reading the organization."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from equipage.accounts.selectors import member_by_identifier
from tests.conftest import make_member
from tests.directory.plans import plan_of


def test_login_and_email_are_found_whatever_their_case(org: Any, owner: Any) -> None:
    mia = make_member(org, owner, "Mia", "Member", login="Mia.Member", email="Mia@Acme.test")
    assert member_by_identifier(org, "mia.member") == mia
    assert member_by_identifier(org, "MIA.MEMBER") == mia
    assert member_by_identifier(org, "  mia@acme.TEST ") == mia
    assert member_by_identifier(org, "mia") is None
    assert member_by_identifier(org, "") is None


def test_a_member_of_another_organization_is_not_found(
    org: Any, other_org: Any, other_owner: Any
) -> None:
    theirs = make_member(other_org, other_owner, "Tom", "Theirs", login="tom", email="t@g.test")
    assert member_by_identifier(other_org, "TOM") == theirs
    assert member_by_identifier(org, "tom") is None
    assert member_by_identifier(org, "t@g.test") is None


def test_a_login_equal_to_another_members_email_finds_the_older_member(
    org: Any, owner: Any
) -> None:
    # The attack: naming oneself after someone's e-mail to be found in their place.
    older = make_member(org, owner, "Ann", "Older", login="ann", email="x@acme.test")
    make_member(org, owner, "Bob", "Newer", login="X@acme.test", email="bob@acme.test")
    assert member_by_identifier(org, "x@acme.test") == older


def test_the_lookup_reads_the_login_and_email_indexes(org: Any, owner: Any) -> None:
    make_member(org, owner, "Mia", "Member", login="mia", email="mia@acme.test")
    with CaptureQueriesContext(connection) as ctx:
        member_by_identifier(org, "MIA")
    plans = [plan_of(q["sql"]) for q in ctx.captured_queries]
    assert len(plans) == 2, plans
    assert "member_login_lower" in plans[0], plans[0]
    assert "member_email_unique_ci" in plans[1], plans[1]
    for plan in plans:
        assert "SCAN accounts_member" not in plan and "Seq Scan" not in plan, plan
