"""``equipage org create``: the owner's single-use link, printed last, works once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from equipage.cli import main
from equipage.emails.models import OutboundEmail


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_org_create_prints_a_single_use_link_that_lets_the_owner_log_in(
    db: Any, capsys: Any
) -> None:
    code, out, _ = run(
        capsys, "org", "create", "acme", "--name", "Acme", "--owner-email", "owner@acme.test"
    )
    assert code == 0
    link = out.strip().splitlines()[-1]
    assert link.startswith("http://testserver/o/acme/password/set/")
    assert "asks the owner for their first and last name" in out
    assert OutboundEmail.objects.get(kind="set_password").to == "owner@acme.test"
    path = link.removeprefix("http://testserver")
    c = Client()
    page = c.get(path)
    assert page.status_code == 200
    # The owner has no name yet: the page asks for it (SPEC §1), as the invitation does.
    assert 'name="first_name"' in page.content.decode()
    r = c.post(
        path,
        {
            "first_name": "Olga",
            "last_name": "Owner",
            "new_password1": "Owner-chose-2026",
            "new_password2": "Owner-chose-2026",
        },
    )
    assert r.status_code == 302
    r = c.post("/o/acme/login", {"identifier": "owner@acme.test", "password": "Owner-chose-2026"})
    assert r.status_code == 302 and r["Location"] == "/o/acme/"
    assert Client().get(path).status_code == 410


def test_org_create_refuses_a_taken_slug_in_one_line(db: Any, capsys: Any) -> None:
    run(capsys, "org", "create", "acme", "--name", "Acme", "--owner-email", "owner@acme.test")
    code, _out, err = run(
        capsys, "org", "create", "acme", "--name", "Acme 2", "--owner-email", "x@acme.test"
    )
    assert code == 1
    assert err.strip().splitlines() == [
        "equipage: error: An organization with the slug “acme” already exists."
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["org", "create", "Bad Slug!", "--name", "X", "--owner-email", "o@x.test"],
        ["org", "create", "ok", "--name", "X", "--owner-email", "not-an-email"],
        ["org", "create", "ok", "--name", "X", "--owner-email", "o@x.test", "--seats", "0"],
    ],
)
def test_org_create_rejects_bad_arguments_without_a_traceback(
    db: Any, capsys: Any, argv: list[str]
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unknown_organization_is_one_clear_line(db: Any, capsys: Any) -> None:
    code, _, err = run(capsys, "members", "list", "--org", "nowhere")
    assert code == 1
    assert err.strip() == "equipage: error: Unknown organization “nowhere”."


def test_operator_reassigns_ownership_with_a_recorded_reason(
    org: Any, owner: Any, admin: Any, capsys: Any
) -> None:
    from equipage.accounts.selectors import owner_of
    from equipage.audit.models import AuditEvent

    code, _out, _ = run(
        capsys, "org", "reassign-owner", "acme", "--to", admin.email, "--reason", "signed letter"
    )
    assert code == 0
    assert owner_of(org) == admin
    event = AuditEvent.objects.get(event_type="ownership.reassigned")
    assert event.after == {"owner": admin.login, "reason": "signed letter"}
