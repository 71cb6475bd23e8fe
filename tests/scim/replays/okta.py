"""Okta's SCIM 2.0 requests, transcribed from its public documentation.

Sources: "Okta and SCIM Version 2.0" (developer.okta.com/docs/api/openapi/
okta-scim/guides/scim-20, okta/okta-developer-docs ``docs/reference/scim/
scim-20``) for the provisioning sequence, and Okta's "SCIM 2.0 SPEC Test"
Runscope suite (``Okta-SCIM-20-SPEC-Test.json`` in the same repository) for
the checks Okta runs before it lists an integration. The bodies are Okta's;
the identifiers Okta would get from us are saved from our answers.
"""

from __future__ import annotations

from tests.scim.replays import ABSENT, ERROR, GROUP, LIST, NOT_EMPTY, PATCH_OP, USER, Step

# Okta sends this on every create; its docs say the value is not relevant.
PLACEHOLDER_PASSWORD = "1mz050nq"

CREATE_USER = {
    "schemas": [USER],
    "userName": "test.user@okta.local",
    "name": {"givenName": "Test", "familyName": "User"},
    "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": PLACEHOLDER_PASSWORD,
    "active": True,
}

# A Runscope "SPEC test" user, and the one it checks first: Resources[0] of the
# first page, which in a new organization is its owner.
SPEC_FIRST_USER_CHECKS = {
    "Resources.0.id": NOT_EMPTY,
    "Resources.0.name.familyName": NOT_EMPTY,
    "Resources.0.name.givenName": NOT_EMPTY,
    "Resources.0.userName": NOT_EMPTY,
    "Resources.0.active": True,
    "Resources.0.emails.0.value": NOT_EMPTY,
}


def _deactivation(active: bool) -> dict[str, object]:
    return {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": active}}]}


USERS = [
    Step(
        "Determine if the User already exists",
        "GET",
        "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100",
        expect={"totalResults": 0, "schemas": [LIST], "Resources": []},
    ),
    Step(
        "Create the User (with Okta's placeholder password)",
        "POST",
        "/Users",
        CREATE_USER,
        status=201,
        expect={
            "userName": "test.user@okta.local",
            "name.givenName": "Test",
            "name.familyName": "User",
            "active": True,
            "externalId": "00ujl29u0le5T6Aj10h7",
            "password": ABSENT,
        },
        save={"user": "id"},
    ),
    Step(
        "Retrieve a specific User",
        "GET",
        "/Users/{user}",
        expect={"id": "{user}", "emails.0.value": "test.user@okta.local", "password": ABSENT},
    ),
    Step(
        "Retrieve Users, page by page",
        "GET",
        "/Users?startIndex=1&count=100",
        expect={"startIndex": 1, "totalResults": NOT_EMPTY},
    ),
    Step(
        "Update the User (PUT, after a GET)",
        "PUT",
        "/Users/{user}",
        {
            "schemas": [USER],
            "id": "{user}",
            "userName": "test.user@okta.local",
            "name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
            "emails": [
                {
                    "primary": True,
                    "value": "test.user@okta.local",
                    "type": "work",
                    "display": "test.user@okta.local",
                }
            ],
            "active": True,
            "groups": [],
            "meta": {"resourceType": "User"},
        },
        expect={"name.givenName": "Another", "name.middleName": "Excited"},
    ),
    Step("Deactivate the User", "PATCH", "/Users/{user}", _deactivation(False), status=(200, 204)),
    Step("The User is kept, inactive", "GET", "/Users/{user}", expect={"active": False}),
    Step("Reactivate the User", "PATCH", "/Users/{user}", _deactivation(True), status=(200, 204)),
    Step("The User is active again", "GET", "/Users/{user}", expect={"active": True}),
    # Integrations made with Okta's App Integration Wizard send every update as a PUT,
    # deactivation included.
    Step(
        "Deactivate the User (AIW integration: PUT)",
        "PUT",
        "/Users/{user}",
        {
            "schemas": [USER],
            "id": "{user}",
            "userName": "test.user@okta.local",
            "name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
            "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
            "active": False,
            "groups": [],
            "meta": {"resourceType": "User"},
        },
        expect={"active": False},
    ),
    Step(
        "Reactivate the User (PATCH)",
        "PATCH",
        "/Users/{user}",
        _deactivation(True),
        status=(200, 204),
    ),
    # Okta lists "Syncing the user password" among its PATCH operations without
    # showing the body; it has the shape of the (de)activation request above.
    Step(
        "Sync the user password",
        "PATCH",
        "/Users/{user}",
        {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "value": {"password": "Okta-synced-Pa55!"}}],
        },
        status=(200, 204),
    ),
]

GROUPS = [
    Step(
        "Push a group",
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "Test SCIMv2", "members": []},
        status=201,
        expect={"displayName": "Test SCIMv2"},
        save={"group": "id"},
    ),
    Step("Retrieve Groups", "GET", "/Groups?startIndex=1&count=100", expect={"startIndex": 1}),
    Step("Retrieve a specific Group", "GET", "/Groups/{group}", expect={"id": "{group}"}),
    Step(
        "Update the Group name (sent before each membership update)",
        "PATCH",
        "/Groups/{group}",
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "replace", "value": {"id": "{group}", "displayName": "Test SCIMv20"}}
            ],
        },
        status=(200, 204),
    ),
    Step(
        "Update the Group membership: remove one (not a member) and add one",
        "PATCH",
        "/Groups/{group}",
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "remove", "path": 'members[value eq "{other}"]'},
                {
                    "op": "add",
                    "path": "members",
                    "value": [{"value": "{user}", "display": "test.user@okta.local"}],
                },
            ],
        },
        status=(200, 204),
    ),
    Step(
        "The member is in the Group",
        "GET",
        "/Groups/{group}",
        expect={"displayName": "Test SCIMv20", "members.0.value": "{user}", "members.1": ABSENT},
    ),
    Step(
        "Full push of the membership with replace",
        "PATCH",
        "/Groups/{group}",
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {
                    "op": "replace",
                    "path": "members",
                    "value": [
                        {"value": "{user}", "display": "test.user@okta.local"},
                        {"value": "{other}", "display": "test.user@okta.local"},
                    ],
                }
            ],
        },
        status=(200, 204),
    ),
    Step(
        "Both are members",
        "GET",
        "/Groups/{group}",
        expect={"members.0.value": NOT_EMPTY, "members.1.value": NOT_EMPTY, "members.2": ABSENT},
    ),
    Step(
        "Remove one member by filter",
        "PATCH",
        "/Groups/{group}",
        {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "remove", "path": 'members[value eq "{other}"]'}],
        },
        status=(200, 204),
    ),
    Step("One member left", "GET", "/Groups/{group}", expect={"members.1": ABSENT}),
    Step("Unlink the pushed group and delete it", "DELETE", "/Groups/{group}", status=204),
    Step("The Group is gone", "GET", "/Groups/{group}", status=404, expect={"schemas": [ERROR]}),
]

# Okta's Runscope "SCIM 2.0 SPEC Test", step by step (its pauses left out).
SPEC_TEST = [
    Step(
        "Required Test: Test Users endpoint",
        "GET",
        "/Users?count=1&startIndex=1",
        expect={
            "schemas": [LIST],
            "itemsPerPage": 1,
            "startIndex": 1,
            "totalResults": NOT_EMPTY,
            **SPEC_FIRST_USER_CHECKS,
        },
        save={"first": "Resources.0.id"},
    ),
    Step(
        "Required Test: Get Users/{{id}}",
        "GET",
        "/Users/{first}",
        expect={
            "id": "{first}",
            "name.familyName": NOT_EMPTY,
            "name.givenName": NOT_EMPTY,
            "userName": NOT_EMPTY,
            "active": True,
            "emails.0.value": NOT_EMPTY,
        },
    ),
    Step(
        "Required Test: Test invalid User by username",
        "GET",
        '/Users?filter=userName eq "invalid-user-9f2c@example.com"',
        expect={"schemas": [LIST], "totalResults": 0},
    ),
    Step(
        "Required Test: Test invalid User by ID",
        "GET",
        "/Users/010101010101010101",
        status=404,
        expect={"detail": NOT_EMPTY, "schemas": [ERROR]},
    ),
    Step(
        "Required Test: Make sure random user doesn't exist",
        "GET",
        '/Users?filter=userName eq "Runscope042Qwertyuio@atko.com"',
        expect={"totalResults": 0, "schemas": [LIST]},
    ),
    Step(
        "Required Test: Create Okta user with realistic values",
        "POST",
        "/Users",
        {
            "schemas": [USER],
            "userName": "Runscope042Qwertyuio@atko.com",
            "name": {"givenName": "Runscope042", "familyName": "Qwertyuio"},
            "emails": [{"primary": True, "value": "Runscope042Qwertyuio@atko.com", "type": "work"}],
            "displayName": "Runscope042 Qwertyuio",
            "active": True,
        },
        status=201,
        headers={"Content-Type": "application/json"},
        expect={
            "active": True,
            "id": NOT_EMPTY,
            "name.familyName": "Qwertyuio",
            "name.givenName": "Runscope042",
            "schemas": [USER],
            "userName": "Runscope042Qwertyuio@atko.com",
        },
        save={"spec_user": "id"},
    ),
    Step(
        "Required Test: Verify that user was created",
        "GET",
        "/Users/{spec_user}",
        expect={"userName": "Runscope042Qwertyuio@atko.com", "name.familyName": "Qwertyuio"},
    ),
    Step(
        "Required Test: Expect failure when recreating user with same values",
        "POST",
        "/Users",
        {
            "schemas": [USER],
            "userName": "Runscope042Qwertyuio@atko.com",
            "name": {"givenName": "Runscope042", "familyName": "Qwertyuio"},
            "emails": [{"primary": True, "value": "Runscope042Qwertyuio@atko.com", "type": "work"}],
            "displayName": "Runscope042 Qwertyuio",
            "active": True,
        },
        status=409,
    ),
    Step(
        "Required Test: Username Case Sensitivity Check",
        "GET",
        '/Users?filter=userName eq "RUNSCOPE042QWERTYUIO@ATKO.COM"',
        expect={"totalResults": 1},
    ),
    Step("Optional Test: Verify Groups endpoint", "GET", "/Groups", expect={"schemas": [LIST]}),
    Step(
        "Required Test: Check status 401",
        "GET",
        '/Users?filter=userName eq "RUNSCOPE042QWERTYUIO@ATKO.COM"',
        status=401,
        headers={"Authorization": "non-token"},
        expect={"detail": NOT_EMPTY, "status": "401", "schemas": [ERROR]},
    ),
    Step(
        "Required Test: Check status 404",
        "GET",
        "/Users/00919288221112222",
        status=404,
        expect={"detail": NOT_EMPTY, "status": "404", "schemas": [ERROR]},
    ),
]
