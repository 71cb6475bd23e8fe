"""Webhook endpoints of an organization and the deliveries queued for them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from equipage.core.models import OrgScoped


class WebhookEvent(models.TextChoices):
    MEMBER_CREATED = "member.created", _("Member created")
    MEMBER_INVITED = "member.invited", _("Member invited")
    MEMBER_ACTIVATED = "member.activated", _("Member activated")
    MEMBER_UPDATED = "member.updated", _("Member updated")
    MEMBER_DEACTIVATED = "member.deactivated", _("Member deactivated")
    MEMBER_REACTIVATED = "member.reactivated", _("Member reactivated")
    MEMBER_DELETED = "member.deleted", _("Member deleted")
    MEMBER_RESTORED = "member.restored", _("Member restored from the bin")
    INVITATION_EXPIRED = "invitation.expired", _("Invitation expired")
    # Membership changes (issue #19 point 2): one event per member and action, many events
    # per delivery (``equipage.webhooks.membership``).
    MEMBER_GROUPS_CHANGED = "member.groups_changed", _("Member joined or left groups")
    MEMBER_LABELS_CHANGED = (
        "member.labels_changed",
        _("Labels attached to or detached from a member"),
    )
    MEMBER_ROLES_CHANGED = "member.roles_changed", _("Member's roles changed")


class WebhookEndpoint(OrgScoped):
    """A URL of the organization's that receives signed JSON events it subscribed to."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True, default="")
    # The shared HMAC key: kept in clear because signing needs it (like Stripe's).
    secret = models.CharField(max_length=100)
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(OrgScoped):
    """One event for one endpoint: a row first, sent by the worker, retried with backoff."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=32, choices=WebhookEvent.choices)
    event_id = models.CharField(max_length=40, unique=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    # While sending: the holder's lease (renewed by its heartbeat) and proof of holding.
    lease_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, default="")
    response_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_endpoint_log"),
        ]
