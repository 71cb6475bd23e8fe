"""API tokens: only a SHA-256 of the secret is kept; the raw token is shown once."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from equipage.core.models import OrgScoped


class Scope(models.TextChoices):
    SCIM = "scim", _("SCIM provisioning")
    API_READ = "api:read", _("API: read")
    API_WRITE = "api:write", _("API: read and write")


class RevokedReason(models.TextChoices):
    """Why a token was revoked: by hand, or because its creator could no longer make it."""

    MANUAL = "manual", _("Revoked by an administrator")
    CREATOR_DEACTIVATED = "creator_deactivated", _("Its creator was deactivated")
    CREATOR_DEMOTED = "creator_demoted", _("Its creator no longer manages tokens")
    CREATOR_DELETED = "creator_deleted", _("Its creator was deleted")


class ApiToken(OrgScoped):
    """A named bearer token of one organization, acting as an audited, bounded actor."""

    name = models.CharField(_("name"), max_length=100)
    scopes = models.JSONField(default=list)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)
    # Null for tokens an operator made from the CLI: they act for the current owner.
    created_by = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by_label = models.CharField(max_length=200, blank=True, default="")
    operator_issued = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(
        max_length=24, choices=RevokedReason.choices, blank=True, default=""
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "created_at"], name="apitoken_org")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def has_scope(self, scope: str) -> bool:
        """Tell whether the token carries ``scope``; ``api:write`` implies ``api:read``."""
        held = set(self.scopes)
        if Scope.API_WRITE in held:
            held.add(Scope.API_READ)
        return scope in held
