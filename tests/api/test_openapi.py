"""The OpenAPI document: where the API lives, what each part is for, and both linters pass.

Redocly's and Spectral's OpenAPI rulesets run from npm, installed by ``.ci/run``
into ``.ci/npm`` (``npm install --prefix .ci/npm @redocly/cli @stoplight/spectral-cli``).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".ci" / "npm" / "node_modules" / ".bin"
# Worst case of one character in a query string: a 4-byte UTF-8 character, percent-encoded.
ENCODED_CHARACTER = 12
URL_SAFE = "^[A-Za-z0-9_-]*$"


@pytest.fixture
def document(client: Client, db: Any) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op) for path, ops in document["paths"].items() for method, op in ops.items()
    ]


def test_openapi_document_names_the_server_the_links_point_at(document: dict[str, Any]) -> None:
    assert document["servers"][0]["url"] == f"{settings.EQUIPAGE_BASE_URL}/api/v1"
    assert "/members" in document["paths"]


def test_every_operation_has_a_described_tag_a_summary_a_description_and_a_unique_id(
    document: dict[str, Any],
) -> None:
    described = {tag["name"] for tag in document["tags"] if tag["description"]}
    ids = [op["operationId"] for _path, _method, op in operations(document)]
    assert len(ids) == len(set(ids)), ids
    for path, method, op in operations(document):
        assert set(op["tags"]) <= described, (path, method)
        assert op["summary"] and op["description"], (path, method)
        assert op["security"], (path, method)
        assert {"401", "422"} <= set(op["responses"]), (path, method)
    scheme = document["components"]["securitySchemes"]["TokenAuth"]
    assert scheme["scheme"] == "bearer" and "api:write" in scheme["description"]


def test_every_component_schema_is_used(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    for name in document["components"]["schemas"]:
        assert f'"#/components/schemas/{name}"' in text, name


def test_the_longest_valid_query_of_every_operation_fits_in_the_request_line(
    document: dict[str, Any],
) -> None:
    """Attack: every parameter at its longest, every character the longest to encode."""
    prefix = document["servers"][0]["url"].split("/", 3)[-1]
    for path, method, op in operations(document):
        line = len(method) + 1 + len(f"/{prefix}") + len(" HTTP/1.1")
        params = op.get("parameters", [])
        line += sum(len(str(2**63)) for p in params if p["in"] == "path") + len(path)
        for param in (p for p in params if p["in"] == "query"):
            line += len(param["name"]) + 2 + _longest_value(param["schema"], (path, param))
        assert line <= settings.EQUIPAGE_REQUEST_LINE_LIMIT, (path, method, line)


def _longest_value(schema: dict[str, Any], where: Any) -> int:
    """Return the longest a query value can be once percent-encoded."""
    variants = schema.get("anyOf", [schema])
    longest = 0
    for variant in variants:
        if "enum" in variant or "const" in variant:
            values = variant.get("enum", [variant.get("const")])
            longest = max(longest, *(len(str(v)) for v in values))
        elif variant.get("type") == "string":
            assert "maxLength" in variant, f"unbounded string {where}"
            per_character = 1 if variant.get("pattern") == URL_SAFE else ENCODED_CHARACTER
            longest = max(longest, variant["maxLength"] * per_character)
        elif variant.get("type") == "integer":
            assert "maximum" in variant, f"unbounded integer {where}"
            longest = max(longest, len(str(variant["maximum"])) + 1)
        elif variant.get("type") in ("boolean", "null"):
            longest = max(longest, len("false"))
        else:
            raise AssertionError(f"a query parameter of unknown length {where}: {variant}")
    return longest


def test_openapi_document_passes_redocly_and_spectral_with_no_error(
    document: dict[str, Any], tmp_path: Path
) -> None:
    """Both linters at once (each takes a few seconds); warnings are allowed, errors not."""
    linters = {name: BIN / name for name in ("redocly", "spectral")}
    missing = [str(path) for path in linters.values() if not path.exists()]
    assert not missing, (
        f"OpenAPI linters missing: {missing}; install them with "
        "`npm install --no-save --prefix .ci/npm @redocly/cli @stoplight/spectral-cli` "
        "(as .ci/run does)"
    )
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document))
    ruleset = tmp_path / ".spectral.yaml"
    ruleset.write_text('extends: ["spectral:oas"]\n')
    runs = {
        "redocly": subprocess.Popen(
            [str(linters["redocly"]), "lint", "--format", "json", str(spec)],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ),
        "spectral": subprocess.Popen(
            [str(linters["spectral"]), "lint", "--format", "json", "-r", str(ruleset), str(spec)],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ),
    }
    outputs = {name: run.communicate(timeout=120) for name, run in runs.items()}
    redocly_out, redocly_err = outputs["redocly"]
    problems = json.loads(redocly_out)["problems"]
    errors = [p for p in problems if p["severity"] == "error"]
    assert not errors and runs["redocly"].returncode == 0, (errors, redocly_err[-2000:])
    spectral_out, spectral_err = outputs["spectral"]
    results = json.loads(spectral_out[spectral_out.index("[") :])
    errors = [r for r in results if r["severity"] == 0]  # 0 error, 1 warning, 2 info, 3 hint
    assert not errors and runs["spectral"].returncode == 0, (errors, spectral_err[-2000:])
