"""What erasing a member cleans in import history (registered in ``accounts.erasure``).

- Reports (previews, results) are rewritten with the member's identifiers
  replaced by their pseudonym: counts and the other lines stay.
- The uploaded file of a finished import is dropped (a spreadsheet cannot be
  cleaned cell by cell; nothing reads it once the import ended).
- A preview waiting for confirmation that mentions them is cancelled, its
  file and reports removed, as an abandoned preview would be: applied later,
  it would bring the erased person back.
- An import being applied is left to finish; its job row is cleaned, and
  whatever it brings back is a new member.
"""

from __future__ import annotations

import json
import zlib

from equipage.core import clock
from equipage.core.erasure import Erasure, declare_link, scrub_matching, scrubber
from equipage.imports import storage
from equipage.imports.models import ImportChunk, ImportJob, ImportStatus

_FINISHED = (ImportStatus.APPLIED, ImportStatus.FAILED, ImportStatus.CANCELLED)
_WAITING = (ImportStatus.PREVIEWING, ImportStatus.PREVIEWED)


@scrubber
def scrub_import_history(erasure: Erasure) -> int:
    jobs = ImportJob.objects.filter(organization=erasure.organization)
    changed = scrub_matching(erasure, jobs, ["actor_label", "file_name", "preview", "result"])
    finished = list(jobs.filter(status__in=_FINISHED).values_list("pk", flat=True))
    ImportChunk.objects.filter(job_id__in=finished, part=storage.UPLOAD).delete()
    for job_id in jobs.filter(status__in=_WAITING).values_list("pk", flat=True):
        if _mentions(erasure, job_id):
            _cancel(job_id)
    reports = ImportChunk.objects.filter(job__organization=erasure.organization).exclude(
        part=storage.UPLOAD
    )
    encode = json.JSONEncoder(ensure_ascii=False).encode
    for chunk in reports.iterator(chunk_size=50):
        items = json.loads(zlib.decompress(chunk.data).decode("utf-8"))
        clean = erasure.scrub_json(items)
        if clean != items:
            data = zlib.compress(encode(clean).encode("utf-8"), 1)
            ImportChunk.objects.filter(pk=chunk.pk).update(data=data)
            changed += 1
    return changed


def _mentions(erasure: Erasure, job_id: int) -> bool:
    """Tell whether the job's file or reports quote one of the members (any text encoding
    a roster comes in; a spreadsheet's compressed cells are read as mentioning)."""
    pattern = [t.casefold() for t in erasure.strong_terms()]
    for part, data in ImportChunk.objects.filter(job_id=job_id).values_list("part", "data"):
        raw = bytes(data)
        if part != storage.UPLOAD:
            raw = zlib.decompress(raw)
        if raw[:2] == b"PK":  # xlsx: zipped, cannot be searched cheaply
            return True
        for encoding in ("utf-8", "utf-16", "cp1252"):
            text = raw.decode(encoding, errors="ignore").casefold()
            if any(t in text for t in pattern):
                return True
    return False


def _cancel(job_id: int) -> None:
    now = clock.now()
    if ImportJob.objects.filter(pk=job_id, status__in=_WAITING).update(
        status=ImportStatus.CANCELLED, finished_at=now, updated_at=now
    ):
        storage.remove_parts(job_id, storage.UPLOAD, "preview:")


declare_link("imports.ImportJob", "actor_member", "actor_label", owned=False)
