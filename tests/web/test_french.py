"""The console speaks French by default for a French organization, with the seeds' words."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _french_client(member: Any) -> Client:
    client = Client()
    client.force_login(member, backend="equipage.accounts.backends.MemberBackend")
    return client


def test_directory_uses_the_seeds_french_words(
    admin: Any, member: Any, org: Any, operator: Any
) -> None:
    from equipage.organizations.actions import organization_update

    organization_update(actor=operator, organization=org, language="fr")
    admin.refresh_from_db()
    body = _french_client(admin).get("/o/acme/members").content.decode()
    for words in (
        "Membres",
        "Action de masse",
        "Désactiver les membres sélectionnés",
        "Réactiver",
        "Ajouter un membre",
        "Rechercher",
    ):
        assert words in body, words
    assert "Seats used" not in body


def test_english_cookie_switches_the_console_to_english(
    login_as: Any, admin: Any, org: Any, operator: Any
) -> None:
    from equipage.organizations.actions import organization_update

    organization_update(actor=operator, organization=org, language="fr")
    body = login_as(admin).get("/o/acme/members").content.decode()
    assert "Bulk action" in body and "Action de masse" not in body
