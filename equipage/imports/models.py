"""Import jobs: one row per uploaded roster, so only one import runs per organization."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from equipage.core.models import OrgScoped


class ImportMode(models.TextChoices):
    SYNC = "sync", _("Sync (members absent from the file are deactivated)")
    UPSERT = "upsert", _("Add and update only (nobody is deactivated)")


class ImportStatus(models.TextChoices):
    PREVIEWING = "previewing", _("Preview being prepared")
    PREVIEWED = "previewed", _("Preview ready")
    QUEUED = "queued", _("Waiting to be applied")
    RUNNING = "running", _("Being applied")
    APPLIED = "applied", _("Applied")
    FAILED = "failed", _("Not applied")
    CANCELLED = "cancelled", _("Cancelled")


# Statuses during which the organization's roster is being written by this job.
ACTIVE_STATUSES = (ImportStatus.QUEUED, ImportStatus.RUNNING)
# Statuses during which the job is at work (its preview or its apply): progress is polled.
WORKING_STATUSES = (ImportStatus.PREVIEWING, *ACTIVE_STATUSES)


class ImportJob(OrgScoped):
    """An import of one file: its preview, then (once confirmed) its apply.

    The conditional unique constraint is the lock: a second job cannot enter
    ``queued``/``running`` while one is there ("import in progress").
    """

    actor_member = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True, default="")
    # The API token that started the job, if one did: the worker acts as that token again,
    # and only while it is still valid (jobs.py).
    token = models.ForeignKey(
        "tokens.ApiToken", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file_name = models.CharField(max_length=255, blank=True, default="")
    # The uploaded file's size; its bytes are ``ImportChunk`` rows (part "upload").
    file_size = models.BigIntegerField(default=0)
    mode = models.CharField(max_length=8, choices=ImportMode.choices, default=ImportMode.SYNC)
    confirm_mass_deactivation = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=ImportStatus.choices, default=ImportStatus.PREVIEWING
    )
    # Only "running" or "queued" jobs hold the lock; this column makes the constraint simple.
    lock = models.BooleanField(null=True, default=None)
    pid = models.PositiveIntegerField(null=True, blank=True)
    host = models.CharField(max_length=255, blank=True, default="")
    # The work's progress and the heartbeat of the process doing it, written by a timer
    # on their own connection (the apply's transaction would hide them): any node's page
    # and API read them, and housekeeping ends a job whose heartbeat stopped.
    progress_phase = models.CharField(max_length=12, blank=True, default="")
    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Each report's counts and first lines (``jobs.summarised``); every line is in
    # ``ImportChunk`` rows, read a page at a time.
    preview = models.JSONField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(lock=True),
                name="one_running_import_per_org",
            ),
        ]

    def __str__(self) -> str:
        return f"import #{self.pk} ({self.status})"


class ImportChunk(models.Model):
    """A piece of a job's data kept in the database, so that every node reaches it.

    ``part`` names what it belongs to: ``upload`` (the file's bytes, about a
    megabyte a row), or ``<report>:<list>`` such as ``preview:changes`` (a JSON
    array of ``storage.ITEMS`` lines, UTF-8). ``seq`` orders the pieces; a
    report's item ``i`` is in piece ``i // ITEMS``, so a page is one or two rows.
    """

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks")
    part = models.CharField(max_length=24)
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "part", "seq"], name="one_import_chunk_per_seq"),
        ]

    def __str__(self) -> str:
        return f"import #{self.job_id} {self.part}[{self.seq}]"
