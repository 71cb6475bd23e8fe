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
        db_index=False,  # audit_actor_time leads with it
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
        # The audit page's keyset order, (created_at, id) newest first, after each filter it
        # offers (audit 0006): a page at any depth of a million events is one index range.
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="audit_org_time"),
            models.Index(fields=["member", "-created_at", "-id"], name="audit_member_time"),
            models.Index(
                fields=["organization", "event_type", "-created_at", "-id"], name="audit_org_type"
            ),
            models.Index(fields=["actor", "-created_at", "-id"], name="audit_actor_time"),
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


class SecurityTally(models.Model):
    """How often one noisy security event happened in one minute (equipage.audit.security).

    A flood of invalid tokens or refused actions writes one audit row per key and
    minute and counts the rest here, instead of a row each: the audit table grows
    with the number of distinct offenders, not with the number of requests. Rows
    older than an hour are deleted as new minutes start.
    """

    key = models.CharField(max_length=64)
    window = models.DateTimeField()
    event_type = models.CharField(max_length=48)
    # Address-keyed rows (no organization known) are capped per minute (see security.py).
    by_address = models.BooleanField(default=False)
    count = models.PositiveIntegerField(default=1)
    event = models.ForeignKey(
        AuditEvent, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="securitytally_key_window")
        ]
        indexes = [models.Index(fields=["window", "event_type"], name="securitytally_window")]

    def __str__(self) -> str:
        return f"{self.window:%H:%M} {self.event_type} ×{self.count}"
