"""No byte answers a server error or reaches the database, on the suite's engine.

A live ``equipage serve`` on a throw-away database of the suite's engine (on
the PostgreSQL half, a database on the suite's server: PostgreSQL refuses NUL
in text, which answered 500) meets:

- schemathesis, with every generated string of a body or a query possibly
  swapped for a hostile one (NUL, unit separator, right-to-left override, a
  lone surrogate where JSON can carry one, a very long string);
- for every operation, a NUL in each of its text fields and text query
  parameters, one at a time, with real ids in the path: a 400 or 422;
- SCIM: NUL in ``userName``, ``displayName``, ``name.givenName`` and in a
  filter: 400 (``invalidValue`` for values);
- at the end, no text column of any table holds a NUL or a control character.

The attack: PostgreSQL raising "cannot contain NUL (0x00) bytes" from a value
no edge had checked; SQLite silently storing it.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.live import cli, free_port, query, shared_database, start_node, stop, wait_http

NUL = "a\x00b"
# Strings a client may send that no name can hold. A lone surrogate only travels in JSON
# (as the escape \ud800): a URL carries UTF-8, which cannot encode it.
HOSTILE_QUERY = [
    NUL,
    "\x00",
    "Zoé\x00" * 3,
    "x\x1fy",
    "admin\u202egnp.exe",
    "tab\there",
    "\x7f",
    "a" * 3000,
]
HOSTILE_BODY = [*HOSTILE_QUERY, "\ud800", "x\ud800y", "zero\u200bwidth", "é" * 20000]
# Examples per operation: the whole run stays under a minute.
EXAMPLES = 4
# Free-text search drops control characters (what the text shows is what is searched).
FREE_TEXT = {"search"}
PROBLEM = "application/problem+json"
# The characters that may never be stored in a text column (tab, LF and CR aside:
# free-text messages may hold lines).
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e]")
# The same characters as JSON escapes, in a JSON column.
ESCAPED = re.compile(r"(?i)\\u(00[01][0-9a-f]|007f|202[a-e])")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("hostile")
    with shared_database(Path(tmp)) as env:
        env["EQUIPAGE_API_RATE_LIMIT"] = "1000000"
        cli(env, "org", "create", "acme", "--name", "Acme", "--owner-email", "o@acme.test",
            "--lang", "en")  # fmt: skip
        token = {
            scope: cli(env, "token", "create", "--org", "acme", "--scope", scope)
            .strip()
            .splitlines()[-1]
            for scope in ("api", "scim")
        }
        port = free_port()
        server = start_node(env, port)
        try:
            wait_http(port, "/scim/v2/ServiceProviderConfig")
            yield {"env": env, "base": f"http://127.0.0.1:{port}", **token}
        finally:
            stop(server)


def api(
    live: dict[str, Any],
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> requests.Response:
    headers = {"Authorization": f"Bearer {live['api']}", "Accept-Language": "en", **(headers or {})}
    return requests.request(
        method, f"{live['base']}/api/v1{path}", headers=headers, timeout=30, **kwargs
    )


@pytest.fixture(scope="module")
def ids(live: dict[str, Any]) -> dict[str, int]:
    """Create one row of each kind, so that operations on ``{id}`` reach their text fields."""
    member = api(live, "post", "/members", json={"first_name": "Zoé", "last_name": "Ndiaye",
                                                  "email": "zoe@acme.test"}).json()  # fmt: skip
    group = api(live, "post", "/groups", json={"name": "Résidents"}).json()
    label = api(live, "post", "/labels", json={"name": "Bénévole"}).json()
    field = api(live, "post", "/custom-fields", json={"name": "Site web"}).json()
    api(live, "post", "/invitations", json={"emails": "invitee@acme.test"})
    roster = "Nom;Prénom;E-mail\nNdiaye;Zoé;zoe@acme.test\n".encode()
    job = api(live, "post", "/imports", files={"file": ("roster.csv", roster, "text/csv")})
    assert job.status_code == 202, job.text
    return {
        "job_id": job.json()["id"],
        "member_id": member["id"],
        "group_id": group["id"],
        "label_id": label["id"],
        "field_id": field["id"],
    }


def deref(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` (and a one-member ``anyOf``/``allOf``) to the schema it names."""
    while True:
        if "$ref" in schema:
            node: Any = spec
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
        elif len(schema.get("allOf", [])) == 1:
            schema = schema["allOf"][0]
        else:
            return schema


def is_text(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A free string: no enum, no format, no pattern (those refuse NUL on their own)."""
    schema = deref(spec, schema)
    options = [deref(spec, s) for s in schema.get("anyOf", [schema])]
    return any(
        o.get("type") == "string" and not ({"enum", "format", "pattern", "const"} & o.keys())
        for o in options
    )


def valid_value(spec: dict[str, Any], schema: dict[str, Any], ids: dict[str, int]) -> Any:
    schema = deref(spec, schema)
    if "default" in schema:
        return schema["default"]
    options = [deref(spec, s) for s in schema.get("anyOf", [schema])]
    first = next((o for o in options if o.get("type") != "null"), options[0])
    if "enum" in first:
        return first["enum"][0]
    kind = first.get("type")
    if kind == "integer":
        return ids["member_id"]
    if kind == "array":
        return [valid_value(spec, first.get("items", {}), ids)] if first.get("minItems") else []
    if kind == "object":
        return {}
    return "Valeur"


def nul_cases(spec: dict[str, Any], ids: dict[str, int]) -> Iterator[tuple[str, str, str, dict]]:
    """Yield (method, path, field, request kwargs) with NUL in one text field or parameter."""
    for template, operations in spec["paths"].items():
        path = template
        for name, value in {**ids, "invitation_id": 1}.items():
            path = path.replace("{" + name + "}", str(value))
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                if param["in"] == "query" and is_text(spec, param["schema"]):
                    yield method, path, param["name"], {"params": {param["name"]: NUL}}
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            body = deref(spec, content["application/json"]["schema"])
            props = body.get("properties", {})
            valid = {
                k: valid_value(spec, props[k], ids) for k in body.get("required", []) if k in props
            }
            for key, prop in props.items():
                prop = deref(spec, prop)
                if is_text(spec, prop):
                    yield method, path, key, {"json": {**valid, key: NUL}}
                elif prop.get("type") == "array" and is_text(spec, prop.get("items", {})):
                    yield method, path, key, {"json": {**valid, key: ["ok", NUL]}}


def test_a_nul_in_any_text_field_or_query_parameter_is_a_4xx(
    live: dict[str, Any], ids: dict[str, int]
) -> None:
    spec = api(live, "get", "/openapi.json").json()
    answered, wrong = [], []
    for method, path, field, kwargs in nul_cases(spec, ids):
        r = api(live, method, path, **kwargs)
        answered.append((path, field))
        expected = (200,) if field in FREE_TEXT else (400, 422)
        if r.status_code not in expected or (
            r.status_code >= 400 and not r.headers["Content-Type"].startswith(PROBLEM)
        ):
            wrong.append((method.upper(), path, field, r.status_code, r.text[:300]))
        elif r.status_code >= 400 and field not in {e["field"] for e in r.json()["errors"]}:
            wrong.append((method.upper(), path, field, "not named", r.text[:300]))
    assert not wrong, "\n".join(map(str, wrong))
    # The fields that answered 500 on PostgreSQL are among those tried.
    for tried in [("/groups", "name"), ("/labels", "name"), ("/custom-fields", "choices"),
                  ("/members", "search"), ("/members", "label")]:  # fmt: skip
        assert tried in answered, tried


def test_a_nul_in_free_text_search_is_ignored(live: dict[str, Any]) -> None:
    """``?search=`` looks for what the text shows: controls dropped, as in the console."""
    r = api(live, "get", "/members", params={"search": "zo\x00é"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("body", ["[null, null]", "367", '"Zoé"', "null"])
def test_a_body_that_is_not_an_object_is_a_422(
    live: dict[str, Any], ids: dict[str, int], body: str
) -> None:
    for path in (f"/members/{ids['member_id']}", f"/groups/{ids['group_id']}"):
        r = api(live, "patch", path, data=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 422, (path, r.text)
        assert r.headers["Content-Type"].startswith(PROBLEM)


def test_schemathesis_with_hostile_strings_finds_no_server_error(
    live: dict[str, Any], ids: dict[str, int]
) -> None:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    schema = schemathesis.openapi.from_url(
        f"{live['base']}/api/v1/openapi.json", headers={"Accept-Language": "en"}
    )

    def hostile(value: Any, strings: list[str]) -> st.SearchStrategy[Any]:
        """``value`` with each string in it possibly replaced by a hostile one."""
        if isinstance(value, str):
            return st.one_of(st.sampled_from(strings), st.just(value))
        if isinstance(value, dict):
            return st.fixed_dictionaries({k: hostile(v, strings) for k, v in value.items()})
        if isinstance(value, list):
            return st.tuples(*(hostile(v, strings) for v in value)).map(list)
        return st.just(value)

    @schema.hook
    def flatmap_body(context: Any, body: Any) -> Any:
        content = context.operation.definition.raw.get("requestBody", {}).get("content", {})
        # A form field travels as UTF-8, which has no lone surrogate; JSON escapes it.
        return hostile(body, HOSTILE_BODY if "application/json" in content else HOSTILE_QUERY)

    @schema.hook
    def map_path_parameters(context: Any, path_parameters: Any) -> Any:
        # Real rows, so that bodies and queries reach the actions (deletions keep theirs).
        if not path_parameters or context.operation.method.upper() == "DELETE":
            return path_parameters
        return {k: ids.get(k, v) for k, v in path_parameters.items()}

    @schema.hook
    def flatmap_query(context: Any, query: Any) -> Any:
        return hostile(query, HOSTILE_QUERY)

    headers = {"Authorization": f"Bearer {live['api']}", "Accept-Language": "en"}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: the report names the case
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = case.call(base_url=f"{live['base']}/api/v1", headers=headers, timeout=30)
            try:
                case.validate_response(
                    response, checks=[not_a_server_error, response_schema_conformance]
                )
            except (
                AssertionError,
                BaseExceptionGroup,
            ) as exc:  # one report for the whole API
                failures.append(
                    f"{case.operation.label}: {str(exc)[:600]}\n{case.as_curl_command()}"
                )

        run()
    assert not failures, "\n\n".join(failures[:20])


def scim(live: dict[str, Any], method: str, path: str, body: Any = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {live['scim']}", "Content-Type": "application/scim+json"}
    data = None if body is None else json.dumps(body)
    return requests.request(
        method, f"{live['base']}/scim/v2{path}", data=data, headers=headers, timeout=30
    )


USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.mark.parametrize(
    "user",
    [
        {"userName": "nul\x00@acme.test"},
        {"userName": "dn@acme.test", "displayName": "Zoé\x00"},
        {"userName": "gn@acme.test", "name": {"givenName": "Zo\x00é", "familyName": "N"}},
        {"userName": "rlo@acme.test", "name": {"givenName": "Zoé", "familyName": "N\u202ex"}},
        {"userName": "us\x1f@acme.test"},
    ],
)
def test_scim_user_with_a_control_character_is_an_invalid_value(
    live: dict[str, Any], user: dict[str, Any]
) -> None:
    r = scim(live, "POST", "/Users", {"schemas": [USER], **user})
    assert r.status_code == 400, r.text
    assert r.json().get("scimType") == "invalidValue", r.text


def test_scim_group_and_replace_with_nul_are_invalid_values(live: dict[str, Any]) -> None:
    r = scim(live, "POST", "/Groups", {"schemas": [GROUP], "displayName": "Ré\x00sidents"})
    assert r.status_code == 400 and r.json().get("scimType") == "invalidValue", r.text
    made = scim(live, "POST", "/Users", {"schemas": [USER], "userName": "patch@acme.test"})
    assert made.status_code == 201, made.text
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "x\x00y"}],
    }
    r = scim(live, "PATCH", f"/Users/{made.json()['id']}", patch)
    assert r.status_code == 400 and r.json().get("scimType") == "invalidValue", r.text


@pytest.mark.parametrize(
    "expression",
    ['userName eq "a\x00b"', 'displayName co "\x00"', 'externalId eq "x\x1fy"', "userName\x00 pr"],
)
@pytest.mark.parametrize("resource", ["/Users", "/Groups"])
def test_scim_filter_with_a_control_character_is_a_400(
    live: dict[str, Any], resource: str, expression: str
) -> None:
    r = scim(live, "GET", f"{resource}?filter={urllib.parse.quote(expression)}")
    assert r.status_code == 400, r.text
    assert r.headers["Content-Type"].startswith("application/scim+json"), r.text


@pytest.mark.parametrize(
    "query", ["sortBy=userName%00", "attributes=userName%00", "excludedAttributes=%00",
              "startIndex=%00", "count=1%00", "filter=%00"],
)  # fmt: skip
@pytest.mark.parametrize("resource", ["/Users", "/Groups"])
def test_scim_query_parameters_with_nul_are_a_4xx(
    live: dict[str, Any], resource: str, query: str
) -> None:
    r = scim(live, "GET", f"{resource}?{query}")
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["Content-Type"].startswith("application/scim+json"), r.text


def test_no_text_column_holds_a_control_character(live: dict[str, Any]) -> None:
    """Runs last (file order): whatever the tests above sent, nothing hostile was stored."""
    env = live["env"]
    if "DATABASE_URL" in env:
        columns = query(
            env,
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb')",
        )
    else:
        tables = [t for (t,) in query(env, "SELECT name FROM sqlite_master WHERE type='table'")]
        columns = [
            (t, c[1])
            for t in tables
            for c in query(env, f'PRAGMA table_info("{t}")')
            if re.match(r"(?i)(varchar|text|char|json)", c[2] or "")
        ]
    cast = "::text" if "DATABASE_URL" in env else ""
    found = []
    for table, column in columns:
        for (value,) in query(env, f'SELECT "{column}"{cast} FROM "{table}"'):
            text = value if isinstance(value, str) else ""
            if FORBIDDEN.search(text) or ESCAPED.search(text):
                found.append((table, column, text[:80]))
    assert not found, found
