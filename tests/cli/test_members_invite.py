"""``equipage members invite``: one result line per address."""

from __future__ import annotations

from typing import Any

from equipage.accounts.models import Member
from equipage.cli import main


def test_invite_prints_one_line_per_address(org: Any, owner: Any, groups: Any, capsys: Any) -> None:
    code = main(
        [
            "members",
            "invite",
            "alice@acme.test;bob@acme.test,oops",
            "--org",
            "acme",
            "--group",
            "Ventes",
        ]
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 1  # one address is invalid
    assert len(lines) == 3
    assert lines[0].startswith("alice@acme.test: invited")
    assert lines[2].startswith("oops: invalid")
    bob = Member.objects.get(email="bob@acme.test")
    assert bob.state == "invited"
    assert "Ventes" in set(bob.group_memberships.values_list("group__name", flat=True))


def test_invite_refuses_an_unknown_organization(db: Any, capsys: Any) -> None:
    assert main(["members", "invite", "a@x.test", "--org", "nope"]) == 1
