"""A NUL in a search is ignored, never a 500 (PostgreSQL refuses NUL in a query; #13)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from equipage.directory.listing import filter_members, member_query
from equipage.permissions import as_actor
from tests.conftest import make_member


def _client(member: Any) -> Client:
    client = Client()
    client.force_login(member, backend="equipage.accounts.backends.MemberBackend")
    return client


def test_console_search_with_nul_answers_and_finds_the_member(org: Any, admin: Any) -> None:
    make_member(org, admin, "Élodie", "Œuvray", email="elodie@acme.test")
    page = _client(admin).get(f"/o/{org.slug}/members", {"q": "\x00elodie\x00", "value": "\x00"})
    assert page.status_code == 200
    assert "Œuvray" in page.content.decode()


def test_api_and_cli_search_with_nul_answer(
    client: Client, org: Any, admin: Any, owner: Any
) -> None:
    from equipage.tokens.actions import token_create

    make_member(org, admin, "Élodie", "Œuvray", email="elodie@acme.test")
    token = token_create(actor=owner, organization=org, name="t", scopes=["api:read"]).raw
    resp = client.get(
        "/api/v1/members", {"search": "elo\x00die"}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert resp.status_code == 200, resp.content
    # The CLI's ``members list --search`` and the API share this selector.
    actor = as_actor(admin)
    found = filter_members(actor, member_query(actor, search="\x00elodie", group="Ventes\x00"))
    assert list(found) == []  # no such group: no member, and no error
    searched = filter_members(actor, member_query(actor, search="\x00œuvray"))
    assert [m.last_name for m in searched] == ["Œuvray"]


def test_invitation_search_with_nul_answers(org: Any, admin: Any) -> None:
    page = _client(admin).get(f"/o/{org.slug}/invitations/", {"q": "a\x00b"})
    assert page.status_code == 200
