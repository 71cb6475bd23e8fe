"""Abstract base models."""

from __future__ import annotations

from django.db import models


class OrgScoped(models.Model):
    """A row that belongs to exactly one organization; every query filters on it."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        abstract = True
