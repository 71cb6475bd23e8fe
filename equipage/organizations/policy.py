"""The first-password policy's values, importable before Django's apps are ready (the CLI)."""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

SHARED_PASSWORD_VALIDITY_DAYS = 14


class FirstPasswordPolicy(TextChoices):
    """How an account created without a password gets its first one (SPEC §1)."""

    SHARED = "shared", _("Shared temporary password (first login only, within 14 days)")
    LINK = "link", _("Single-use set-password link by e-mail (recommended)")
