"""A member's authenticator and their recovery codes (the organization's requirement is on
``organizations.Organization``: ``twofactor_requirement``, ``_grace_days``, ``_required_since``)."""

from __future__ import annotations

from django.db import models

from equipage.core.models import OrgScoped


class TotpDevice(OrgScoped):
    """A member's TOTP authenticator app; usable once ``confirmed_at`` is set.

    The shared secret is kept encrypted (``equipage.twofactor.sealing``), never
    in clear: no export, API or JSON dump of the row gives it away.
    ``last_step`` is the newest time step accepted, so a code is used once.
    """

    member = models.OneToOneField(
        "accounts.Member", on_delete=models.CASCADE, related_name="totp_device"
    )
    sealed_secret = models.TextField()
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"TOTP of member {self.member_id}"


class RecoveryCode(OrgScoped):
    """One single-use recovery code, stored as a keyed hash only."""

    member = models.ForeignKey(
        "accounts.Member", on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "code_hash"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"recovery code of member {self.member_id}"
