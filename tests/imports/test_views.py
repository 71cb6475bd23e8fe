"""The import page: upload → preview → confirm → progress → result; errors as CSV; export."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from equipage.accounts.models import Member
from equipage.imports.models import ImportJob
from tests.imports.helpers import csv_bytes

pytestmark = [
    pytest.mark.django_db(transaction=True),
]

IMMEDIATE = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "imports"],
    }
}


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    """Run background tasks inline, as soon as the request's transaction commits."""
    settings.TASKS = IMMEDIATE


def login(member: Any) -> Client:
    client = Client()
    client.force_login(member)
    return client


def downloaded(response: Any) -> str:
    """Return a streamed CSV download's text."""
    return b"".join(response.streaming_content).decode("utf-8-sig")


def upload(
    client: Client, org: Any, data: bytes, name: str = "roster.csv", mode: str = "sync"
) -> Any:
    return client.post(
        f"/o/{org.slug}/members/import/",
        {"file": SimpleUploadedFile(name, data, content_type="text/csv"), "mode": mode},
    )


def test_admin_uploads_previews_confirms_and_sees_the_result(
    org, admin, owner, immediate_tasks
) -> None:  # type: ignore[no-untyped-def]
    client = login(admin)
    page = client.get(f"/o/{org.slug}/members/import/")
    assert page.status_code == 200 and b"Preview the import" in page.content
    data = csv_bytes(
        [
            [owner.login, owner.last_name, owner.first_name, owner.email, "", "Activé"],
            [admin.login, admin.last_name, admin.first_name, admin.email, "", "Activé"],
            ["", "Neuf", "Nina", "nina@x.fr", "", "Activé"],
        ]
    )
    response = upload(client, org, data)
    job = ImportJob.objects.filter(organization=org).order_by("-id").first()
    assert response.status_code == 302 and response["Location"].endswith(f"/import/{job.pk}/")
    preview = client.get(response["Location"])
    assert b"Preview: nothing is changed yet" in preview.content and b"nina.neuf" in preview.content
    assert not Member.objects.filter(login="nina.neuf").exists()
    client.post(f"/o/{org.slug}/members/import/{job.pk}/confirm")
    job.refresh_from_db()
    assert job.status == "applied" and job.lock is None
    assert Member.objects.get(login="nina.neuf").state == "active"
    result = client.get(f"/o/{org.slug}/members/import/{job.pk}/")
    assert b"Import applied" in result.content
    progress = client.get(f"/o/{org.slug}/members/import/{job.pk}/progress")
    assert progress["HX-Refresh"] == "true"


def test_errors_are_listed_and_downloadable_and_nothing_is_applied(
    org, admin, immediate_tasks
) -> None:  # type: ignore[no-untyped-def]
    client = login(admin)
    upload(client, org, csv_bytes([["", "", "Jean", "", "", "Peut-être"]]))
    job = ImportJob.objects.filter(organization=org).order_by("-id").first()
    page = client.get(f"/o/{org.slug}/members/import/{job.pk}/")
    assert (
        b"the file cannot be imported" in page.content and b"Apply the import" not in page.content
    )
    text = downloaded(client.get(f"/o/{org.slug}/members/import/{job.pk}/errors.csv"))
    assert "2,Nom,This cell is required." in text.replace(";", ",")
    client.post(f"/o/{org.slug}/members/import/{job.pk}/confirm")
    job.refresh_from_db()
    assert job.status == "previewed"


def test_mass_deactivation_needs_the_checkbox(org, admin, owner, immediate_tasks) -> None:  # type: ignore[no-untyped-def]
    from equipage.imports.actions import roster_import

    rows = [["", f"Nom{i}", "P", "", "", "Activé"] for i in range(12)]
    roster_import(actor=admin, organization=org, data=csv_bytes(rows), mode="upsert")
    client = login(admin)
    upload(
        client,
        org,
        csv_bytes([[admin.login, admin.last_name, admin.first_name, admin.email, "", "Activé"]]),
    )
    job = ImportJob.objects.filter(organization=org).order_by("-id").first()
    page = client.get(f"/o/{org.slug}/members/import/{job.pk}/")
    assert b"confirm_mass_deactivation" in page.content
    client.post(f"/o/{org.slug}/members/import/{job.pk}/confirm")
    assert Member.objects.filter(organization=org, state="active").count() == 14
    client.post(
        f"/o/{org.slug}/members/import/{job.pk}/confirm", {"confirm_mass_deactivation": "on"}
    )
    assert Member.objects.filter(organization=org, state="active").count() == 2


def test_member_cannot_open_the_import_page(org, member) -> None:  # type: ignore[no-untyped-def]
    client = login(member)
    assert client.get(f"/o/{org.slug}/members/import/").status_code == 403
    assert client.get(f"/o/{org.slug}/members/export").status_code == 403


def test_admin_of_another_tenant_is_sent_to_login_and_cannot_see_jobs(
    org, admin, other_admin, immediate_tasks
) -> None:  # type: ignore[no-untyped-def]
    upload(login(admin), org, csv_bytes([["", "A", "B", "", "", "Activé"]]))
    job = ImportJob.objects.filter(organization=org).order_by("-id").first()
    other = login(other_admin)
    assert other.get(f"/o/{org.slug}/members/import/{job.pk}/").status_code == 302
    assert other.get(f"/o/{org.slug}/members/export").status_code == 302
    # Their own organization does not know this job either.
    assert other.get(f"/o/globex/members/import/{job.pk}/").status_code == 404


def test_export_download_streams_csv_and_xlsx(org, admin) -> None:  # type: ignore[no-untyped-def]
    client = login(admin)
    response = client.get(f"/o/{org.slug}/members/export?format=csv&lang=fr")
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeffIdentifiant;Nom;Prénom".encode())
    response = client.get(f"/o/{org.slug}/members/export?format=xlsx&lang=en")
    assert b"".join(response.streaming_content).startswith(b"PK")


def test_feature_switched_off_shows_a_clear_message(org, admin) -> None:  # type: ignore[no-untyped-def]
    org.features = {**org.features, "import_export": False}
    org.save(update_fields=["features"])
    page = login(admin).get(f"/o/{org.slug}/members/import/")
    assert page.status_code == 403 and b"not enabled" in page.content


@pytest.fixture
def small_reports(monkeypatch: Any) -> int:
    """Cut the job rows' lists (and the page's) at 3 lines, as they are at 100 in production."""
    from equipage.imports import jobs, views

    monkeypatch.setattr(jobs, "REPORT_LIMIT", 3)
    monkeypatch.setattr(views, "PREVIEW_ROWS", 3)
    return 3


def test_a_big_preview_keeps_its_first_changes_in_the_row_and_every_change_for_download(
    org, admin, immediate_tasks, small_reports
) -> None:  # type: ignore[no-untyped-def]
    from equipage.imports.models import ImportChunk

    client = login(admin)
    people = [["", f"Neuf{i}", "Nina", f"nina{i}@x.fr", "", "Activé"] for i in range(5)]
    upload(client, org, csv_bytes(people), mode="upsert")
    job = ImportJob.objects.filter(organization=org).order_by("-id").first()
    assert job.status == "previewed"
    assert len(job.preview["changes"]) == 3 and job.preview["change_count"] == 5
    page = client.get(f"/o/{org.slug}/members/import/{job.pk}/")
    assert b"and 2 more changes" in page.content and b"Download all 5 changes (CSV)" in page.content
    download = client.get(f"/o/{org.slug}/members/import/{job.pk}/changes.csv")
    text = downloaded(download)
    logins = {line.split(",")[1] for line in text.splitlines()[1:]}
    assert logins == {f"nina.neuf{i}" for i in range(5)}
    assert "nina3@x.fr" in text and text.splitlines()[0] == "Line,Login,Change,Column,Before,After"
    parts = ImportChunk.objects.filter(job=job).values_list("part", flat=True)
    assert set(parts) == {"upload", "preview:changes"}
    client.post(f"/o/{org.slug}/members/import/{job.pk}/confirm")
    job.refresh_from_db()
    assert job.status == "applied" and Member.objects.filter(first_name="Nina").count() == 5
    # The uploaded file leaves the database once applied; the list of changes stays for the
    # result page and its CSV (it goes with the job when housekeeping deletes it).
    assert set(parts.all()) == {"preview:changes"}
    result = client.get(f"/o/{org.slug}/members/import/{job.pk}/").content.decode()
    assert "Changes made" in result and "nina.neuf0" in result
    again = downloaded(client.get(f"/o/{org.slug}/members/import/{job.pk}/changes.csv"))
    assert {line.split(",")[1] for line in again.splitlines()[1:]} == logins


def test_every_error_is_downloadable_when_the_page_shows_the_first(
    org, admin, immediate_tasks, small_reports
) -> None:  # type: ignore[no-untyped-def]
    client = login(admin)
    upload(client, org, csv_bytes([["", f"N{i}", "P", "", "", "Peut-être"] for i in range(5)]))
    job = ImportJob.objects.filter(organization=org).order_by("-id").first()
    assert len(job.preview["errors"]) == 3 and job.preview["error_count"] == 5
    page = client.get(f"/o/{org.slug}/members/import/{job.pk}/")
    assert b"5 errors: the file cannot be imported" in page.content
    lines = downloaded(client.get(f"/o/{org.slug}/members/import/{job.pk}/errors.csv"))
    lines = lines.splitlines()[1:]
    assert [line.split(",")[0] for line in lines] == ["2", "3", "4", "5", "6"]


def test_the_progress_poll_does_not_read_the_reports(org, admin, immediate_tasks) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(admin)
    upload(client, org, csv_bytes([["", "Neuf", "Nina", "", "", "Activé"]]))
    job = ImportJob.objects.filter(organization=org).order_by("-id").first()
    ImportJob.objects.filter(pk=job.pk).update(status="running")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/o/{org.slug}/members/import/{job.pk}/progress")
    assert response.status_code == 200 and b"Applying the import" in response.content
    job_queries = [q["sql"] for q in queries if "imports_importjob" in q["sql"]]
    assert job_queries and not any('"preview"' in sql or '"result"' in sql for sql in job_queries)


def test_the_progress_shows_the_lines_read_before_their_number_is_known(
    org, admin, immediate_tasks
) -> None:  # type: ignore[no-untyped-def]
    from django.conf import settings

    from equipage.imports.jobs import write_progress

    client = login(admin)
    upload(client, org, csv_bytes([["", "Neuf", "Nina", "", "", "Activé"]]))
    job = ImportJob.objects.filter(organization=org).order_by("-id").first()
    ImportJob.objects.filter(pk=job.pk).update(status="running")
    write_progress(job.pk, "read", 40_000, 0)
    response = client.get(f"/o/{org.slug}/members/import/{job.pk}/progress")
    assert b"40000 lines read" in response.content
    write_progress(job.pk, "write", 3, 10)
    response = client.get(f"/o/{org.slug}/members/import/{job.pk}/progress")
    assert b"3 of 10 rows" in response.content and b"lines read" not in response.content
    assert b'max="10" value="3"' in response.content
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    write_progress(job.pk, "read", 40_000, 0)
    response = client.get(f"/o/{org.slug}/members/import/{job.pk}/progress")
    assert "40000 lignes lues" in response.content.decode()


def test_the_preview_pages_through_every_change_by_plain_links(
    org, admin, immediate_tasks, small_reports
) -> None:  # type: ignore[no-untyped-def]
    import re

    client = login(admin)
    people = [["", f"Neuf{i}", "Nina", f"nina{i}@x.fr", "", "Activé"] for i in range(7)]
    upload(client, org, csv_bytes(people), mode="upsert")
    job = ImportJob.objects.filter(organization=org).order_by("-id").first()
    url = f"/o/{org.slug}/members/import/{job.pk}/"
    seen: list[str] = []
    query = ""
    for _page in range(5):
        html = client.get(url + query).content.decode()
        seen += re.findall(r"<td>(nina\.neuf\d)</td>", html)
        more = re.search(r'href="\?changes=([^"#]+)#changes-title" rel="next"', html)
        if more is None:
            break
        query = f"?changes={more.group(1)}"
    assert sorted(seen) == [f"nina.neuf{i}" for i in range(7)] and len(seen) == 7
    assert "Lines 7 to 7 of 7" in html
    assert client.get(url + "?changes=forged!").status_code == 404


def test_a_cancelled_preview_leaves_the_database_at_once(org, admin, immediate_tasks) -> None:  # type: ignore[no-untyped-def]
    from equipage.imports.models import ImportChunk

    client = login(admin)
    upload(client, org, csv_bytes([["", "Neuf", "Nina", "", "", "Activé"]]), mode="upsert")
    job = ImportJob.objects.filter(organization=org).order_by("-id").first()
    assert ImportChunk.objects.filter(job=job, part="upload").exists()
    page = client.get(f"/o/{org.slug}/members/import/{job.pk}/").content.decode()
    assert f'formaction="/o/{org.slug}/members/import/{job.pk}/cancel"' in page
    response = client.post(f"/o/{org.slug}/members/import/{job.pk}/cancel")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "cancelled" and not ImportChunk.objects.filter(job=job).exists()
    client.post(f"/o/{org.slug}/members/import/{job.pk}/confirm")  # too late to apply it
    job.refresh_from_db()
    assert job.status == "cancelled" and not Member.objects.filter(first_name="Nina").exists()


def test_a_preview_with_errors_keeps_its_errors_not_its_file(org, admin, immediate_tasks) -> None:  # type: ignore[no-untyped-def]
    from equipage.imports.models import ImportChunk

    client = login(admin)
    upload(client, org, csv_bytes([["", "", "Jean", "", "", "Peut-être"]]))
    job = ImportJob.objects.filter(organization=org).order_by("-id").first()
    assert job.status == "previewed" and job.preview["error_count"] == 2
    parts = set(ImportChunk.objects.filter(job=job).values_list("part", flat=True))
    assert "preview:errors" in parts and "upload" not in parts  # it can never be applied
