"""The organization (tenant) and its settings."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from equipage.organizations.policy import (
    SHARED_PASSWORD_VALIDITY_DAYS as SHARED_PASSWORD_VALIDITY_DAYS,
)
from equipage.organizations.policy import FirstPasswordPolicy

# A console session ends after this much inactivity (the organization chooses within the
# bounds); SESSION_COOKIE_AGE (12 h) stays the absolute limit. The default of 2 h suits a
# password-only login to a directory of personal data: long enough for a working session
# with pauses, short enough that a console left open on a shared computer closes the same
# morning; organizations with stricter needs go down to 30 min (NIST 800-63B AAL2).
SESSION_IDLE_MINUTES_DEFAULT = 120
SESSION_IDLE_MINUTES_MIN = 30
SESSION_IDLE_MINUTES_MAX = 12 * 60
# Password policy (issue #18.7, ASVS 6.2.1): each organization chooses its minimum length,
# never below 8; 12 unless it says otherwise. No composition rules, no forced rotation.
PASSWORD_MIN_LENGTH_DEFAULT = 12
PASSWORD_MIN_LENGTH_FLOOR = 8
PASSWORD_MIN_LENGTH_CEILING = 64


class Language(models.TextChoices):
    FR = "fr", "Français"
    EN = "en", "English"


class Feature(models.TextChoices):
    """Switches the platform operator turns on or off per organization (seed 000)."""

    IMPORT_EXPORT = "import_export", _("Import / export")
    SCIM = "scim", _("SCIM provisioning")
    API = "api", _("REST API")


DEFAULT_FEATURES = {Feature.IMPORT_EXPORT: True, Feature.SCIM: True, Feature.API: True}


def default_features() -> dict[str, bool]:
    return {str(k): v for k, v in DEFAULT_FEATURES.items()}


class Organization(models.Model):
    slug = models.SlugField(max_length=63, unique=True)
    name = models.CharField(max_length=200)
    seats = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Paid seats; empty means unlimited.")
    )
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.FR)
    invitation_lifetime_days = models.PositiveSmallIntegerField(default=7)
    daily_invitation_limit = models.PositiveIntegerField(default=1000)
    first_password_policy = models.CharField(
        max_length=10, choices=FirstPasswordPolicy.choices, default=FirstPasswordPolicy.LINK
    )
    # The shared policy's temporary password, chosen by the organization; empty under ``link``.
    temp_password_hash = models.CharField(max_length=256, blank=True)
    features = models.JSONField(default=default_features)
    members_can_edit_contact = models.BooleanField(default=False)
    deactivation_notice = models.BooleanField(default=False)
    session_idle_minutes = models.PositiveSmallIntegerField(default=SESSION_IDLE_MINUTES_DEFAULT)
    # SCIM (SPEC §9): a password sent by the identity provider is ignored unless this is on;
    # Okta sends a placeholder password on every create.
    scim_accept_passwords = models.BooleanField(default=False)
    password_min_length = models.PositiveSmallIntegerField(default=PASSWORD_MIN_LENGTH_DEFAULT)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def has_feature(self, feature: Feature | str) -> bool:
        return bool(self.features.get(str(feature), DEFAULT_FEATURES.get(Feature(feature), False)))


class MemberCount(models.Model):
    """How many active members an organization has, kept by the database itself.

    PostgreSQL: statement-level triggers on ``accounts_member`` (organizations
    0002) update it in the same transaction as every insert, update and delete,
    whatever wrote them (actions, imports, SCIM, raw SQL). It stands in for an
    (organization, state) index, which PostgreSQL must not have (directory
    0005). SQLite keeps that index and counts with it; the table stays empty.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    active = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.active} active"
