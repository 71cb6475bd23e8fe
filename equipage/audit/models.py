"""Audit events are data: typed, scoped, with before/after snapshots."""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    # SET_NULL everywhere: the trail outlives the things it talks about.
    # organization and member are indexed by audit_org_time / audit_member_time (audit 0003).
    # No database constraint on these keys (audit 0004): the trail is written only by
    # record()/record_rows() with ids of rows the same transaction holds, and Django still
    # nulls the keys of a deleted member or organization (on_delete runs in Python). A
    # constraint only added one deferred check per key per event: 3 million checks at the
    # commit of a 1M-member import on PostgreSQL (about 9 s).
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    organization_slug = models.CharField(max_length=63, blank=True, default="")
    created_at = models.DateTimeField()
    # The registry (EventType) is enforced by record(); no DB choices, so a new event type
    # needs no migration.
    event_type = models.CharField(max_length=48, db_index=False)
    actor = models.ForeignKey(
        "accounts.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(max_length=200)
    target_type = models.CharField(max_length=40, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    target_label = models.CharField(max_length=300, blank=True, default="")
    member = models.ForeignKey(
        "accounts.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    origin = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="audit_org_time"),
            models.Index(fields=["member", "-created_at"], name="audit_member_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.event_type} {self.target_label}"

    def get_event_type_display(self) -> str:
        """Return the event's human label in the active language (the raw type if retired)."""
        from equipage.audit.events import EventType

        try:
            return str(EventType(self.event_type).label)
        except ValueError:
            return self.event_type
