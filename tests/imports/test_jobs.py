"""Import jobs across nodes: uploaded on one, previewed and applied by a worker on another.

The worker is a real ``python -m equipage worker`` process with a data
directory of its own, on the test's database (the SQLite file, or the
PostgreSQL test database): nothing it needs may be on the uploading node's
disk. A worker killed mid-apply changes nothing, and the job is ended by
housekeeping with its organization unlocked.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from equipage.accounts.models import Member
from equipage.audit.models import AuditEvent
from equipage.core import clock
from equipage.imports.housekeeping import end_vanished_import_jobs
from equipage.imports.jobs import job_confirm, job_create, read_progress, vanished
from equipage.imports.models import ImportChunk, ImportJob, ImportStatus
from equipage.imports.pulse import vanished_seconds
from equipage.permissions import as_actor
from tests.imports.helpers import EN_HEADER, csv_bytes

pytestmark = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[2]
API = "/api/v1"


def database_url() -> str:
    """Return the URL of the test's own database, for the worker processes."""
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


def node_env(data_dir: Path) -> dict[str, str]:
    """The environment of another node: its own data directory, the same database."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=database_url(),
        EQUIPAGE_DATA_DIR=str(data_dir),
        PYTHONPATH=str(REPO),
        EQUIPAGE_LOG_LEVEL="INFO",
    )
    return env


def worker_once(data_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run ``equipage worker --once`` as another node: the tasks due, then exit."""
    done = subprocess.run(
        [sys.executable, "-m", "equipage", "worker", "--once"],
        env=node_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    return done


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


@pytest.fixture
def token(owner: Any) -> str:
    from equipage.tokens.actions import token_create

    return token_create(actor=owner, organization=owner.organization, name="t", scopes=["api"]).raw


def _auth(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _task_states(job_id: int) -> list[str]:
    from django_tasks_db.models import DBTaskResult

    return [
        r.status
        for r in DBTaskResult.objects.order_by("enqueued_at")
        if r.args_kwargs.get("args") == [job_id] and r.task_path.startswith("equipage.imports.")
    ]


def test_an_import_uploaded_on_one_node_is_previewed_applied_and_watched_from_another(
    tmp_path: Path, org: Any, owner: Any, token: str
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    people = [["", f"Neuf{i}", "Nina", f"nina{i}@x.fr", "", "Active"] for i in range(150)]
    roster = csv_bytes(people, header=EN_HEADER, delimiter=",")
    upload = SimpleUploadedFile("roster.csv", roster, content_type="text/csv")
    created = client.post(f"{API}/imports", {"file": upload, "mode": "upsert"}, **_auth(token))
    assert created.status_code == 202, created.content
    job_id = created.json()["id"]
    assert created.json()["progress"]["phase"] == "read"

    # Node B, with a data directory of its own, prepares the preview from the database.
    worker_once(tmp_path / "node-b")
    job = client.get(f"{API}/imports/{job_id}", **_auth(token)).json()
    assert job["status"] == "previewed", job
    preview = job["preview"]
    assert preview["change_count"] == 150 and len(preview["changes"]) == 100
    rest = client.get(
        f"{API}/imports/{job_id}/changes",
        {"cursor": preview["next_cursors"]["changes"]},
        **_auth(token),
    ).json()
    assert len(rest["items"]) == 50 and rest["next_cursor"] is None
    logins = {c["login"] for c in preview["changes"] + rest["items"]}
    assert logins == {f"nina.neuf{i}" for i in range(150)}

    applied = client.post(f"{API}/imports/{job_id}/apply", **_auth(token))
    assert applied.status_code == 202 and applied.json()["status"] == "queued"
    applying = worker_once(tmp_path / "node-c")  # and a third node applies it
    job = client.get(f"{API}/imports/{job_id}", **_auth(token)).json()
    assert job["status"] == "applied" and job["result"]["added"] == 150, job
    assert Member.objects.filter(organization=org, first_name="Nina").count() == 150
    assert _task_states(job_id) == ["SUCCESSFUL", "SUCCESSFUL"]
    # One line tells the outcome, where the work was done.
    assert f"import applied: organization=acme job={job_id} mode=upsert added=150" in (
        applying.stderr
    )
    # Nothing left behind: the file leaves the database once applied (the list of changes
    # stays for the result page), and no node kept anything of the import on its disk.
    parts = ImportChunk.objects.filter(job_id=job_id).values_list("part", flat=True)
    assert set(parts) == {"preview:changes"}
    for node in (Path(settings.DATA_DIR), tmp_path / "node-b", tmp_path / "node-c"):
        assert not files_under(node / "uploads"), node


def test_a_failed_import_is_failed_for_its_task_too_and_tells_no_server_path(
    tmp_path: Path, org: Any, owner: Any, admin: Any
) -> None:
    job = job_create(
        actor=as_actor(admin),
        organization=org,
        data=csv_bytes([["", "Neuf", "Nina", "", "", "Activé"]]),
        filename="roster.csv",
        mode="upsert",
    )
    Member.objects.filter(pk=admin.pk).delete()  # who started it is gone before its turn
    done = worker_once(tmp_path / "node-b")
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    message = job.preview["errors"][0]["message"]
    assert "no longer exists" in message and "/" not in message
    assert _task_states(job.pk) == ["FAILED"]  # not "SUCCESSFUL", as it was
    assert f"import preview failed: organization=acme job={job.pk}" in done.stderr


def _slow_roster(n: int) -> bytes:
    # New members with their own passwords: each costs an Argon2 hash in the worker's apply.
    return csv_bytes(
        [["", f"Lent{i}", "Léo", "", f"Secret-{i}-passw0rd!", "Activé"] for i in range(n)]
    )


def test_a_worker_killed_mid_apply_changes_nothing_and_housekeeping_frees_the_organization(
    tmp_path: Path, org: Any, owner: Any
) -> None:
    actor = as_actor(owner)
    job = job_create(
        actor=actor, organization=org, data=_slow_roster(300), filename="r.csv", mode="upsert"
    )
    worker_once(tmp_path / "node-b")
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED, job.preview
    members_before = Member.objects.filter(organization=org).count()
    job_confirm(actor=actor, job=job, confirm_mass_deactivation=False)

    worker = subprocess.Popen(
        [sys.executable, "-m", "equipage", "worker", "--once"],
        env=node_env(tmp_path / "node-b"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        start_new_session=True,  # its own group: the hashing processes it starts die with it
    )
    try:
        for _ in range(600):
            job.refresh_from_db()
            if job.status != ImportStatus.QUEUED:
                break
            time.sleep(0.05)
        assert job.status == ImportStatus.RUNNING and job.heartbeat_at is not None
        time.sleep(1.5)  # inside its transaction, hashing the passwords
        # This node sees the other's progress, its transaction open (on SQLite: from beside
        # the database file, the row's writes being held back by the transaction).
        job.refresh_from_db()
        assert read_progress(job) == {"phase": "write", "done": 0, "total": 300}
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(30)
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING and job.lock, "the apply ended before the kill"
    assert Member.objects.filter(organization=org).count() == members_before
    assert not AuditEvent.objects.filter(event_type="import.applied").exists()

    # Within vanished_seconds() of its last beat, the job is left alone.
    assert end_vanished_import_jobs() == 0
    # Its heartbeat grows old, as minutes pass without the worker.
    last_beat = clock.now() - timedelta(seconds=vanished_seconds() + 5)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=last_beat)
    assert end_vanished_import_jobs() == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.lock is None and job.finished_at
    message = job.result["errors"][0]["message"]
    assert "interrupted" in message and "Nothing was changed" in message
    assert Member.objects.filter(organization=org).count() == members_before
    assert not ImportChunk.objects.filter(job=job).exists()
    # The organization is free: the next import takes the lock.
    again = job_create(
        actor=actor, organization=org, data=_slow_roster(1), filename="r.csv", mode="upsert"
    )
    ImportJob.objects.filter(pk=again.pk).update(status=ImportStatus.PREVIEWED, preview={})
    again.refresh_from_db()
    job_confirm(actor=actor, job=again, confirm_mass_deactivation=False)
    assert ImportJob.objects.get(pk=again.pk).lock is True


def test_a_job_whose_worker_still_beats_or_runs_here_is_not_ended(org: Any, owner: Any) -> None:
    job = job_create(
        actor=as_actor(owner), organization=org, data=b"", filename="r.csv", mode="upsert"
    )
    old = clock.now() - timedelta(seconds=vanished_seconds() + 5)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, lock=True, heartbeat_at=clock.now()
    )
    assert end_vanished_import_jobs() == 0
    # Silent, but its process runs on this machine: on SQLite, whose apply holds back its
    # beats, it is spared; on PostgreSQL, where beats go through, it is gone (a process id
    # proves nothing across machines of the same name).
    import socket

    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=old, pid=os.getpid(), host=socket.gethostname()
    )
    job.refresh_from_db()
    if connection.vendor == "sqlite":
        assert not vanished(job) and end_vanished_import_jobs() == 0
        # Silent, on another machine: gone.
        ImportJob.objects.filter(pk=job.pk).update(host="elsewhere")
        job.refresh_from_db()
    assert vanished(job) and end_vanished_import_jobs() == 1


def test_an_apply_whose_worker_died_after_its_commit_is_recorded_as_applied(
    org: Any, owner: Any
) -> None:
    from equipage.audit.events import EventType
    from equipage.audit.record import record

    job = job_create(
        actor=as_actor(owner), organization=org, data=b"", filename="r.csv", mode="upsert"
    )
    old = clock.now() - timedelta(seconds=vanished_seconds() + 5)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, lock=True, heartbeat_at=old, host="elsewhere"
    )
    from django.db import transaction

    with transaction.atomic():  # what the apply's transaction writes last
        record(
            actor=as_actor(owner),
            organization=org,
            event=EventType.IMPORT_APPLIED,
            target=job,
            after={"added": 3, "updated": 0, "deactivated": 0, "mode": "upsert"},
        )
    assert end_vanished_import_jobs() == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED and job.lock is None and job.result["added"] == 3


def test_the_silence_allowed_is_the_operators_setting(org: Any, owner: Any, settings: Any) -> None:
    settings.EQUIPAGE_IMPORT_HEARTBEAT_TIMEOUT = 30
    job = job_create(
        actor=as_actor(owner), organization=org, data=b"", filename="r.csv", mode="upsert"
    )
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING,
        lock=True,
        host="elsewhere",
        heartbeat_at=clock.now() - timedelta(seconds=20),
    )
    assert end_vanished_import_jobs() == 0
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=clock.now() - timedelta(seconds=40))
    assert end_vanished_import_jobs() == 1
    settings.EQUIPAGE_IMPORT_HEARTBEAT_TIMEOUT = 1  # three missed beats at least
    assert vanished_seconds() == 15


def test_a_server_error_is_told_without_its_path_and_fails_the_task(
    org: Any, owner: Any, monkeypatch: Any
) -> None:
    from equipage.imports import jobs, storage

    job = job_create(
        actor=as_actor(owner),
        organization=org,
        data=csv_bytes([["", "Neuf", "Nina", "", "", "Activé"]]),
        filename="roster.csv",
        mode="upsert",
    )

    def no_disk(job: Any) -> Any:  # the worker's disk is full when it copies the file
        raise OSError(28, "No space left on device", "/srv/equipage/tmp/equipage-import-x.csv")

    monkeypatch.setattr(storage, "spooled_upload", no_disk)
    with pytest.raises(jobs.ImportFailed) as failed:
        jobs.run_preview(job.pk)
    job.refresh_from_db()
    message = job.preview["errors"][0]["message"]
    assert job.status == ImportStatus.FAILED and f"import #{job.pk}" in message
    assert "/srv" not in message and "/srv" not in str(failed.value)


def test_a_file_no_longer_kept_fails_its_job_in_plain_words(org: Any, owner: Any) -> None:
    from equipage.imports import jobs, storage

    job = job_create(
        actor=as_actor(owner), organization=org, data=b"x", filename="r.csv", mode="upsert"
    )
    storage.remove_parts(job.pk, storage.UPLOAD)
    with pytest.raises(jobs.ImportFailed):
        jobs.run_preview(job.pk)
    job.refresh_from_db()
    assert job.preview["errors"][0]["message"] == (
        "The uploaded file is no longer kept: upload it again."
    )
