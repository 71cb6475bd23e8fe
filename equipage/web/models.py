"""What the console remembers per member: the notices they dismissed."""

from __future__ import annotations

from django.db import models

from equipage.core.models import OrgScoped


class Notice(models.TextChoices):
    """Console notices a member may dismiss once; the settings page still shows them."""

    MAIL_UNCONFIGURED = "mail_unconfigured", "mail_unconfigured"


class NoticeDismissal(OrgScoped):
    """A member dismissed a notice: stored in the database, so every node knows it."""

    member = models.ForeignKey(
        "accounts.Member", on_delete=models.CASCADE, related_name="dismissed_notices"
    )
    notice = models.CharField(max_length=32, choices=Notice.choices)
    dismissed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "notice"], name="noticedismissal_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.notice}"
