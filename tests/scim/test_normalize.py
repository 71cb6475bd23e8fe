"""What identity providers send, made into RFC bodies: each leniency, and where it stops."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.scim.replays import ENTERPRISE, PATCH_OP, USER

CUSTOM = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"


def call(client: Client, token: str, method: str, path: str, body: Any) -> Any:
    return getattr(client, method)(
        f"/scim/v2{path}",
        data=body if isinstance(body, str) else json.dumps(body),
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def normalizer(resource: str = "User") -> Any:
    from equipage.scim.normalize import Normalizer
    from equipage.scim.provider import provider

    return Normalizer(next(rt for rt in provider().resource_types if rt.name == resource))


def test_unknown_attributes_and_schemas_are_dropped_and_named(db: Any) -> None:
    n = normalizer()
    body = n.resource(
        {
            "schemas": [USER, CUSTOM],
            "userName": "a@b.test",
            "department": None,
            "costCenter": "X1",
            CUSTOM: {"tag": "secret-tag"},
            ENTERPRISE: {"manager": "42", "department": None, "shoeSize": 44},
        }
    )
    assert body == {
        "schemas": [USER],
        "userName": "a@b.test",
        ENTERPRISE: {"manager": {"value": "42", "$ref": None, "displayName": None}},
    }
    assert n.ignored == [CUSTOM, "costCenter", CUSTOM, f"{ENTERPRISE}:shoeSize"]


@pytest.mark.parametrize(
    ("sent", "read"),
    [("False", False), ("true", True), (False, False), ("maybe", "maybe"), ("", "")],
)
def test_booleans_sent_as_strings_are_read_and_nothing_else(db: Any, sent: Any, read: Any) -> None:
    patch = normalizer().patch(
        {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": sent}]}
    )
    assert patch["Operations"] == [{"op": "replace", "path": "active", "value": read}]


def test_a_non_boolean_string_stays_refused(client: Client, scim_token: str, member: Any) -> None:
    body = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "path": "active", "value": "Nope"}],
    }
    reply = call(client, scim_token, "patch", f"/Users/{member.pk}", body)
    assert reply.status_code == 400 and reply.json()["schemas"][0].endswith(":Error")
    member.refresh_from_db()
    assert member.state == "active"


def test_remove_members_by_value_list_removes_only_those(db: Any) -> None:
    patch = normalizer("Group").patch(
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "Remove", "path": "members", "value": [{"value": "7"}, {"value": '8"]'}]}
            ],
        }
    )
    # An id cannot break out of the filter: it is written as a JSON string.
    assert patch["Operations"] == [
        {"op": "remove", "path": 'members[value eq "7"]'},
        {"op": "remove", "path": 'members[value eq "8\\"]"]'},
    ]


def test_remove_of_a_member_of_another_tenant_changes_nothing(
    client: Client, scim_token: str, member: Any, other_member: Any, groups: Any
) -> None:
    from equipage.groups.models import GroupMembership

    group = groups["nord"]  # member is in it
    before = set(GroupMembership.objects.filter(group=group).values_list("member_id", flat=True))
    body = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Remove", "path": "members", "value": [{"value": str(other_member.pk)}]}
        ],
    }
    assert call(client, scim_token, "patch", f"/Groups/{group.pk}", body).status_code == 204
    after = set(GroupMembership.objects.filter(group=group).values_list("member_id", flat=True))
    assert after == before


def test_a_patch_only_about_ignored_attributes_answers_204_and_changes_nothing(
    client: Client, scim_token: str, member: Any
) -> None:
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "add", "value": {f"{CUSTOM}:tag": "x"}}]}
    assert call(client, scim_token, "patch", f"/Users/{member.pk}", body).status_code == 204


@pytest.mark.parametrize("body", ["[]", "null", "17", '"text"', "{"])
def test_bodies_that_are_not_objects_are_still_refused(
    client: Client, scim_token: str, body: str
) -> None:
    reply = call(client, scim_token, "post", "/Users", body)
    assert reply.status_code == 400 and reply.json()["schemas"][0].endswith(":Error")


def test_a_top_level_manager_goes_to_the_enterprise_extension(
    client: Client, scim_token: str, member: Any
) -> None:
    body = {"schemas": [USER], "userName": "mgr@acme.test", "manager": str(member.pk)}
    reply = call(client, scim_token, "post", "/Users", body)
    assert reply.status_code == 201, reply.content
    assert reply.json()[ENTERPRISE]["manager"]["value"] == str(member.pk)
    assert ENTERPRISE in reply.json()["schemas"]


def test_a_quote_in_a_removed_member_id_is_a_scim_error_not_a_crash(
    client: Client, scim_token: str, groups: Any, member: Any
) -> None:
    from equipage.groups.models import GroupMembership

    body = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "Remove", "path": "members", "value": [{"value": '1"] or [x'}]}],
    }
    reply = call(client, scim_token, "patch", f"/Groups/{groups['nord'].pk}", body)
    assert reply.status_code in (204, 400), reply.content
    assert reply.status_code == 204 or reply.json()["schemas"][0].endswith(":Error")
    assert GroupMembership.objects.filter(group=groups["nord"], member=member).exists()


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        ('id eq "7" and manager eq "3"', f'id eq "7" and {ENTERPRISE}:manager.value eq "3"'),
        ("manager.value pr", f"{ENTERPRISE}:manager.value pr"),
        ('userName eq "manager eq x"', 'userName eq "manager eq x"'),
        (f'{ENTERPRISE}:manager.value eq "3"', f'{ENTERPRISE}:manager.value eq "3"'),
        ('title eq "a \\" manager eq"', 'title eq "a \\" manager eq"'),
    ],
)
def test_a_bare_manager_in_a_filter_is_qualified_outside_strings_only(sent: str, read: str) -> None:
    from equipage.scim.normalize import search_filter

    assert search_filter(sent) == read


def test_unknown_attributes_of_a_served_extension_are_ignored_in_a_patch(
    client: Client, scim_token: str, member: Any, caplog: pytest.LogCaptureFixture
) -> None:
    body = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Replace", "path": f"{ENTERPRISE}:shoeSize", "value": "44"},
            {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Ventes"},
        ],
    }
    with caplog.at_level("WARNING", logger="equipage.scim"):
        reply = call(client, scim_token, "patch", f"/Users/{member.pk}", body)
    assert reply.status_code == 204, reply.content
    assert f"{ENTERPRISE}:shoeSize" in caplog.text and "44" not in caplog.text
    got = client.get(f"/scim/v2/Users/{member.pk}", HTTP_AUTHORIZATION=f"Bearer {scim_token}")
    assert got.json()[ENTERPRISE] == {"department": "Ventes"}
