"""An organization's OpenID provider and the links from its subjects to members."""

from __future__ import annotations

from django.db import models

from equipage.core.models import OrgScoped


class OidcProvider(OrgScoped):
    """The one OpenID Connect provider an organization signs in with.

    The client secret is stored encrypted (``equipage.sso.secrets``) and never
    read back to anyone; the endpoints come from the issuer's discovery
    document, fetched and checked when the configuration is saved.
    """

    display_name = models.CharField(max_length=80)
    issuer = models.CharField(max_length=500)
    client_id = models.CharField(max_length=255)
    client_secret_encrypted = models.TextField()
    authorization_endpoint = models.CharField(max_length=500)
    token_endpoint = models.CharField(max_length=500)
    jwks_uri = models.CharField(max_length=500)
    userinfo_endpoint = models.CharField(max_length=500, blank=True, default="")
    signing_algorithms = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    # Match a member whose SCIM externalId equals the provider's subject (Okta, Entra ID).
    match_external_id = models.BooleanField(default=False)
    # Create an unknown, verified person as a member at their first login (off by default).
    jit_create = models.BooleanField(default=False)
    # Refuse password logins to everyone but the owner (the break-glass account).
    require_sso = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="sso_one_provider_per_org")
        ]

    def __str__(self) -> str:
        return self.display_name


class SsoLink(OrgScoped):
    """A member known to the provider as ``subject`` at ``issuer``: matched first, ever after."""

    member = models.ForeignKey(
        "accounts.Member", on_delete=models.CASCADE, related_name="sso_links"
    )
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField()
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "issuer", "subject"], name="sso_link_subject_unique"
            ),
            models.UniqueConstraint(fields=["member", "issuer"], name="sso_link_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject}"
