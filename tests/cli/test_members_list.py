"""``equipage members list --json``: the SPEC §9 fields, filters and the Guide."""

from __future__ import annotations

import json
from typing import Any

from equipage.accounts.actions import member_deactivate
from equipage.cli import main


def listing(capsys: Any, *extra: str) -> list[dict[str, Any]]:
    assert main(["members", "list", "--org", "acme", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_list_json_has_the_contract_fields(org: Any, owner: Any, member: Any, capsys: Any) -> None:
    rows = listing(capsys)
    mia = next(r for r in rows if r["login"] == member.login)
    for key in ("login", "email", "first_name", "last_name", "state", "guide", "roles", "groups"):
        assert key in mia
    assert mia["state"] == "active" and mia["guide"] == "ok"
    assert mia["groups"] == ["Ventes", "Ventes Nord"]  # propagated up the public parent
    assert next(r for r in rows if r["login"] == owner.login)["roles"] == ["owner", "admin"]


def test_list_search_is_accent_insensitive(org: Any, admin: Any, capsys: Any) -> None:
    from equipage.accounts.actions import member_create

    member_create(actor=admin, organization=org, first_name="Élodie", last_name="Œuvray")
    assert [r["login"] for r in listing(capsys, "--search", "elodie oeuv")] == ["elodie.oeuvray"]


def test_list_filters_by_group_and_state(
    org: Any, admin: Any, member: Any, outsider: Any, capsys: Any
) -> None:
    assert [r["login"] for r in listing(capsys, "--group", "Ventes")] == [member.login]
    member_deactivate(actor=admin, member=member)
    rows = listing(capsys, "--state", "deactivated")
    assert [(r["login"], r["guide"]) for r in rows] == [(member.login, "reactivate")]


def test_list_does_not_show_another_tenants_members(
    org: Any, other_member: Any, capsys: Any
) -> None:
    assert other_member.login not in {r["login"] for r in listing(capsys)}
