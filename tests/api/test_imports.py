"""Import and export over the API: dry run, background jobs, progress, scope and tenant."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from equipage.accounts.models import Member
from equipage.audit.models import AuditEvent
from equipage.imports.models import ImportJob
from tests.imports.helpers import EN_HEADER, csv_bytes

API = "/api/v1"
IMMEDIATE = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "imports"],
    }
}


@pytest.fixture
def immediate_tasks(settings: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """Run the imports queue inline when the request's transaction commits."""
    settings.TASKS = IMMEDIATE
    return django_capture_on_commit_callbacks


def _auth(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _upload(client: Client, token: str, path: str, data: bytes, **form: str) -> Any:
    upload = SimpleUploadedFile("roster.csv", data, content_type="text/csv")
    return client.post(f"{API}{path}", {"file": upload, **form}, **_auth(token))


def _roster(org_members: list[Any], *new: tuple[str, str]) -> bytes:
    rows = [[m.login, m.last_name, m.first_name, m.email, "", "Activé"] for m in org_members]
    rows += [["", last, first, "", "", "Activé"] for first, last in new]
    return csv_bytes(rows)


def test_preview_reports_the_spec_json_and_changes_nothing(
    client: Client, write_token: str, owner: Any
) -> None:
    response = _upload(
        client, write_token, "/imports/preview", _roster([owner], ("Nina", "Neuf")), mode="upsert"
    )
    assert response.status_code == 200, response.content
    report = response.json()
    for key in ("added", "updated", "deactivated", "unchanged", "skipped", "errors", "applied"):
        assert key in report
    assert (report["added"], report["applied"], report["dry_run"], report["mode"]) == (
        1,
        False,
        True,
        "upsert",
    )
    assert report["changes"][0]["login"] == "nina.neuf"
    assert not Member.objects.filter(login="nina.neuf").exists()


def test_preview_lists_errors_with_line_and_column(
    client: Client, write_token: str, owner: Any
) -> None:
    data = csv_bytes([[owner.login, owner.last_name, owner.first_name, "", "", "Peut-être"]])
    report = _upload(client, write_token, "/imports/preview", data).json()
    assert report["errors"] and report["errors"][0]["line"] == 2
    assert report["errors"][0]["column"] == "État"


def test_upload_previews_in_background_then_apply_imports_as_the_token(
    client: Client, write_token: str, owner: Any, immediate_tasks: Any
) -> None:
    with immediate_tasks(execute=True):
        created = _upload(client, write_token, "/imports", _roster([owner], ("Nina", "Neuf")))
    assert created.status_code == 202, created.content
    job_id = created.json()["id"]
    job = client.get(f"{API}/imports/{job_id}", **_auth(write_token)).json()
    assert job["status"] == "previewed" and job["preview"]["added"] == 1
    assert job["created_by"] == "token:t"
    assert not Member.objects.filter(login="nina.neuf").exists()
    with immediate_tasks(execute=True):
        applied = client.post(f"{API}/imports/{job_id}/apply", **_auth(write_token))
    assert applied.status_code == 202, applied.content
    done = client.get(f"{API}/imports/{job_id}", **_auth(write_token)).json()
    assert done["status"] == "applied" and done["result"]["applied"] is True
    assert done["finished_at"] is not None
    assert Member.objects.get(login="nina.neuf").state == "active"
    event = AuditEvent.objects.filter(event_type="member.created").latest("id")
    assert event.actor_label == "token:t" and event.origin.get("channel") == "api"
    listed = client.get(f"{API}/imports", **_auth(write_token)).json()
    assert [j["id"] for j in listed] == [job_id]


def test_apply_of_a_file_with_errors_is_refused_and_changes_nothing(
    client: Client, write_token: str, owner: Any, immediate_tasks: Any
) -> None:
    data = csv_bytes([["", "Neuf", "Nina", "", "", "Peut-être"]])
    with immediate_tasks(execute=True):
        job_id = _upload(client, write_token, "/imports", data).json()["id"]
    response = client.post(f"{API}/imports/{job_id}/apply", **_auth(write_token))
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert ImportJob.objects.get(pk=job_id).status == "previewed"
    assert not Member.objects.filter(login="nina.neuf").exists()


def test_mass_deactivation_needs_explicit_confirmation(
    client: Client, org: Any, write_token: str, owner: Any, member: Any, immediate_tasks: Any
) -> None:
    from tests.conftest import make_member

    for i in range(11):
        make_member(org, owner, "Temp", f"Worker{i}")
    with immediate_tasks(execute=True):
        job_id = _upload(client, write_token, "/imports", _roster([owner])).json()["id"]
    refused = client.post(f"{API}/imports/{job_id}/apply", **_auth(write_token))
    assert refused.status_code == 409 and "confirm_mass_deactivation" in refused.json()["detail"]
    with immediate_tasks(execute=True):
        response = client.post(
            f"{API}/imports/{job_id}/apply?confirm_mass_deactivation=true", **_auth(write_token)
        )
    assert response.status_code == 202
    member.refresh_from_db()
    assert member.state == "deactivated"


def test_read_token_may_follow_imports_but_not_upload_or_apply(
    client: Client, read_token: str, write_token: str, owner: Any
) -> None:
    job_id = _upload(client, write_token, "/imports", _roster([owner])).json()["id"]
    assert client.get(f"{API}/imports/{job_id}", **_auth(read_token)).status_code == 200
    for path in ("/imports/preview", "/imports"):
        response = _upload(client, read_token, path, _roster([owner]))
        assert response.status_code == 403 and response.json()["type"].endswith(
            "insufficient_scope"
        )
    assert client.post(f"{API}/imports/{job_id}/apply", **_auth(read_token)).status_code == 403
    assert ImportJob.objects.count() == 1


def test_other_tenant_token_gets_404_for_an_import_and_sees_none(
    client: Client, write_token: str, other_token: str, owner: Any
) -> None:
    job_id = _upload(client, write_token, "/imports", _roster([owner])).json()["id"]
    assert client.get(f"{API}/imports/{job_id}", **_auth(other_token)).status_code == 404
    assert client.post(f"{API}/imports/{job_id}/apply", **_auth(other_token)).status_code == 404
    assert client.get(f"{API}/imports", **_auth(other_token)).json() == []
    assert ImportJob.objects.get(pk=job_id).status == "previewing"


def test_token_of_a_creator_demoted_to_member_cannot_import_or_export(
    client: Client, org: Any, owner: Any, admin: Any
) -> None:
    from equipage.accounts.actions import member_set_roles
    from equipage.tokens.actions import token_create

    raw = token_create(actor=admin, organization=org, name="x", scopes=["api"]).raw
    member_set_roles(actor=owner, member=admin, roles=["member"])
    # The demotion revoked the token (issue #13.4): it no longer authenticates at all.
    assert _upload(client, raw, "/imports/preview", _roster([owner])).status_code == 401
    assert client.get(f"{API}/exports/members", **_auth(raw)).status_code == 401


def test_import_export_switched_off_answers_403(
    client: Client, org: Any, operator: Any, write_token: str, owner: Any
) -> None:
    from equipage.organizations.models import Feature

    org.features = {**(org.features or {}), Feature.IMPORT_EXPORT: False}
    org.save(update_fields=["features"])
    response = _upload(client, write_token, "/imports/preview", _roster([owner]))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert client.get(f"{API}/exports/members", **_auth(write_token)).status_code == 403


def _export(client: Client, token: str, **query: str) -> Any:
    return client.get(f"{API}/exports/members", query, **_auth(token))


def test_export_csv_in_french_and_english_as_a_read_token(
    client: Client, read_token: str, owner: Any, member: Any
) -> None:
    fr = _export(client, read_token, lang="fr")
    assert fr.status_code == 200 and fr["Content-Type"].startswith("text/csv")
    text = b"".join(fr.streaming_content).decode("utf-8")
    assert text.startswith("\ufeffIdentifiant;Nom;Prénom;Adresse e-mail;Mot de passe;État")
    assert member.login in text
    en = _export(client, read_token, lang="en")
    rows = list(csv.reader(io.StringIO(b"".join(en.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:6] == EN_HEADER
    event = AuditEvent.objects.filter(event_type="export.downloaded").latest("id")
    assert event.actor_label == "token:t"


def test_export_xlsx_is_a_workbook(client: Client, read_token: str, owner: Any) -> None:
    response = _export(client, read_token, format="xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="acme-members.xlsx"'
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_export_refuses_an_unknown_format_with_field_details(
    client: Client, read_token: str
) -> None:
    response = _export(client, read_token, format="pdf")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "format"


def test_other_tenant_export_holds_only_its_own_members(
    client: Client, other_token: str, member: Any, other_member: Any
) -> None:
    text = b"".join(_export(client, other_token).streaming_content).decode("utf-8")
    assert other_member.login in text and member.login not in text
    assert client.get(f"{API}/exports/members").status_code == 401


def test_token_revoked_before_the_worker_applies_stops_the_import(
    client: Client, write_token: str, owner: Any, immediate_tasks: Any
) -> None:
    from equipage.tokens.actions import token_revoke
    from equipage.tokens.models import ApiToken

    with immediate_tasks(execute=True):
        created = _upload(client, write_token, "/imports", _roster([owner], ("Nina", "Neuf")))
    job_id = created.json()["id"]
    assert ImportJob.objects.get(pk=job_id).token is not None
    with immediate_tasks() as queued:  # the apply waits in the queue...
        applied = client.post(f"{API}/imports/{job_id}/apply", **_auth(write_token))
    assert applied.status_code == 202, applied.content
    token_revoke(actor=owner, token=ApiToken.objects.get(organization=owner.organization))
    for run in queued:  # ...and the worker takes it after the revocation
        run()
    job = ImportJob.objects.get(pk=job_id)
    assert job.status == "failed" and job.lock is None
    assert job.result is not None and job.result["applied"] is False
    assert not Member.objects.filter(login="nina.neuf").exists()


def test_job_of_a_deleted_token_is_not_run_as_its_creator(
    client: Client, write_token: str, owner: Any, immediate_tasks: Any
) -> None:
    from equipage.imports.jobs import ImportFailed, run_preview
    from equipage.tokens.models import ApiToken

    with immediate_tasks():  # uploaded, the preview not computed yet
        created = _upload(client, write_token, "/imports", _roster([owner], ("Nina", "Neuf")))
    job_id = created.json()["id"]
    ApiToken.objects.filter(organization=owner.organization).delete()
    with pytest.raises(ImportFailed):  # the task fails too, not only its job
        run_preview(job_id)
    job = ImportJob.objects.get(pk=job_id)
    assert job.status == "failed" and job.token is None
    message = job.preview["errors"][0]["message"] if job.preview else ""
    assert "token" in message or "jeton" in message


def test_getting_an_import_gives_the_first_changes_and_the_rest_by_cursor(
    client: Client, write_token: str, owner: Any, immediate_tasks: Any, monkeypatch: Any
) -> None:
    from equipage.imports import jobs

    monkeypatch.setattr(jobs, "REPORT_LIMIT", 2)
    people = [(f"Nina{i}", "Neuf") for i in range(5)]
    with immediate_tasks(execute=True):
        job_id = _upload(client, write_token, "/imports", _roster([owner], *people)).json()["id"]
    job = client.get(f"{API}/imports/{job_id}", **_auth(write_token)).json()
    preview = job["preview"]
    assert len(preview["changes"]) == 2 and preview["change_count"] == 5
    assert set(preview["next_cursors"]) == {"changes"}
    (listed,) = client.get(f"{API}/imports", **_auth(write_token)).json()
    assert listed["preview"] == preview
    seen = [c["login"] for c in preview["changes"]]
    cursor = preview["next_cursors"]["changes"]
    while cursor:
        page = client.get(
            f"{API}/imports/{job_id}/changes", {"cursor": cursor, "limit": 2}, **_auth(write_token)
        ).json()
        assert page["total"] == 5 and 1 <= len(page["items"]) <= 2
        seen += [c["login"] for c in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == [f"nina{i}.neuf" for i in range(5)]
    whole = client.get(f"{API}/imports/{job_id}/changes?limit=1000", **_auth(write_token)).json()
    assert [c["login"] for c in whole["items"]] == seen and whole["next_cursor"] is None
    bad = client.get(f"{API}/imports/{job_id}/changes?cursor=nope!", **_auth(write_token))
    assert bad.status_code == 400
    with immediate_tasks(execute=True):
        client.post(f"{API}/imports/{job_id}/apply", **_auth(write_token))
    applied = client.get(f"{API}/imports/{job_id}", **_auth(write_token)).json()
    # Applied, it keeps its changes (what was done): the cursor still leads to the rest.
    assert applied["status"] == "applied" and set(applied["preview"]["next_cursors"]) == {"changes"}
    rest = client.get(f"{API}/imports/{job_id}/changes?limit=1000", **_auth(write_token)).json()
    assert len(rest["items"]) == 5 and rest["total"] == 5 and rest["next_cursor"] is None


def test_polling_a_big_preview_reads_one_small_row_whatever_its_size(
    client: Client, write_token: str, owner: Any
) -> None:
    """A 250k-line preview's poll once returned every change (114 MB, 33 s): now its row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from equipage.imports.jobs import job_create, run_preview
    from equipage.permissions import as_actor

    seen: dict[int, tuple[int, int]] = {}
    for n in (150, 3000):
        people = [(f"Nina{i}", f"Big{n}") for i in range(n)]
        job = job_create(
            actor=as_actor(owner),
            organization=owner.organization,
            data=_roster([], *people),
            filename="roster.csv",
            mode="upsert",
        )
        run_preview(job.pk)
        client.get(f"{API}/imports/{job.pk}", **_auth(write_token))  # the token's first use
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{API}/imports/{job.pk}", **_auth(write_token))
        preview = response.json()["preview"]
        assert preview["change_count"] == n and len(preview["changes"]) == 100
        assert not any("importchunk" in q["sql"] for q in queries)  # the report is not read
        # What the poll reads of the import (the token's checks, cached a few seconds per
        # process, and its audited use, once a minute, come and go between two polls).
        reads = [q for q in queries.captured_queries if '"imports_' in q["sql"]]
        seen[n] = (len(reads), len(response.content))
    (small_queries, small_size), (big_queries, big_size) = seen[150], seen[3000]
    assert big_queries == small_queries == 1, reads
    assert big_size < small_size * 1.1  # twenty times the changes, the same answer


def test_a_preview_is_cancelled_over_the_api_and_its_file_deleted(
    client: Client, write_token: str, owner: Any, immediate_tasks: Any
) -> None:
    from equipage.imports.models import ImportChunk

    with immediate_tasks(execute=True):
        created = _upload(client, write_token, "/imports", _roster([owner], ("Nina", "Neuf")))
    job_id = created.json()["id"]
    cancelled = client.post(f"{API}/imports/{job_id}/cancel", **_auth(write_token))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert not ImportChunk.objects.filter(job_id=job_id).exists()
    again = client.post(f"{API}/imports/{job_id}/cancel", **_auth(write_token))
    assert again.status_code == 409
    apply = client.post(f"{API}/imports/{job_id}/apply", **_auth(write_token))
    assert apply.status_code == 409
