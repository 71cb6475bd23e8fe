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


# Deletion, the bin and erasure. A deleted member stays 30 days in the bin (Google
# Workspace keeps 20); the audit trail a year (long enough for a yearly review, CNIL's
# usual guidance for logs is 6 months to a year); sent mail 90 days (enough to answer
# "did they get the invitation?"); webhook delivery logs 30 days (for debugging a
# receiver); finished imports' history 90 days. Each is chosen per organization within
# these bounds.
BIN_DAYS_DEFAULT = 30
BIN_DAYS_MIN, BIN_DAYS_MAX = 1, 365
AUDIT_RETENTION_DAYS_DEFAULT = 365
MAIL_RETENTION_DAYS_DEFAULT = 90
WEBHOOK_LOG_RETENTION_DAYS_DEFAULT = 30
IMPORT_RETENTION_DAYS_DEFAULT = 90
RETENTION_DAYS_MIN, RETENTION_DAYS_MAX = 1, 3650


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


class TwoFactorRequirement(models.TextChoices):
    """Who in an organization must use a second factor (equipage/twofactor/, #18.5)."""

    OFF = "off", _("Optional for everyone")
    ADMINS = "admins", _("Required for administrators (owner, admins, user admins)")
    EVERYONE = "everyone", _("Required for everyone")


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
    # Deletion, the bin and erasure (accounts.bin, accounts.erasure, organizations.retention):
    # how long a deleted member stays restorable, and how long each kind of history is kept.
    bin_days = models.PositiveSmallIntegerField(default=BIN_DAYS_DEFAULT)
    audit_retention_days = models.PositiveIntegerField(default=AUDIT_RETENTION_DAYS_DEFAULT)
    mail_retention_days = models.PositiveIntegerField(default=MAIL_RETENTION_DAYS_DEFAULT)
    webhook_log_retention_days = models.PositiveIntegerField(
        default=WEBHOOK_LOG_RETENTION_DAYS_DEFAULT
    )
    import_retention_days = models.PositiveIntegerField(default=IMPORT_RETENTION_DAYS_DEFAULT)
    password_min_length = models.PositiveSmallIntegerField(default=PASSWORD_MIN_LENGTH_DEFAULT)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Two-factor authentication (#18.5, equipage/twofactor/): on the organization, so that
    # the middleware checking every page reads them with the member (no query of its own).
    # A member concerned has ``twofactor_grace_days`` from ``twofactor_required_since`` (when
    # the requirement last became stricter), or from their account's creation if later.
    twofactor_requirement = models.CharField(
        max_length=10, choices=TwoFactorRequirement.choices, default=TwoFactorRequirement.OFF
    )
    twofactor_grace_days = models.PositiveSmallIntegerField(default=7)
    twofactor_required_since = models.DateTimeField(null=True, blank=True)

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


# Lifecycle policies (issue #19.5) ------------------------------------------------------------

DORMANT_AFTER_DAYS_DEFAULT = 180
DORMANT_WARNING_DAYS_DEFAULT = 7
REMINDER_DAYS_DEFAULT = (2, 5)


def default_reminder_days() -> list[int]:
    return list(REMINDER_DAYS_DEFAULT)


class LifecyclePolicy(models.Model):
    """An organization's lifecycle policies, all off until its owner or an admin turns them on.

    A model of its own rather than more columns on ``Organization``: the
    housekeeping jobs read only the few organizations that have one turned on.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, primary_key=True, related_name="lifecycle"
    )
    # Dormant accounts (GitLab's "dormant users"): deactivated after this many days without
    # a login, counted from the activation for members who never logged in.
    dormant_enabled = models.BooleanField(default=False)
    dormant_after_days = models.PositiveSmallIntegerField(default=DORMANT_AFTER_DAYS_DEFAULT)
    dormant_warning_days = models.PositiveSmallIntegerField(default=DORMANT_WARNING_DAYS_DEFAULT)
    # Invitation reminders: one mail this many days after the invitation, for each number.
    reminders_enabled = models.BooleanField(default=False)
    reminder_days = models.JSONField(default=default_reminder_days)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"lifecycle of {self.organization_id}"


class DormancyWarning(models.Model):
    """The one warning mail a dormant member got for one period without login.

    ``since`` is the login (or activation) the dormancy counts from: a login
    starts a new period, and the unique constraint makes the warning of a
    period a single row whatever number of workers run housekeeping at once.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    member = models.ForeignKey(
        "accounts.Member", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    since = models.DateTimeField()
    warned_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "since"], name="dormancywarning_once")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} warned {self.warned_at:%Y-%m-%d}"
