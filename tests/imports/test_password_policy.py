"""The import's ``Mot de passe`` column follows the organization's password policy (#18.7):
a refused password is a line error naming the rule, in the reader's language, and nothing
is applied."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from equipage.accounts.models import Member
from equipage.imports.problems import render
from tests.imports.helpers import csv_bytes, run_import

pytestmark = pytest.mark.django_db


def roster(*rows: list[str]) -> bytes:
    return csv_bytes([list(r) for r in rows])


def test_a_password_of_eleven_and_a_common_one_are_line_errors_and_nothing_is_applied(
    org: Any, admin: Any, member: Any
) -> None:
    report = run_import(
        org,
        admin,
        roster(
            ["", "Neuf", "Nina", "nina@acme.test", "Elevenchars", "Activé"],
            [member.login, "Member", "Mia", member.email, "qwerty123456", "Activé"],
            ["", "Bon", "Basile", "basile@acme.test", "Long-enough-2026", "Activé"],
        ),
        mode="upsert",
    )
    assert report.applied is False
    errors = {e["line"]: e for e in report.errors}
    assert errors[2]["column"] == "Mot de passe" and errors[2]["code"] == "password_too_short"
    assert "minimum length: 12" in errors[2]["message"]
    assert errors[3]["code"] == "password_too_common" and "too common" in errors[3]["message"]
    assert 4 not in errors
    with translation.override("fr"):
        assert "trop court" in render(errors[2]) and "12" in render(errors[2])
        assert "trop courant" in render(errors[3])
    assert not Member.objects.filter(organization=org, email="basile@acme.test").exists()
    assert Member.objects.get(pk=member.pk).check_password("member-pass-123")


def test_a_lower_minimum_lets_the_same_file_in(org: Any, owner: Any, admin: Any) -> None:
    from equipage.organizations.actions import organization_update

    organization_update(actor=owner, organization=org, password_min_length=8)
    org.refresh_from_db()
    report = run_import(
        org,
        admin,
        roster(["", "Neuf", "Nina", "nina@acme.test", "Elevenchars", "Activé"]),
        mode="upsert",
    )
    assert (report.applied, report.errors) == (True, [])
    nina = Member.objects.get(organization=org, email="nina@acme.test")
    assert nina.check_password("Elevenchars")
