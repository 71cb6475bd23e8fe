"""Names stay names: one rule for every entry point (issue #13.7, "Unbounded work").

The attacks: a right-to-left override or a zero-width space in a name (the
import took them where the API refused them), a 10,000-character SCIM group
name, an organization name with CRLF.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from equipage.core.errors import ValidationFailed
from equipage.core.text import clean_name, text_problem

RLO = "\u202e"
ZWSP = "\u200b"
HOSTILE = [RLO, "\u202a", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c", ZWSP, "\u200d",
           "\u2060", "\ufeff", "\x00", "\r\n", "\x85"]  # fmt: skip


def _token(org: Any, owner: Any, scopes: list[str]) -> str:
    from equipage.tokens.actions import token_create

    return token_create(actor=owner, organization=org, name="t", scopes=scopes).raw


@pytest.fixture
def write_token(org: Any, owner: Any) -> str:
    return _token(org, owner, ["api"])


@pytest.fixture
def scim_token(org: Any, owner: Any) -> str:
    return _token(org, owner, ["scim"])


@pytest.mark.parametrize("char", HOSTILE)
def test_bidi_zero_width_and_control_characters_are_refused_in_a_name(char: str) -> None:
    assert text_problem(f"Élodie{char}Martin") is not None
    with pytest.raises(ValidationFailed):
        clean_name(f"adm{char}in", field="name", max_length=150)


def test_plain_names_pass_the_rule() -> None:
    for name in ("Élodie Œuvray", "D'Artagnan", "Jean-Pierre", "李小龍", "محمد", "Zoë 2"):
        assert clean_name(f"  {name} ", field="name", max_length=150) == name


def test_a_bidi_control_names_its_kind() -> None:
    assert "bidirectional" in (text_problem(f"x{RLO}y") or "")


def test_member_created_through_the_api_with_a_right_to_left_override_is_refused(
    client: Client, write_token: str
) -> None:
    resp = client.post(
        "/api/v1/members",
        json.dumps({"first_name": f"adm{RLO}nimda", "last_name": "X"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {write_token}",
    )
    assert resp.status_code in (400, 422), resp.content
    assert resp["Content-Type"] == "application/problem+json"


def test_import_refuses_the_characters_the_api_refuses(org: Any, admin: Any) -> None:
    from tests.imports.helpers import csv_bytes, run_import

    data = csv_bytes(
        [
            ["", f"Martin{RLO}", "Élodie", "", "", "Activé"],
            [f"jd{ZWSP}", "Dupont", "Jean", "", "", "Activé"],
            ["", "Durand", "Zoé", "", "", "Activé", f"Ventes{RLO}"],
        ],
        header=[
            "Identifiant",
            "Nom",
            "Prénom",
            "Adresse e-mail",
            "Mot de passe",
            "État",
            "Groupes",
        ],
    )
    report = run_import(org, admin, data, mode="upsert", dry_run=True)
    assert [(e["line"], e["column"]) for e in report.errors] == [
        (2, "Nom"),
        (3, "Identifiant"),
        (4, "Groupes"),
    ]


def test_group_label_and_custom_field_names_follow_the_rule(org: Any, admin: Any) -> None:
    from equipage.accounts.actions.customfields import custom_field_create
    from equipage.groups.actions import group_create, label_create

    for make in (
        lambda name: group_create(actor=admin, organization=org, name=name),
        lambda name: label_create(actor=admin, organization=org, name=name),
        lambda name: custom_field_create(actor=admin, organization=org, name=name),
    ):
        with pytest.raises(ValidationFailed):
            make(f"Ventes{ZWSP}")
        with pytest.raises(ValidationFailed):
            make("V" * 10_000)


def test_scim_group_of_ten_thousand_characters_is_refused(client: Client, scim_token: str) -> None:
    from equipage.groups.models import Group

    resp = client.post(
        "/scim/v2/Groups",
        json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "G" * 10_000,
            }
        ),
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {scim_token}",
    )
    assert resp.status_code == 400, resp.content
    assert not Group.objects.filter(name__startswith="GGGG").exists()


def test_organization_name_with_crlf_is_refused(org: Any, owner: Any, operator: Any) -> None:
    from equipage.organizations.actions import organization_create, organization_update

    with pytest.raises(ValidationFailed):
        organization_update(actor=owner, organization=org, name="Acme\r\nBcc: x@evil.test")
    with pytest.raises(ValidationFailed):
        organization_create(
            actor=operator, slug="crlf", name="Evil\r\nCorp", owner_email="o@crlf.test"
        )


def test_no_break_spaces_in_a_name_are_stored_as_plain_spaces() -> None:
    from equipage.core.text import clean_name

    assert clean_name("Jean\u00a0Paul\u202fde\u2007La", field="name", max_length=50) == (
        "Jean Paul de La"
    )
