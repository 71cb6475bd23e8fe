"""Microsoft Entra ID's SCIM 2.0 requests, transcribed from its public documentation.

Sources (MicrosoftDocs/entra-docs, ``docs/identity/app-provisioning/``):
"Tutorial: Develop and plan provisioning for a SCIM endpoint" (``use-scim-to-
provision-users-and-groups.md``: the user and group operations, the schema
example with ``manager`` as a string and a custom extension, the provisioning
examples with ``null`` attributes and ``manager`` added as a list), and "Known
issues and resolutions with SCIM 2.0 protocol compliance" (``application-
provisioning-config-problem-scim-compatibility.md``: the PATCH bodies sent
without and with the ``aadOptscim062020`` flag). Entra's example identifiers
are replaced by the ones our answers give.
"""

from __future__ import annotations

from tests.scim.replays import (
    ABSENT,
    ENTERPRISE,
    ERROR,
    GROUP,
    LIST,
    NOT_EMPTY,
    PATCH_OP,
    USER,
    Step,
)

CUSTOM_EXTENSION = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
ADSCIM_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
USERNAME = "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"


def _patch(*operations: dict[str, object]) -> dict[str, object]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


# The requests Entra sends when the tenant URL has no flag: its default.
USERS_DEFAULT = [
    Step(
        "Test Connection: query a random user",
        "GET",
        '/Users?filter=userName eq "8b2b6a2e-5a3e-4f8a-9d43-2a0d0b0e7c11"',
        expect={"schemas": [LIST], "totalResults": 0, "Resources": []},
    ),
    Step(
        "Get User by query - zero results",
        "GET",
        f'/Users?filter=userName eq "{USERNAME}"',
        expect={"totalResults": 0},
    ),
    Step(
        "Create User",
        "POST",
        "/Users",
        {
            "schemas": [USER, ENTERPRISE],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": USERNAME,
            "active": True,
            "emails": [
                {
                    "primary": True,
                    "type": "work",
                    "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com",
                }
            ],
            "meta": {"resourceType": "User"},
            "name": {
                "formatted": "givenName familyName",
                "familyName": "familyName",
                "givenName": "givenName",
            },
            "roles": [],
        },
        status=201,
        expect={"userName": USERNAME, "name.familyName": "familyName", "active": True},
        save={"user": "id"},
    ),
    Step("Get User", "GET", "/Users/{user}", expect={"id": "{user}", "userName": USERNAME}),
    Step(
        "Get User by query",
        "GET",
        f'/Users?filter=userName eq "{USERNAME}"',
        expect={"totalResults": 1, "Resources.0.id": "{user}"},
    ),
    Step(
        "Query by the work e-mail (a uniqueness attribute)",
        "GET",
        '/Users?filter=emails[type eq "work"].value eq '
        '"Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"',
        expect={"totalResults": 1},
    ),
    Step(
        "Update User [Multi-valued properties]",
        "PATCH",
        "/Users/{user}",
        _patch(
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "updatedEmail@microsoft.com",
            },
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        ),
        status=(200, 204),
    ),
    Step(
        "The e-mail and the family name changed",
        "GET",
        "/Users/{user}",
        expect={
            "emails.0.value": "updatedEmail@microsoft.com",
            "name.familyName": "updatedFamilyName",
        },
    ),
    Step(
        "Update User [Single-valued properties]",
        "PATCH",
        "/Users/{user}",
        _patch(
            {
                "op": "Replace",
                "path": "userName",
                "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com",
            }
        ),
        status=(200, 204),
    ),
    Step(
        "Replace multiple attributes (without the flag)",
        "PATCH",
        "/Users/{user}",
        _patch(
            {"op": "Replace", "path": "displayName", "value": "Pvlo"},
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "TestBcwqnm@test.microsoft.com",
            },
            {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
            {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
            {"op": "Replace", "path": "externalId", "value": "Eqpj"},
            {"op": "Replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "Eqpj"},
        ),
        status=(200, 204),
    ),
    Step(
        "Every replaced attribute is kept",
        "GET",
        "/Users/{user}",
        expect={
            "userName": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com",
            "displayName": "Pvlo",
            "emails.0.value": "TestBcwqnm@test.microsoft.com",
            "name.givenName": "Gtfd",
            "name.familyName": "Pkqf",
            "externalId": "Eqpj",
            f"{ENTERPRISE}.employeeNumber": "Eqpj",
        },
    ),
    Step(
        "Add a single-value string attribute (without the flag)",
        "PATCH",
        "/Users/{user}",
        _patch({"op": "Add", "path": "nickName", "value": "Babs"}),
        status=(200, 204),
    ),
    Step(
        "Add the manager as a list of references",
        "PATCH",
        "/Users/{user}",
        _patch(
            {
                "op": "Add",
                "path": "manager",
                "value": [{"$ref": "http://.../scim/Users/{boss}", "value": "{boss}"}],
            }
        ),
        status=(200, 204),
    ),
    Step(
        "Replace the manager by its enterprise path, as a plain string",
        "PATCH",
        "/Users/{user}",
        _patch({"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": "{boss}"}),
        status=(200, 204),
    ),
    Step(
        "The nickname and the manager are given back",
        "GET",
        "/Users/{user}",
        expect={"nickName": "Babs", f"{ENTERPRISE}.manager.value": "{boss}"},
    ),
    Step(
        "Query the value of a reference attribute before updating it (id and manager)",
        "GET",
        '/Users?filter=id eq "{user}" and manager eq "{boss}"',
        expect={"totalResults": 1, "Resources.0.id": "{user}"},
    ),
    Step(
        "The same query for another manager finds nothing",
        "GET",
        '/Users?filter=id eq "{user}" and manager eq "999999"',
        expect={"totalResults": 0},
    ),
    Step(
        "Disable User (without the flag: the boolean as a string)",
        "PATCH",
        "/Users/{user}",
        _patch({"op": "Replace", "path": "active", "value": "False"}),
        status=(200, 204),
    ),
    Step("The user is kept, disabled", "GET", "/Users/{user}", expect={"active": False}),
    Step(
        "Enable the user again (without the flag)",
        "PATCH",
        "/Users/{user}",
        _patch({"op": "Replace", "path": "active", "value": "True"}),
        status=(200, 204),
    ),
    Step("The user is active again", "GET", "/Users/{user}", expect={"active": True}),
    Step("Delete User", "DELETE", "/Users/{user}", status=204),
    Step("The user is gone", "GET", "/Users/{user}", status=404, expect={"schemas": [ERROR]}),
]

# The same requests once the tenant URL carries ``?aadOptscim062020``.
USERS_FLAG = [
    Step(
        "Create User (provisioning example: null attributes, a misspelt extension URI)",
        "POST",
        "/Users",
        {
            "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
            "externalId": "jyoung",
            "userName": "jyoung@testuser.com",
            "active": True,
            "addresses": None,
            "displayName": "Joy Young",
            "emails": [{"type": "work", "value": "jyoung@Contoso.com", "primary": True}],
            "meta": {"resourceType": "User"},
            "name": {"familyName": "Young", "givenName": "Joy"},
            "phoneNumbers": None,
            "preferredLanguage": None,
            "title": None,
            "department": None,
            "manager": None,
        },
        status=201,
        expect={"userName": "jyoung@testuser.com", "name.givenName": "Joy"},
        save={"user": "id"},
    ),
    Step(
        "Query by externalId (the default matching attribute in the examples)",
        "GET",
        '/Users?filter=externalId eq "jyoung"',
        expect={"totalResults": 1, "Resources.0.id": "{user}"},
    ),
    Step(
        "Replace multiple attributes (with the flag: one path-less value)",
        "PATCH",
        "/Users/{user}",
        _patch(
            {
                "op": "replace",
                "path": 'emails[type eq "work"].value',
                "value": "TestMhvaes@test.microsoft.com",
            },
            {
                "op": "replace",
                "value": {
                    "displayName": "Bjfe",
                    "name.givenName": "Kkom",
                    "name.familyName": "Unua",
                    f"{ENTERPRISE}:employeeNumber": "Aklq",
                },
            },
        ),
        status=(200, 204),
    ),
    Step(
        "Every replaced attribute is kept",
        "GET",
        "/Users/{user}",
        expect={
            "displayName": "Bjfe",
            "emails.0.value": "TestMhvaes@test.microsoft.com",
            "name.givenName": "Kkom",
            "name.familyName": "Unua",
            f"{ENTERPRISE}.employeeNumber": "Aklq",
        },
    ),
    Step(
        "Add a single-value string attribute (with the flag)",
        "PATCH",
        "/Users/{user}",
        _patch({"op": "add", "path": "nickName", "value": "Babs"}),
        status=(200, 204),
    ),
    Step(
        "Disable User (with the flag: a real boolean)",
        "PATCH",
        "/Users/{user}",
        _patch({"op": "replace", "path": "active", "value": False}),
        status=(200, 204),
    ),
    Step("The user is kept, disabled", "GET", "/Users/{user}", expect={"active": False}),
]

# The schema example of the tutorial: ``manager`` as a plain string and a custom extension.
USER_WITH_EXTENSIONS = [
    Step(
        "Create a user with a custom extension schema and a string manager",
        "POST",
        "/Users",
        {
            "schemas": [USER, ENTERPRISE, CUSTOM_EXTENSION],
            "userName": "bjensen@testuser.com",
            "externalId": "bjensen",
            "name": {"familyName": "Jensen", "givenName": "Barbara"},
            ENTERPRISE: {"manager": "{boss}"},
            CUSTOM_EXTENSION: {"tag": "701984"},
        },
        status=201,
        expect={
            "userName": "bjensen@testuser.com",
            f"{ENTERPRISE}.manager.value": "{boss}",
            "schemas": [USER, ENTERPRISE],
        },
        save={"user": "id"},
    ),
    Step(
        "Replace the custom attribute (ignored, not refused)",
        "PATCH",
        "/Users/{user}",
        _patch({"op": "Replace", "path": f"{CUSTOM_EXTENSION}:tag", "value": "701985"}),
        status=(200, 204),
    ),
]


def _group_steps(remove: dict[str, object]) -> list[Step]:
    return [
        Step(
            "Get Group by displayName (none yet)",
            "GET",
            '/Groups?excludedAttributes=members&filter=displayName eq "displayName"',
            expect={"totalResults": 0},
        ),
        Step(
            "Create Group",
            "POST",
            "/Groups",
            {
                "schemas": [GROUP, ADSCIM_GROUP],
                "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                "displayName": "displayName",
                "meta": {"resourceType": "Group"},
            },
            status=201,
            expect={"displayName": "displayName", "schemas": [GROUP]},
            save={"group": "id"},
        ),
        Step(
            "Get Group",
            "GET",
            "/Groups/{group}?excludedAttributes=members",
            expect={"id": "{group}", "displayName": "displayName"},
        ),
        Step(
            "Get Group by displayName",
            "GET",
            '/Groups?excludedAttributes=members&filter=displayName eq "displayName"',
            expect={"totalResults": 1, "Resources.0.id": "{group}"},
        ),
        Step(
            "Update Group [Non-member attributes]",
            "PATCH",
            "/Groups/{group}",
            _patch(
                {
                    "op": "Replace",
                    "path": "displayName",
                    "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName",
                }
            ),
            status=204,
        ),
        Step(
            "Update Group [Add Members]",
            "PATCH",
            "/Groups/{group}",
            _patch({"op": "Add", "path": "members", "value": [{"$ref": None, "value": "{boss}"}]}),
            status=204,
        ),
        Step(
            "Add a second member",
            "PATCH",
            "/Groups/{group}",
            _patch({"op": "Add", "path": "members", "value": [{"$ref": None, "value": "{peer}"}]}),
            status=204,
        ),
        Step(
            "Both are members",
            "GET",
            "/Groups/{group}",
            expect={"members.0.value": NOT_EMPTY, "members.1.value": NOT_EMPTY},
        ),
        Step(
            "Update Group [Remove Members]", "PATCH", "/Groups/{group}", _patch(remove), status=204
        ),
        Step(
            "Only the other member is left",
            "GET",
            "/Groups/{group}",
            expect={"members.0.value": "{peer}", "members.1": ABSENT},
        ),
        Step("Delete Group", "DELETE", "/Groups/{group}", status=204),
    ]


GROUPS_DEFAULT = _group_steps(
    {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": "{boss}"}]}
)
GROUPS_FLAG = _group_steps({"op": "remove", "path": 'members[value eq "{boss}"]'})
