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


class CacheEntry(models.Model):
    """A row of the shared cache (``equipage.core.cache.DatabaseCache``).

    Modelled rather than made by ``createcachetable`` so that the table exists on
    every database whatever ``CACHES`` said when it was migrated, and so that
    test flushes empty it.
    """

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "equipage_cache"

    def __str__(self) -> str:
        return self.cache_key
