"""Recorded Okta and Entra ID request sequences, tenant isolation, and SCIM error shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

SCIM = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def call(
    client: Client, token: str, method: str, path: str, body: Any = None, **headers: str
) -> Any:
    kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    kwargs.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    if body is not None:
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = SCIM
    return getattr(client, method.lower())(f"/scim/v2{path}", **kwargs)


def okta_user(login: str, active: bool = True) -> dict[str, Any]:
    return {
        "schemas": [USER],
        "userName": login,
        "name": {"givenName": "Élodie", "familyName": "Œuvray"},
        "emails": [{"primary": True, "value": login, "type": "work"}],
        "displayName": "Élodie Œuvray",
        "locale": "fr-FR",
        "externalId": "00u1abcd",
        "groups": [],
        "password": "Okta-synced-Pa55!",
        "active": active,
    }


def test_okta_sequence_creates_finds_and_deprovisions(
    client: Client, scim_token: str, org: Any, audit_events: Any
) -> None:
    from equipage.accounts.models import Member

    found = call(
        client,
        scim_token,
        "GET",
        '/Users?filter=userName eq "elodie@acme.test"&startIndex=1&count=100',
    )
    assert found.status_code == 200 and found.json()["totalResults"] == 0
    created = call(client, scim_token, "POST", "/Users", okta_user("elodie@acme.test"))
    assert created.status_code == 201, created.content
    uid = created.json()["id"]
    member = Member.objects.get(pk=uid)
    assert (member.organization_id, member.login, member.email) == (
        org.pk,
        "elodie@acme.test",
        "elodie@acme.test",
    )
    assert member.first_name == "Élodie" and member.state == "active"
    # Not a login password: the organization does not accept IdP passwords (the default).
    assert not member.has_usable_password() and not member.check_password("Okta-synced-Pa55!")
    again = call(client, scim_token, "GET", '/Users?filter=userName eq "ELODIE@acme.test"')
    assert again.json()["totalResults"] == 1
    off = call(
        client,
        scim_token,
        "PATCH",
        f"/Users/{uid}",
        {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]},
    )
    assert off.status_code == 204, off.content
    assert call(client, scim_token, "GET", f"/Users/{uid}").json()["active"] is False
    member.refresh_from_db()
    assert member.state == "deactivated"
    events = audit_events()
    assert "member.deactivated" in events and "member.created" in events


def test_entra_patch_replace_active_false_string_deactivates(
    client: Client, scim_token: str
) -> None:
    from equipage.accounts.models import Member

    uid = call(client, scim_token, "POST", "/Users", okta_user("entra@acme.test")).json()["id"]
    resp = call(
        client,
        scim_token,
        "PATCH",
        f"/Users/{uid}",
        {
            "schemas": [PATCH],
            "Operations": [
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Replace", "path": "title", "value": "Comptable"},
            ],
        },
    )
    assert resp.status_code == 204, resp.content
    member = Member.objects.get(pk=uid)
    assert member.state == "deactivated" and member.job_title == "Comptable"


def test_entra_replace_without_path_updates_names(client: Client, scim_token: str) -> None:
    from equipage.accounts.models import Member

    uid = call(client, scim_token, "POST", "/Users", okta_user("np@acme.test")).json()["id"]
    resp = call(
        client,
        scim_token,
        "PATCH",
        f"/Users/{uid}",
        {
            "schemas": [PATCH],
            "Operations": [{"op": "Replace", "value": {"name.familyName": "Durand"}}],
        },
    )
    assert resp.status_code == 204, resp.content
    assert Member.objects.get(pk=uid).last_name == "Durand"


def test_patch_is_all_or_nothing(client: Client, scim_token: str) -> None:
    from equipage.accounts.models import Member

    uid = call(client, scim_token, "POST", "/Users", okta_user("atomic@acme.test")).json()["id"]
    call(client, scim_token, "POST", "/Users", okta_user("taken@acme.test"))
    resp = call(
        client,
        scim_token,
        "PATCH",
        f"/Users/{uid}",
        {
            "schemas": [PATCH],
            "Operations": [
                {"op": "replace", "path": "title", "value": "Changed"},
                {"op": "replace", "path": "userName", "value": "TAKEN@acme.test"},
            ],
        },
    )
    assert resp.status_code == 409 and resp.json()["scimType"] == "uniqueness"
    assert Member.objects.get(pk=uid).job_title == ""


def test_username_is_unique_case_insensitively(client: Client, scim_token: str) -> None:
    call(client, scim_token, "POST", "/Users", okta_user("dup@acme.test"))
    resp = call(client, scim_token, "POST", "/Users", okta_user("DUP@acme.test"))
    assert resp.status_code == 409 and resp.json()["scimType"] == "uniqueness"


def test_owner_cannot_be_deactivated_over_scim(client: Client, scim_token: str, owner: Any) -> None:
    resp = call(
        client,
        scim_token,
        "PATCH",
        f"/Users/{owner.pk}",
        {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]},
    )
    assert resp.status_code == 400 and resp.json()["scimType"] == "mutability"
    owner.refresh_from_db()
    assert owner.state == "active"


def test_stale_if_match_answers_412(client: Client, scim_token: str) -> None:
    uid = call(client, scim_token, "POST", "/Users", okta_user("etag@acme.test")).json()["id"]
    etag = call(client, scim_token, "GET", f"/Users/{uid}")["ETag"]
    body = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "title", "value": "A"}]}
    assert (
        call(client, scim_token, "PATCH", f"/Users/{uid}", body, **{"If-Match": etag}).status_code
        == 204
    )
    assert (
        call(client, scim_token, "PATCH", f"/Users/{uid}", body, **{"If-Match": etag}).status_code
        == 412
    )


def test_other_tenant_token_sees_nothing(
    client: Client, scim_token: str, other_scim_token: str, member: Any, groups: Any
) -> None:
    assert call(client, other_scim_token, "GET", f"/Users/{member.pk}").status_code == 404
    assert (
        call(client, other_scim_token, "GET", f"/Groups/{groups['ventes'].pk}").status_code == 404
    )
    listed = call(client, other_scim_token, "GET", "/Users").json()
    assert member.login not in json.dumps(listed)
    deleted = call(client, other_scim_token, "DELETE", f"/Users/{member.pk}")
    assert deleted.status_code == 404
    assert call(client, scim_token, "GET", f"/Users/{member.pk}").status_code == 200


@pytest.mark.parametrize("header", ["", "Bearer nope", "Basic dXNlcjpwYXNz"])
def test_bad_token_answers_401(client: Client, db: Any, header: str) -> None:
    resp = client.get("/scim/v2/Users", HTTP_AUTHORIZATION=header)
    assert resp.status_code == 401
    assert resp.json()["status"] == "401"


def test_api_token_cannot_use_scim(client: Client, org: Any, owner: Any) -> None:
    from equipage.tokens.actions import token_create

    raw = token_create(actor=owner, organization=org, name="api", scopes=["api"]).raw
    assert call(client, raw, "GET", "/Users").status_code == 403


def test_groups_map_to_our_groups_and_members(client: Client, scim_token: str, member: Any) -> None:
    from equipage.groups.models import Group, GroupMembership

    resp = call(
        client,
        scim_token,
        "POST",
        "/Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Okta Ventes",
            "members": [{"value": str(member.pk)}],
        },
    )
    assert resp.status_code == 201, resp.content
    group = Group.objects.get(pk=resp.json()["id"])
    assert GroupMembership.objects.filter(group=group, member=member).exists()
    removed = call(
        client,
        scim_token,
        "PATCH",
        f"/Groups/{group.pk}",
        {
            "schemas": [PATCH],
            "Operations": [{"op": "remove", "path": f'members[value eq "{member.pk}"]'}],
        },
    )
    assert removed.status_code == 204, removed.content
    assert not GroupMembership.objects.filter(group=group, member=member).exists()


def test_filters_sorting_and_pagination(client: Client, scim_token: str) -> None:
    for i in range(3):
        call(
            client,
            scim_token,
            "POST",
            "/Users",
            okta_user(f"page{i}@acme.test") | {"externalId": f"x{i}"},
        )
    resp = call(
        client,
        scim_token,
        "GET",
        '/Users?filter=userName sw "page" and (externalId eq "x1" or externalId eq "x2")'
        "&sortBy=userName&sortOrder=descending&startIndex=1&count=1&attributes=userName",
    ).json()
    assert resp["totalResults"] == 2
    assert [r["userName"] for r in resp["Resources"]] == ["page2@acme.test"]
    assert "name" not in resp["Resources"][0]
    bad = call(client, scim_token, "GET", "/Users?filter=userName eq")
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"


def test_control_characters_in_a_scim_name_answer_400(client: Client, scim_token: str) -> None:
    from equipage.accounts.models import Member

    user = okta_user("nul@acme.test")
    user["name"] = {"givenName": "Élo\u0000die", "familyName": "Œuvray"}
    resp = call(client, scim_token, "POST", "/Users", user)
    assert resp.status_code == 400, resp.content
    assert resp.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert not Member.objects.filter(login="nul@acme.test").exists()
