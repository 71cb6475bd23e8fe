"""Group and label names are unique as the import reads them (issue #16.3).

The import matches a Groupes / Étiquettes cell with ``list_name_key`` (case,
accents, runs of spaces and which of , ; | separates words ignored): « Résidents » and « residents » would be one group to
it, so an organization's own export re-imported moved members between them.
The second name is refused where it is made — console, API, SCIM, CLI — as a
conflict naming the first; the attack is each entry point in turn.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from equipage.core.errors import Conflict, ValidationFailed
from equipage.groups.actions import group_create, group_update, label_create
from tests.api.test_endpoints import call

TWINS = [" residents ", "RÉSIDENTS", "Re\u0301sidents", "résidents"]


@pytest.fixture
def write_token(org: Any, owner: Any) -> str:
    from equipage.tokens.actions import token_create

    return token_create(actor=owner, organization=org, name="t", scopes=["api"]).raw


@pytest.fixture
def scim_token(org: Any, owner: Any) -> str:
    from equipage.tokens.actions import token_create

    return token_create(actor=owner, organization=org, name="idp", scopes=["scim"]).raw


@pytest.mark.parametrize("twin", TWINS)
def test_group_named_like_another_as_the_import_reads_it_is_refused_naming_it(
    org: Any, owner: Any, twin: str
) -> None:
    group_create(actor=owner, organization=org, name="Résidents")
    with pytest.raises(Conflict) as refused:
        group_create(actor=owner, organization=org, name=twin)
    assert "“Résidents”" in str(refused.value)
    assert refused.value.field == "name"


def test_group_renamed_into_another_groups_twin_is_refused(org: Any, owner: Any) -> None:
    group_create(actor=owner, organization=org, name="Résidents")
    other = group_create(actor=owner, organization=org, name="Visiteurs")
    with pytest.raises(Conflict):
        group_update(actor=owner, group=other, name="residents")
    other.refresh_from_db()
    assert other.name == "Visiteurs"


def test_group_may_change_the_case_of_its_own_name(org: Any, owner: Any) -> None:
    group = group_create(actor=owner, organization=org, name="residents")
    assert group_update(actor=owner, group=group, name="Résidents").name == "Résidents"


def test_names_distinct_to_the_import_are_all_accepted(org: Any, owner: Any) -> None:
    for name in ("Site web", "Siteweb", "Nord", "Nord-Est"):
        group_create(actor=owner, organization=org, name=name)


def test_another_organization_may_use_the_same_name(
    org: Any, owner: Any, other_org: Any, other_owner: Any
) -> None:
    group_create(actor=owner, organization=org, name="Résidents")
    label_create(actor=owner, organization=org, name="VIP")
    group_create(actor=other_owner, organization=other_org, name="residents")
    label_create(actor=other_owner, organization=other_org, name="vip")


def test_label_named_like_another_is_refused_in_french_too(org: Any, owner: Any) -> None:
    label_create(actor=owner, organization=org, name="Bénévole")
    with translation.override("fr"), pytest.raises(Conflict) as refused:
        label_create(actor=owner, organization=org, name="BENEVOLE")
    assert str(refused.value).startswith("L'étiquette « Bénévole » existe déjà")


@pytest.mark.parametrize("name", ["Nord, Sud", "A;B", "x|y", "Sales, EMEA | North"])
def test_group_or_label_name_holding_a_list_separator_is_accepted(
    org: Any, owner: Any, name: str
) -> None:
    assert group_create(actor=owner, organization=org, name=name).name == name
    assert label_create(actor=owner, organization=org, name=name).name == name


@pytest.mark.parametrize("twin", ["Sales; EMEA", "sales ,emea", "SALES|EMEA", "Sales,, EMEA"])
def test_names_differing_only_by_their_separator_are_twins(org: Any, owner: Any, twin: str) -> None:
    """The import splits by any of , ; | : it cannot tell « Sales, EMEA » from « Sales; EMEA »."""
    group_create(actor=owner, organization=org, name="Sales, EMEA")
    label_create(actor=owner, organization=org, name="Sales, EMEA")
    with pytest.raises(Conflict) as refused:
        group_create(actor=owner, organization=org, name=twin)
    assert "“Sales, EMEA”" in str(refused.value)
    with pytest.raises(Conflict):
        label_create(actor=owner, organization=org, name=twin)


@pytest.mark.parametrize("name", [",", " ; | ", ",,"])
def test_name_of_separators_alone_is_refused(org: Any, owner: Any, name: str) -> None:
    """No piece of a cell could name it: the export would write it and the import lose it."""
    with pytest.raises(ValidationFailed):
        group_create(actor=owner, organization=org, name=name)
    with pytest.raises(ValidationFailed):
        label_create(actor=owner, organization=org, name=name)


def test_api_answers_409_naming_the_existing_group_on_create_and_rename(
    client: Client, write_token: str, org: Any, owner: Any
) -> None:
    first = call(client, write_token, "POST", "/groups", {"name": "Résidents"})
    assert first.status_code == 201
    twin = call(client, write_token, "POST", "/groups", {"name": "residents"})
    assert twin.status_code == 409
    assert twin["Content-Type"] == "application/problem+json"
    assert "Résidents" in twin.json()["detail"]
    assert twin.json()["errors"][0]["field"] == "name"
    other = call(client, write_token, "POST", "/groups", {"name": "Autres"}).json()
    renamed = call(client, write_token, "PATCH", f"/groups/{other['id']}", {"name": "RESIDENTS"})
    assert renamed.status_code == 409
    label = call(client, write_token, "POST", "/labels", {"name": "Zoé"})
    assert label.status_code == 201
    assert call(client, write_token, "POST", "/labels", {"name": "zoe"}).status_code == 409


def test_scim_group_twin_is_a_uniqueness_error(
    client: Client, scim_token: str, org: Any, owner: Any
) -> None:
    def post(name: str) -> Any:
        return client.post(
            "/scim/v2/Groups",
            data=json.dumps(
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name}
            ),
            content_type="application/scim+json",
            HTTP_AUTHORIZATION=f"Bearer {scim_token}",
        )

    assert post("Résidents").status_code == 201
    twin = post("residents")
    assert twin.status_code == 409
    assert twin.json()["scimType"] == "uniqueness"
    assert "Résidents" in twin.json()["detail"]


def test_scim_group_named_with_a_comma_is_created(
    client: Client, scim_token: str, org: Any, owner: Any
) -> None:
    """Okta and Entra ID provision « Sales, EMEA » with their default settings: 201, not 400."""
    answer = client.post(
        "/scim/v2/Groups",
        data=json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Sales, EMEA",
            }
        ),
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {scim_token}",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["displayName"] == "Sales, EMEA"


def test_api_accepts_a_label_named_with_a_semicolon(
    client: Client, write_token: str, org: Any, owner: Any
) -> None:
    answer = call(client, write_token, "POST", "/labels", {"name": "Bénévoles; été"})
    assert answer.status_code == 201, answer.content
    assert (
        call(client, write_token, "POST", "/labels", {"name": "benevoles, ete"}).status_code == 409
    )
