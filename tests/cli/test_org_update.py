"""``equipage org update``: the operator's changes to an organization, checked and audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import check_password

from equipage.audit.models import AuditEvent
from equipage.cli import main
from equipage.organizations.models import Organization


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_org_update_changes_name_seats_and_language_with_an_audit_event(
    org: Any, capsys: Any
) -> None:
    code, out, err = run(
        capsys, "org", "update", "acme", "--name", "Acme SA", "--seats", "40", "--lang", "fr"
    )
    assert (code, err) == (0, "")
    assert out.strip() == (
        "Organization acme updated: Acme SA (fr, seats: 40, first password: link)."
    )
    fresh = Organization.objects.get(pk=org.pk)
    assert (fresh.name, fresh.seats, fresh.language) == ("Acme SA", 40, "fr")
    event = AuditEvent.objects.get(organization=org, event_type="org.updated")
    assert event.before == {"name": "Acme", "seats": None, "language": "en"}
    assert event.after == {"name": "Acme SA", "seats": 40, "language": "fr"}
    assert event.origin["channel"] == "cli"


def test_org_update_unlimited_seats_clears_the_count(org: Any, capsys: Any) -> None:
    run(capsys, "org", "update", "acme", "--seats", "10")
    code, out, _ = run(capsys, "org", "update", "acme", "--unlimited-seats")
    assert code == 0 and "seats: unlimited" in out
    assert Organization.objects.get(pk=org.pk).seats is None


def test_org_update_refuses_seats_below_use_naming_the_numbers(
    org: Any, admin: Any, member: Any, capsys: Any
) -> None:
    code, _out, err = run(capsys, "org", "update", "acme", "--seats", "2")
    assert code == 1
    assert err.strip() == (
        "equipage: error: Seats cannot be set to 2: seats in use: 3 "
        "(active accounts: 3, pending invitations: 0)."
    )
    assert Organization.objects.get(pk=org.pk).seats is None


def test_org_update_shared_policy_takes_a_checked_temporary_password(org: Any, capsys: Any) -> None:
    code, _out, err = run(
        capsys,
        "org", "update", "acme", "--first-password", "shared", "--temporary-password", "tempeos",
    )  # fmt: skip
    assert code == 1 and "published in public help pages" in err
    code, out, _ = run(
        capsys,
        "org", "update", "acme", "--first-password", "shared",
        "--temporary-password", "kq7m-x3fa-9wpt",
    )  # fmt: skip
    assert code == 0 and "first password: shared" in out
    fresh = Organization.objects.get(pk=org.pk)
    assert check_password("kq7m-x3fa-9wpt", fresh.temp_password_hash)
    event = AuditEvent.objects.filter(organization=org, event_type="org.updated").latest("id")
    assert "kq7m" not in str(event.after) and event.after["temporary_password"] == "new"
    code, out, _ = run(capsys, "org", "update", "acme", "--first-password", "link")
    assert code == 0 and Organization.objects.get(pk=org.pk).temp_password_hash == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--first-password", "shared"], "--first-password shared needs --temporary-password"),
        (["--temporary-password", "kq7m-x3fa-9wpt"], "goes with --first-password shared"),
        ([], "nothing to change"),
        (["--seats", "0"], "at least one seat"),
        (["--name", "  "], "A name is required."),
    ],
)
def test_org_update_rejects_bad_arguments_in_one_line(
    org: Any, capsys: Any, argv: list[str], message: str
) -> None:
    code, _out, err = run(capsys, "org", "update", "acme", *argv)
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1


def test_org_update_seats_and_unlimited_are_exclusive(org: Any, capsys: Any) -> None:
    with pytest.raises(SystemExit):
        main(["org", "update", "acme", "--seats", "3", "--unlimited-seats"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_org_update_of_an_unknown_organization_is_one_clear_line(db: Any, capsys: Any) -> None:
    code, _out, err = run(capsys, "org", "update", "nowhere", "--name", "X")
    assert code == 1 and err.strip() == "equipage: error: Unknown organization “nowhere”."
