"""Where ``equipage serve`` listens, so that links made by any process point at it."""

from __future__ import annotations

from django.db import models


class ListeningAddress(models.Model):
    """An address a ``serve`` of this database listened on; the latest started one wins.

    Kept in the database, not in the data directory, so that commands run on
    another machine of a PostgreSQL cluster see it too.
    """

    url = models.CharField(max_length=300, unique=True)
    started_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.url
