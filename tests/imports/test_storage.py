"""A job's file and reports kept in the database, written and read a piece at a time."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from equipage.core import clock
from equipage.core.errors import ValidationFailed
from equipage.imports import storage
from equipage.imports.models import ImportChunk, ImportJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(org: Any) -> ImportJob:
    return ImportJob.objects.create(
        organization=org, file_name="roster.xlsx", created_at=clock.now(), updated_at=clock.now()
    )


def test_an_upload_is_kept_in_megabyte_rows_and_copied_back_whole_to_a_passing_file(
    job: ImportJob,
) -> None:
    data = os.urandom(storage.FILE_CHUNK * 2 + 12345)
    # A file read in odd pieces (as an upload arrives) still makes full one-megabyte rows.
    source = io.BufferedReader(io.BytesIO(data), buffer_size=7777)  # type: ignore[arg-type]
    assert storage.store_upload(job, source) == len(data)
    sizes = [
        len(bytes(b))
        for b in ImportChunk.objects.filter(job=job).order_by("seq").values_list("data", flat=True)
    ]
    assert sizes == [storage.FILE_CHUNK, storage.FILE_CHUNK, 12345]
    with storage.spooled_upload(job) as path:
        assert path.suffix == ".xlsx" and path.read_bytes() == data
        kept = Path(path)
    assert not kept.exists()  # the worker's copy goes with its task


def test_a_file_no_longer_kept_is_said_so_without_any_path(job: ImportJob) -> None:
    storage.store_upload(job, b"Nom;Prenom\r\n")
    storage.remove_parts(job.pk, storage.UPLOAD)
    with pytest.raises(storage.UploadMissing), storage.spooled_upload(job):
        pass


def test_an_empty_file_is_kept_as_empty(job: ImportJob) -> None:
    assert storage.store_upload(job, b"") == 0
    with storage.spooled_upload(job) as path:
        assert path.read_bytes() == b""


def test_a_page_reads_one_or_two_rows_whatever_the_list_size(job: ImportJob) -> None:
    n = storage.ITEMS * 3 + 7
    told: list[int] = []  # the job's progress (and heartbeat) go on while a big list is stored
    items = ({"i": i} for i in range(n))
    assert storage.store_list(job.pk, "preview", "changes", items, told.append) == n
    assert told == [1000, 2000, 3000, n]
    assert ImportChunk.objects.filter(job=job, part="preview:changes").count() == 4
    start = storage.ITEMS - 5  # across the first and second rows
    with CaptureQueriesContext(connection) as queries:
        page = storage.read_page(job.pk, "preview", "changes", start, 10)
    assert [item["i"] for item in page] == list(range(start, start + 10))
    assert len(queries) == 2
    tail = storage.read_page(job.pk, "preview", "changes", n - 3, 100)
    assert [item["i"] for item in tail] == [n - 3, n - 2, n - 1]
    assert storage.read_page(job.pk, "preview", "changes", n, 100) == []
    assert [item["i"] for item in storage.iter_list(job.pk, "preview", "changes")] == list(range(n))


def test_cursors_are_opaque_and_a_forged_one_is_refused() -> None:
    cursor = storage.make_cursor(1234)
    assert "1234" not in cursor and storage.read_cursor(cursor) == 1234
    assert storage.read_cursor(None) == 0
    for forged in ("nope!", "aS01", storage.make_cursor(5)[:-1] + "*", "LTE"):
        with pytest.raises(ValidationFailed):
            storage.read_cursor(forged)
