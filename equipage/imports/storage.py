"""A job's uploaded file and reports, kept in the database in pieces every node reaches.

Nothing an import needs lives on a node's disk: the file uploaded to one node
is previewed and applied by a worker on another, whose page and API read the
same rows. The file is written a megabyte at a time as it arrives, and copied
back, as it is read, to a temporary file of the worker's own while its task
runs (the spreadsheet readers want a seekable file; the copy is nobody else's
and goes when the task ends). Reports are written a thousand lines a row
(JSON, compressed) as they are made, and read a page at a time, so a million-line preview is never
held whole, neither by the worker that made it nor by the page that shows it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from equipage.core.errors import ValidationFailed
from equipage.imports.models import ImportChunk, ImportJob

UPLOAD = "upload"
FILE_CHUNK = 1 << 20  # bytes of the uploaded file per row
ITEMS = 1000  # report lines per row: a page of up to ITEMS lines reads one or two rows
PAGE_LIMIT = ITEMS


def report_part(report: str, name: str) -> str:
    """Return the ``part`` of a report's list: ``preview:changes``, ``result:errors``..."""
    return f"{report}:{name}"


# --- the uploaded file ---------------------------------------------------------------


class UploadMissing(Exception):
    """The job's file is no longer kept (applied, cancelled or tidied)."""


def store_upload(job: ImportJob, source: bytes | IO[bytes] | Any) -> int:
    """Write the uploaded file into the job's rows, a megabyte at a time; return its size.

    ``source`` is bytes, a binary file, or Django's ``UploadedFile`` (read by
    its ``chunks``, so a 200 MB upload is never held whole).
    """
    size = 0
    with transaction.atomic():
        ImportChunk.objects.filter(job=job, part=UPLOAD).delete()
        seq = 0
        for seq, block in enumerate(_blocks(source)):
            ImportChunk.objects.create(job=job, part=UPLOAD, seq=seq, data=block)
            size += len(block)
        if not size and not seq:  # an empty file is kept too: its preview says it is empty
            ImportChunk.objects.get_or_create(job=job, part=UPLOAD, seq=0, defaults={"data": b""})
    return size


def _blocks(source: bytes | IO[bytes] | Any) -> Iterator[bytes]:
    """Yield ``source``'s bytes in pieces of exactly ``FILE_CHUNK`` (the last one shorter)."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        for start in range(0, len(data), FILE_CHUNK):
            yield data[start : start + FILE_CHUNK]
        return
    pieces: Iterable[bytes]
    if hasattr(source, "chunks"):
        pieces = source.chunks(FILE_CHUNK)
    else:
        pieces = iter(lambda: source.read(FILE_CHUNK), b"")
    pending = bytearray()
    for piece in pieces:
        pending += piece
        while len(pending) >= FILE_CHUNK:
            yield bytes(pending[:FILE_CHUNK])
            del pending[:FILE_CHUNK]
    if pending:
        yield bytes(pending)


def upload_blocks(job_id: int) -> Iterator[bytes]:
    """Yield the uploaded file's pieces in order, one row read at a time.

    Raises ``UploadMissing`` when the job has no file any more.
    """
    seqs = list(
        ImportChunk.objects.filter(job_id=job_id, part=UPLOAD)
        .order_by("seq")
        .values_list("seq", flat=True)
    )
    if not seqs:
        raise UploadMissing(job_id)
    for seq in seqs:
        data = (
            ImportChunk.objects.filter(job_id=job_id, part=UPLOAD, seq=seq)
            .values_list("data", flat=True)
            .first()
        )
        if data is not None:
            yield bytes(data)


@contextlib.contextmanager
def spooled_upload(job: ImportJob) -> Iterator[Path]:
    """Copy the job's file to a temporary file of this process while the task runs.

    The copy is made a row at a time and removed when the block ends, however
    it ends. Raises ``UploadMissing`` when the job has no file any more.
    """
    name = job.file_name.lower()
    suffix = (
        ".ods"
        if name.endswith(".ods")
        else ".xlsx"
        if name.endswith((".xlsx", ".xlsm"))
        else ".csv"
    )
    fd, name = tempfile.mkstemp(prefix="equipage-import-", suffix=suffix)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            for block in upload_blocks(job.pk):
                out.write(block)
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


# --- reports -------------------------------------------------------------------------


def store_list(
    job_id: int,
    report: str,
    name: str,
    items: Iterable[Any],
    stored: Callable[[int], None] | None = None,
) -> int:
    """Write a report's list ``ITEMS`` lines a row as the items come; return how many.

    Each row is its own short write. The job's row is updated once all are
    written: until then nothing shows the list, and a job ended half-way has
    its rows removed (``remove_parts``). ``stored`` is told how many lines
    are written after each row (the job's progress).
    """
    part = report_part(report, name)
    ImportChunk.objects.filter(job_id=job_id, part=part).delete()
    encode = json.JSONEncoder(ensure_ascii=False).encode
    it = iter(items)
    count = 0
    seq = 0
    while True:
        batch = list(islice(it, ITEMS))
        if not batch:
            break
        # Compressed (fast level): a report's lines repeat their keys; a fifth of the bytes to write.
        data = zlib.compress(encode(batch).encode("utf-8"), 1)
        ImportChunk.objects.create(job_id=job_id, part=part, seq=seq, data=data)
        count += len(batch)
        seq += 1
        if stored is not None:
            stored(count)
        if len(batch) < ITEMS:
            break
    return count


def remove_parts(job_id: int, *prefixes: str) -> int:
    """Delete the job's rows whose part is one of, or starts with, ``prefixes`` ("preview:")."""
    removed = 0
    for prefix in prefixes:
        qs = ImportChunk.objects.filter(job_id=job_id)
        qs = qs.filter(part__startswith=prefix) if prefix.endswith(":") else qs.filter(part=prefix)
        removed += qs.delete()[0]
    return removed


def _chunk_items(job_id: int, part: str, seq: int) -> list[Any] | None:
    data = (
        ImportChunk.objects.filter(job_id=job_id, part=part, seq=seq)
        .values_list("data", flat=True)
        .first()
    )
    if data is None:
        return None
    items: list[Any] = json.loads(zlib.decompress(data).decode("utf-8"))
    return items


def read_page(job_id: int, report: str, name: str, start: int, limit: int) -> list[Any]:
    """Return up to ``limit`` lines of a report's list from line ``start`` (one or two rows)."""
    part = report_part(report, name)
    out: list[Any] = []
    seq, offset = divmod(start, ITEMS)
    while len(out) < limit:
        items = _chunk_items(job_id, part, seq)
        if not items:
            break
        out.extend(items[offset : offset + limit - len(out)])
        if len(items) < ITEMS:
            break
        seq, offset = seq + 1, 0
    return out


def iter_list(job_id: int, report: str, name: str) -> Iterator[Any]:
    """Yield every line of a report's list, one row held at a time (for the downloads)."""
    part = report_part(report, name)
    seqs = list(
        ImportChunk.objects.filter(job_id=job_id, part=part)
        .order_by("seq")
        .values_list("seq", flat=True)
    )
    for seq in seqs:
        yield from _chunk_items(job_id, part, seq) or ()


def has_list(job_id: int, report: str, name: str) -> bool:
    return ImportChunk.objects.filter(job_id=job_id, part=report_part(report, name)).exists()


# --- cursors -------------------------------------------------------------------------


def make_cursor(position: int) -> str:
    """Return the opaque cursor of a list's line ``position``."""
    return base64.urlsafe_b64encode(f"i{position}".encode()).decode().rstrip("=")


def read_cursor(cursor: str | None) -> int:
    """Return the position a cursor stands for (0 without one); a bad cursor is a 400."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        if not text.startswith("i") or not text[1:].isdigit():
            raise ValueError(text)
        return int(text[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed(_("This cursor is not valid."), field="cursor") from None
