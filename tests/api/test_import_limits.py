"""A hostile roster file sent to the API answers 422 in problem+json, never 500 (#13.3)."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from equipage.imports.models import ImportJob
from tests.imports.test_limits import SHEET_HEAD, SHEET_TAIL, write_workbook


def _wide_workbook(tmp_path: Path) -> bytes:
    cells = b"<c><v>1</v></c>" * 300
    body = [SHEET_HEAD, b'<row r="1">', cells, b"</row>", SHEET_TAIL]
    return write_workbook(tmp_path / "wide.xlsx", iter(body)).read_bytes()


def test_preview_of_a_hostile_workbook_answers_422_naming_the_limit(
    client: Client, write_token: str, tmp_path: Path
) -> None:
    resp = client.post(
        "/api/v1/imports/preview",
        {"file": SimpleUploadedFile("wide.xlsx", _wide_workbook(tmp_path)), "mode": "upsert"},
        HTTP_AUTHORIZATION=f"Bearer {write_token}",
    )
    assert resp.status_code == 422, resp.content
    assert resp["Content-Type"] == "application/problem+json"
    assert "200" in resp.json()["detail"] and "GR" in resp.json()["detail"]  # the bound, named


def test_upload_of_a_hostile_workbook_answers_422_and_stores_nothing(
    client: Client, write_token: str, tmp_path: Path
) -> None:
    resp = client.post(
        "/api/v1/imports",
        {"file": SimpleUploadedFile("wide.xlsx", _wide_workbook(tmp_path)), "mode": "upsert"},
        HTTP_AUTHORIZATION=f"Bearer {write_token}",
    )
    assert resp.status_code == 422, resp.content
    assert not ImportJob.objects.exists()


def test_preview_of_a_one_line_csv_bomb_answers_422(client: Client, write_token: str) -> None:
    data = "Nom;Prénom;État".encode() + b";" * 2_000_000
    resp = client.post(
        "/api/v1/imports/preview",
        {"file": SimpleUploadedFile("line.csv", data), "mode": "upsert"},
        HTTP_AUTHORIZATION=f"Bearer {write_token}",
    )
    assert resp.status_code == 422 and "1,000,000" in resp.json()["detail"]
