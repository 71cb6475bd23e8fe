"""Export → import is a no-op for any organization built through the API (issue #16.3).

Hypothesis makes organizations the way a coordinator's tools would: groups,
labels and custom fields named with accents, case twins, formulas, Unicode;
members with phones, job titles, contact roles, custom values, in every state
(active, never invited, invited, deactivated). Each is exported through
``GET /api/v1/exports/members`` as CSV and XLSX, in French and English, and the
file is previewed through ``POST /api/v1/imports/preview`` (the dry run): no
change and no error, every time.

The attack: a name the import reads as another one's (« Résidents » /
« residents »), a header that a spreadsheet runs as a formula, an invited
member written « Activé », a decomposed accent, a phone lost on the way.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from equipage.core.text import list_name_key
from equipage.imports.columns import PENDING, header_key
from equipage.imports.export import FORMULA_STARTS
from equipage.imports.reader import read_table
from equipage.imports.validate import validate_table
from tests.api.test_endpoints import call
from tests.conftest import _make_org

# Names a coordinator really types, and the twins and traps among them.
TRICKY_NAMES = [
    "Résidents",
    "residents",
    "RÉSIDENTS",
    "Site web",
    "Siteweb",
    "site-web",
    '=HYPERLINK("http://evil.test","clic")',
    "+33 6 12",
    "-x",
    "@cmd",
    "'=déjà",
    "Zoé",
    "Ærøskøbing",
    "北京",
    "Cafe\u0301",  # decomposed: « Café »
    "Téléphone",
    "Statut",
    # Separators the import splits cells by (IdPs send « Sales, EMEA »), and the names their
    # pieces spell: the import must join them back, the export write what it can.
    "Sales, EMEA",
    "Sales",
    "EMEA",
    "Sales; EMEA",
    "A|B",
    "A",
    "B",
    " ;x",
]
# Printable text: no control, format, surrogate or line separator (every entry point refuses
# them), the plain space as the only space.
_CHARS = st.characters(
    exclude_categories=["Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"], include_characters=" "
)
free_text = st.text(_CHARS, min_size=1, max_size=12)
name = st.one_of(st.sampled_from(TRICKY_NAMES), free_text)
state = st.sampled_from(["active", "created", "invited", "deactivated"])
member_plan = st.fixed_dictionaries(
    {
        "first": name,
        "last": name,
        "state": state,
        "phone": st.sampled_from(["", "+33 6 12 34 56 78", "=1+1", "06 00"]),
        "job": st.one_of(st.just(""), name),
        "contact_roles": st.lists(
            st.sampled_from(["facturation", "Sécurité", "=cmd", "invoice contact"]), max_size=2
        ),
        "groups": st.lists(st.integers(0, 5), max_size=2),
        "labels": st.lists(st.integers(0, 5), max_size=2),
        "value": st.one_of(st.just(""), name),
    }
)
org_plan = st.fixed_dictionaries(
    {
        "groups": st.lists(name, max_size=5),
        "labels": st.lists(name, max_size=4),
        "fields": st.lists(name, max_size=3),
        "members": st.lists(member_plan, min_size=1, max_size=5),
    }
)
_slugs = itertools.count()


def _created(response: Any, refused: list[str]) -> Any:
    """Return the created object's JSON, or None after noting a refusal's problem type."""
    if response.status_code == 201:
        return response.json()
    assert response.status_code in (400, 409, 422), response.content
    refused.append(response.json()["type"].rsplit("/", 1)[-1])
    return None


def _build(client: Client, token: str, owner: Any, org: Any, plan: dict[str, Any]) -> None:
    from equipage.accounts.actions import member_set_custom_values, member_update
    from equipage.accounts.actions.members import member_create
    from equipage.accounts.models import Member, MemberState

    refused: list[str] = []
    groups = [
        g
        for n in plan["groups"]
        if (g := _created(call(client, token, "POST", "/groups", {"name": n}), refused))
    ]
    labels = [
        lb
        for n in plan["labels"]
        if (lb := _created(call(client, token, "POST", "/labels", {"name": n}), refused))
    ]
    fields = [
        f
        for n in plan["fields"]
        if (f := _created(call(client, token, "POST", "/custom-fields", {"name": n}), refused))
    ]
    # A case twin of each name made is refused as a conflict, naming the existing one.
    twins = (("/groups", groups, list_name_key), ("/labels", labels, list_name_key))
    for path, made, key in (*twins, ("/custom-fields", fields, header_key)):
        for thing in made:
            twin = f" {thing['name'].swapcase()} "
            if key(twin) != key(thing["name"]):  # « µ » and « Μ » are two names to the import
                continue
            answer = call(client, token, "POST", path, {"name": twin})
            assert answer.status_code == 409, (path, twin, answer.content)
            assert thing["name"] in answer.json()["detail"]
    # What was made is unique as the import reads it; what was refused said why.
    assert len({list_name_key(g["name"]) for g in groups}) == len(groups)
    assert len({list_name_key(lb["name"]) for lb in labels}) == len(labels)
    assert len({header_key(f["name"]) for f in fields}) == len(fields)
    assert set(refused) <= {"conflict", "invalid"}
    for i, m in enumerate(plan["members"]):
        email = f"m{i}@acme.test"
        if m["state"] == "invited":
            answer = call(client, token, "POST", "/invitations", {"emails": email})
            assert answer.status_code == 200, answer.content
            pk = answer.json()[0]["member_id"]
        elif m["state"] == "created":  # added, never invited: the console's « Ajouter »
            pk = member_create(
                actor=owner,
                organization=org,
                first_name=m["first"],
                last_name=m["last"],
                email=email,
                state=MemberState.CREATED,
            ).pk
        else:
            body = {"first_name": m["first"], "last_name": m["last"], "email": email}
            answer = call(client, token, "POST", "/members", body)
            assert answer.status_code == 201, answer.content
            pk = answer.json()["id"]
        patch = {"phone": m["phone"], "job_title": m["job"]}
        answer = call(client, token, "PATCH", f"/members/{pk}", patch)
        assert answer.status_code == 200, answer.content
        if m["state"] == "deactivated":
            answer = call(client, token, "POST", f"/members/{pk}/deactivate")
            assert answer.status_code == 200, answer.content
        for g in m["groups"]:
            if g < len(groups):
                path = f"/groups/{groups[g]['id']}/members"
                answer = call(client, token, "POST", path, {"member_id": pk})
                assert answer.status_code in (200, 201), answer.content
        for lb in m["labels"]:
            if lb < len(labels):
                path = f"/labels/{labels[lb]['id']}/members"
                answer = call(client, token, "POST", path, {"member_ids": [pk]})
                assert answer.status_code == 200, answer.content
        # Not in the API: the profile's contact line and custom values, through their actions.
        member = Member.objects.get(pk=pk)
        member_update(actor=owner, member=member, contact_roles=m["contact_roles"])
        if fields and m["value"]:
            member_set_custom_values(
                actor=owner, member=member, values={fields[0]["key"]: m["value"]}
            )
    states = set(Member.objects.filter(organization=org).values_list("state", flat=True))
    assert states >= {m["state"] for m in plan["members"]}


def _round_trip(client: Client, token: str, fmt: str, lang: str) -> dict[str, Any]:
    exported = call(client, token, "GET", f"/exports/members?format={fmt}&lang={lang}")
    assert exported.status_code == 200, exported.content
    data = b"".join(exported.streaming_content) if exported.streaming else exported.content
    table = read_table(data, f"export.{fmt}")
    assert not any(h[:1] in FORMULA_STARTS for h in table.headers), table.headers
    upload = SimpleUploadedFile(f"export.{fmt}", data)
    answer = client.post(
        "/api/v1/imports/preview",
        {"file": upload, "mode": "sync"},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 200, answer.content
    report: dict[str, Any] = answer.json()
    report["pending_lines"] = sum(row.active == PENDING for row in validate_table(table).rows)
    return report


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=org_plan)
@example(  # names holding separators, and a member whose two groups spell a third's name
    plan={
        "groups": ["A", "B", "A|B", "Sales, EMEA"],
        "labels": ["Sales", "EMEA", "Sales; EMEA", ","],
        "fields": [],
        "members": [
            {
                "first": "Ana",
                "last": "Sales, EMEA",
                "state": "active",
                "phone": "",
                "job": "",
                "contact_roles": [],
                "groups": [0, 1],
                "labels": [0, 1],
                "value": "",
            },
            {
                "first": "Bob",
                "last": "B",
                "state": "invited",
                "phone": "",
                "job": "",
                "contact_roles": [],
                "groups": [2, 3],
                "labels": [2, 0],
                "value": "",
            },
        ],
    }
)
def test_any_organization_built_through_the_api_reimports_its_export_as_no_change(
    db: Any, operator: Any, client: Client, plan: dict[str, Any]
) -> None:
    from equipage.accounts.models import Member, MemberRole
    from equipage.tokens.actions import token_create

    with transaction.atomic():
        org = _make_org(operator, f"rt{next(_slugs)}", language="fr")
        owner_id = MemberRole.objects.get(organization=org, role="owner").member_id
        owner = Member.objects.get(pk=owner_id)
        token = token_create(actor=owner, organization=org, name="t", scopes=["api"]).raw
        _build(client, token, owner, org, plan)
        for fmt, lang in (("csv", "fr"), ("xlsx", "en"), ("csv", "en"), ("xlsx", "fr")):
            report = _round_trip(client, token, fmt, lang)
            assert report["errors"] == [], (fmt, lang, report["errors"])
            assert (report["added"], report["updated"], report["deactivated"]) == (0, 0, 0), (
                fmt,
                lang,
                report["changes"],
            )
            assert report["unchanged"] == len(plan["members"]) + 1  # and the owner
            # Never-invited and invited members are written as such, not « Activé ».
            pending = [m for m in plan["members"] if m["state"] in ("created", "invited")]
            assert report["pending_lines"] == len(pending)
        transaction.set_rollback(True)
