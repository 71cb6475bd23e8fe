"""A member's authenticator, their recovery codes, and the organization's requirement."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

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


class Requirement(models.TextChoices):
    OFF = "off", _("Optional for everyone")
    ADMINS = "admins", _("Required for administrators (owner, admins, user admins)")
    EVERYONE = "everyone", _("Required for everyone")


class TwoFactorPolicy(models.Model):
    """Who in an organization must use a second factor, and from when.

    ``required_since`` is when the requirement last became stricter; a member
    concerned has ``grace_days`` from then (or from their account's creation,
    if later) to enrol before every page sends them to the enrolment page.
    """

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    requirement = models.CharField(max_length=10, choices=Requirement.choices, default="off")
    grace_days = models.PositiveSmallIntegerField(default=7)
    required_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"2FA policy of organization {self.organization_id}: {self.requirement}"
