"""The import page, its preview and the CLI say which first-password policy new accounts get."""

from __future__ import annotations

from typing import Any

from django.test import Client

from equipage.cli import main
from tests.imports.helpers import csv_bytes

BACKEND = "equipage.accounts.backends.MemberBackend"
LINK = "single-use link by e-mail"


def english(member: Any) -> Client:
    client = Client()
    client.force_login(member, backend=BACKEND)
    client.cookies["django_language"] = "en"
    return client


def test_import_page_says_new_accounts_get_a_link_and_where_to_change_it(
    org: Any, admin: Any
) -> None:
    body = english(admin).get("/o/acme/members/import").content.decode()
    assert LINK in body and "/o/acme/settings/#first-password-title" in body


def test_import_page_of_a_shared_organization_says_so(
    org: Any, owner: Any, user_admin: Any
) -> None:
    from equipage.organizations.actions import organization_update

    organization_update(
        actor=owner,
        organization=org,
        first_password_policy="shared",
        temporary_password="kq7m-x3fa-9wpt",
    )
    body = english(user_admin).get("/o/acme/members/import").content.decode()
    assert "temporary password, within 14 days" in body
    # A user admin cannot change the policy: no link to the settings.
    assert "#first-password-title" not in body


def test_cli_import_says_which_policy_applies(org: Any, tmp_path: Any, capsys: Any) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_bytes(csv_bytes([["", "Neuf", "Nina", "nina@x.fr", "", "Activé"]]))
    code = main(["members", "import", str(roster), "--org", "acme", "--mode", "upsert"])
    out = capsys.readouterr().out
    assert code == 0 and LINK in out
