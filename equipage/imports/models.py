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
    file_path = models.CharField(max_length=500, blank=True, default="")
    mode = models.CharField(max_length=8, choices=ImportMode.choices, default=ImportMode.SYNC)
    confirm_mass_deactivation = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=ImportStatus.choices, default=ImportStatus.PREVIEWING
    )
    # Only "running" or "queued" jobs hold the lock; this column makes the constraint simple.
    lock = models.BooleanField(null=True, default=None)
    pid = models.PositiveIntegerField(null=True, blank=True)
    host = models.CharField(max_length=255, blank=True, default="")
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
