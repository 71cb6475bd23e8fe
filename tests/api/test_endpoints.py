"""Every endpoint: token scope, tenant isolation, problem+json errors, ETags, rate limit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

API = "/api/v1"


def call(
    client: Client, token: str | None, method: str, path: str, body: Any = None, **headers: str
) -> Any:
    kwargs: dict[str, Any] = {}
    if token:
        kwargs["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    kwargs.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    if body is not None:
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method.lower())(f"{API}{path}", **kwargs)


@pytest.fixture
def world(org: Any, owner: Any, member: Any, groups: Any) -> dict[str, Any]:
    from equipage.accounts.actions import custom_field_create
    from equipage.groups.actions import label_create

    label = label_create(actor=owner, organization=org, name="VIP")
    field = custom_field_create(actor=owner, organization=org, name="Badge")
    return {"member": member, "group": groups["ventes"], "label": label, "field": field}


def endpoints(w: dict[str, Any]) -> list[tuple[str, str, Any]]:
    m, g, lab, f = w["member"].pk, w["group"].pk, w["label"].pk, w["field"].pk
    return [
        ("GET", "/members", None),
        ("GET", f"/members/{m}", None),
        ("POST", "/members", {"first_name": "Zoé", "last_name": "Api"}),
        ("PATCH", f"/members/{m}", {"job_title": "Chef"}),
        ("POST", f"/members/{m}/deactivate", None),
        ("POST", f"/members/{m}/reactivate", None),
        ("PUT", f"/members/{m}/roles", {"roles": ["member"]}),
        ("GET", "/groups", None),
        ("GET", f"/groups/{g}", None),
        ("POST", "/groups", {"name": "API group"}),
        ("PATCH", f"/groups/{g}", {"name": "Ventes 2"}),
        ("GET", f"/groups/{g}/members", None),
        ("POST", f"/groups/{g}/members", {"member_id": m}),
        ("DELETE", f"/groups/{g}/members/{m}", None),
        ("GET", "/labels", None),
        ("POST", "/labels", {"name": "New"}),
        ("POST", f"/labels/{lab}/members", {"member_ids": [m]}),
        ("POST", f"/labels/{lab}/members/remove", {"member_ids": [m]}),
        ("DELETE", f"/labels/{lab}", None),
        ("GET", "/custom-fields", None),
        ("POST", "/custom-fields", {"name": "Service"}),
        ("DELETE", f"/custom-fields/{f}", None),
        ("POST", "/invitations", {"emails": "new@acme.test"}),
        ("GET", "/audit-events", None),
        ("GET", "/imports", None),
        ("DELETE", f"/members/{m}", None),
    ]


def test_every_endpoint_refuses_a_missing_or_bad_token(client: Client, world: Any) -> None:
    for method, path, body in endpoints(world):
        for token in (None, "eqp_wrong"):
            resp = call(client, token, method, path, body)
            assert resp.status_code == 401, (method, path, resp.content)
            assert resp["Content-Type"] == "application/problem+json"


def test_read_token_may_read_but_not_write(client: Client, world: Any, read_token: str) -> None:
    for method, path, body in endpoints(world):
        resp = call(client, read_token, method, path, body)
        if method == "GET":
            assert resp.status_code == 200, (path, resp.content)
        else:
            assert resp.status_code == 403, (method, path, resp.content)
            assert resp.json()["type"].endswith("insufficient_scope")


def test_other_tenant_token_gets_404_on_every_object(
    client: Client, world: Any, other_token: str
) -> None:
    for method, path, body in endpoints(world):
        if path.count("/") < 2 or path.startswith("/invitations"):
            continue  # collections answer the token's own organization, checked below
        resp = call(client, other_token, method, path, body)
        assert resp.status_code == 404, (method, path, resp.content)
    listed = call(client, other_token, "GET", "/members").json()
    assert world["member"].login not in json.dumps(listed)
    assert "Ventes" not in json.dumps(call(client, other_token, "GET", "/groups").json())
    assert "VIP" not in json.dumps(call(client, other_token, "GET", "/labels").json())


def test_write_token_drives_every_endpoint_without_server_error(
    client: Client, world: Any, write_token: str
) -> None:
    for method, path, body in endpoints(world):
        resp = call(client, write_token, method, path, body)
        assert resp.status_code < 400, (method, path, resp.content)


def test_create_member_is_audited_as_the_token(
    client: Client, write_token: str, audit_events: Any
) -> None:
    from equipage.audit.models import AuditEvent

    resp = call(
        client, write_token, "POST", "/members", {"first_name": "Élodie", "last_name": "Œuvray"}
    )
    assert resp.status_code == 201
    assert resp.json()["login"] == "elodie.oeuvray"
    event = AuditEvent.objects.filter(event_type="member.created").latest("id")
    assert event.actor_label == "token:t" and event.origin.get("channel") == "api"


def test_errors_are_problem_json_with_field_details(
    client: Client, write_token: str, member: Any
) -> None:
    dup = call(
        client,
        write_token,
        "POST",
        "/members",
        {"first_name": "A", "last_name": "B", "email": member.email},
    )
    assert dup.status_code == 409
    body = dup.json()
    assert dup["Content-Type"] == "application/problem+json"
    assert body["errors"][0]["field"] == "email"
    bad = call(client, write_token, "POST", "/members", {"first_name": "A"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "last_name"


def test_owner_cannot_be_deactivated_through_the_api(
    client: Client, write_token: str, owner: Any
) -> None:
    resp = call(client, write_token, "POST", f"/members/{owner.pk}/deactivate")
    assert resp.status_code in (403, 409)
    owner.refresh_from_db()
    assert owner.state == "active"


def test_if_match_refuses_a_stale_update(client: Client, write_token: str, member: Any) -> None:
    etag = call(client, write_token, "GET", f"/members/{member.pk}")["ETag"]
    first = call(
        client,
        write_token,
        "PATCH",
        f"/members/{member.pk}",
        {"job_title": "A"},
        **{"If-Match": etag},
    )
    assert first.status_code == 200 and first["ETag"] != etag
    stale = call(
        client,
        write_token,
        "PATCH",
        f"/members/{member.pk}",
        {"job_title": "B"},
        **{"If-Match": etag},
    )
    assert stale.status_code == 412
    member.refresh_from_db()
    assert member.job_title == "A"


def test_keyset_pagination_walks_every_member_once(
    client: Client, write_token: str, org: Any, owner: Any
) -> None:
    from tests.conftest import make_member

    for i in range(5):
        make_member(org, owner, f"P{i}", "Page")
    seen: list[int] = []
    cursor = ""
    while True:
        page = call(client, write_token, "GET", f"/members?limit=2&cursor={cursor}").json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 6


def test_rate_limit_answers_429_per_token(client: Client, write_token: str, settings: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.EQUIPAGE_API_RATE_LIMIT = 3
    codes = [call(client, write_token, "GET", "/labels").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_deactivated_creator_token_answers_401(
    client: Client, org: Any, owner: Any, admin: Any
) -> None:
    from equipage.accounts.actions import member_deactivate
    from equipage.tokens.actions import token_create

    raw = token_create(actor=admin, organization=org, name="a", scopes=["api"]).raw
    assert call(client, raw, "GET", "/labels").status_code == 200
    member_deactivate(actor=owner, member=admin)
    assert call(client, raw, "GET", "/labels").status_code == 401


def test_openapi_document_is_3_1_and_public(client: Client, db: Any) -> None:
    doc = client.get(f"{API}/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert "/members" in doc["paths"]


def test_openapi_documents_errors_as_problem_json(client: Client, db: Any) -> None:
    doc = client.get(f"{API}/openapi.json").json()
    seen = 0
    for operations in doc["paths"].values():
        for operation in operations.values():
            for code, response in operation["responses"].items():
                if int(code) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], code
                    seen += 1
                elif "content" in response:
                    assert "application/problem+json" not in response["content"]
    assert seen > 50
    for path in ("/imports", "/imports/{job_id}/apply", "/exports/members"):
        assert path in doc["paths"]


def test_control_characters_in_a_name_are_a_field_error_not_a_server_error(
    client: Client, write_token: str, member: Any
) -> None:
    from equipage.accounts.models import Member

    created = call(
        client,
        write_token,
        "POST",
        "/members",
        {"first_name": "Zo\u0000é", "last_name": "B"},
        accept_language="fr",
    )
    assert created.status_code == 400 and created.json()["errors"][0]["field"] == "first_name"
    assert "contrôle" in created.json()["detail"]  # the reader asked for French
    assert not Member.objects.filter(last_name="B").exists()
    changed = call(client, write_token, "PATCH", f"/members/{member.pk}", {"last_name": "A\u0007"})
    assert changed.status_code == 400 and changed.json()["errors"][0]["field"] == "last_name"
