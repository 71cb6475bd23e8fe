"""Outbound mails (the outbox) and their delivery facts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MailKind(models.TextChoices):
    SET_PASSWORD = "set_password", _("Set your password")
    PASSWORD_RESET = "password_reset", _("Password reset")
    INVITATION = "invitation", _("Invitation")
    CREDENTIALS = "credentials", _("Credentials")
    NOTIFICATION = "notification", _("Account created")
    OWNERSHIP_TRANSFER = "ownership_transfer", _("Ownership transfer")
    DEACTIVATION_NOTICE = "deactivation_notice", _("Deactivation notice")
    # Verified e-mail changes (issue #18.3): the link to the new address, the notices.
    EMAIL_CHANGE_CONFIRM = "email_change_confirm", _("Confirm a new e-mail address")
    EMAIL_CHANGE_REQUESTED = "email_change_requested", _("E-mail change requested")
    EMAIL_IN_USE = "email_in_use", _("E-mail address already in use")
    EMAIL_CHANGED = "email_changed", _("E-mail address changed")
    INVITATION_REMINDER = "invitation_reminder", _("Invitation reminder")
    DORMANT_WARNING = "dormant_warning", _("Inactive account warning")


class MailStatus(models.TextChoices):
    """Where a mail of the outbox is: ``queued`` (waiting; ``attempts > 0`` after a failed try),
    ``sending`` (claimed under a lease), ``sent``. ``failed`` is never set: mail is retried
    until a server takes it."""

    QUEUED = "queued", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class DeliveryStatus(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    DELIVERED = "delivered", _("Delivered")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Complained")


class OutboundEmail(models.Model):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, null=True, related_name="+"
    )
    member = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    kind = models.CharField(max_length=24, choices=MailKind.choices)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True, default="")
    language = models.CharField(max_length=2, default="fr")
    message_id = models.CharField(max_length=255, unique=True)
    esp_message_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    status = models.CharField(max_length=8, choices=MailStatus.choices, default=MailStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    # While sending: the holder's lease (renewed by its heartbeat) and proof of holding.
    lease_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivery_status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, blank=True, default=""
    )
    delivery_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["member", "-created_at"], name="outbox_member"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to} ({self.status})"


class WebhookReceipt(models.Model):
    """A provider's webhook signature (or signed event id) already accepted once.

    Some providers sign only a timestamp and a token, not the body (Mailgun):
    without this record one captured signature would authenticate any body
    for as long as it is accepted. Rows expire when the signature would be
    refused anyway; housekeeping deletes them.
    """

    key = models.CharField(max_length=64, unique=True)  # SHA-256 of "<esp>:<signature>"
    body_sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key
