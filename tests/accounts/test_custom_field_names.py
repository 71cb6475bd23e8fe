"""Custom field names are unique as the import reads their columns (issue #16.3).

A custom field is a column of the export, matched by ``header_key``: case,
accents, spaces and punctuation ignored, on its name or its key. « Site web »
and « Siteweb » made the organization's own export refuse to import (« the
column appears twice »); a field named « Téléphone » or « Statut » would be read
as a standard column. Both are refused when the field is made.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from equipage.accounts.actions import custom_field_create
from equipage.core.errors import Conflict, ValidationFailed
from tests.api.test_endpoints import call


@pytest.fixture
def write_token(org: Any, owner: Any) -> str:
    from equipage.tokens.actions import token_create

    return token_create(actor=owner, organization=org, name="t", scopes=["api"]).raw


@pytest.mark.parametrize("twin", ["Siteweb", "site-web", "SITE WEB", "Sité_web"])
def test_custom_field_read_as_the_same_column_is_refused_naming_it(
    org: Any, owner: Any, twin: str
) -> None:
    custom_field_create(actor=owner, organization=org, name="Site web")
    with pytest.raises(Conflict) as refused:
        custom_field_create(actor=owner, organization=org, name=twin)
    assert "“Site web”" in str(refused.value)


@pytest.mark.parametrize("name", ["Téléphone", "Phone", "Statut", "E-mail", "Rôles de contact"])
def test_custom_field_named_like_a_standard_column_is_refused(
    org: Any, owner: Any, name: str
) -> None:
    with pytest.raises(Conflict) as refused:
        custom_field_create(actor=owner, organization=org, name=name)
    assert "standard column" in str(refused.value)


def test_custom_field_name_without_a_letter_or_digit_is_refused(org: Any, owner: Any) -> None:
    with pytest.raises(ValidationFailed):
        custom_field_create(actor=owner, organization=org, name="- * -")


def test_another_organization_may_name_a_field_the_same(
    org: Any, owner: Any, other_org: Any, other_owner: Any
) -> None:
    custom_field_create(actor=owner, organization=org, name="Site web")
    custom_field_create(actor=other_owner, organization=other_org, name="Siteweb")


def test_api_answers_409_for_a_custom_field_twin(
    client: Client, write_token: str, org: Any, owner: Any
) -> None:
    assert call(client, write_token, "POST", "/custom-fields", {"name": "Badge"}).status_code == 201
    twin = call(client, write_token, "POST", "/custom-fields", {"name": "BADGE "})
    assert twin.status_code == 409
    assert "Badge" in twin.json()["detail"]
