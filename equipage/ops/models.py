"""Signs of life of the running processes, shared by every node through the database."""

from __future__ import annotations

from django.db import models


class ProcessRole(models.TextChoices):
    WORKER = "worker", "worker"
    WEB = "web", "web"


class Heartbeat(models.Model):
    """One running process (a worker, or a web process answering ``/readyz``).

    ``node`` names the machine and data directory the process runs from, so
    that the secret-key check counts machines, not processes. ``key_fingerprint``
    is an HMAC of a constant under the process's ``SECRET_KEY``: it tells
    whether two processes share a key without revealing it.
    """

    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    node = models.CharField(max_length=600)
    role = models.CharField(max_length=8, choices=ProcessRole.choices)
    key_fingerprint = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["host", "pid", "role"], name="one_heartbeat_per_process"
            )
        ]
        indexes = [models.Index(fields=["last_seen"], name="heartbeat_last_seen")]

    def __str__(self) -> str:
        return f"{self.role} {self.host}:{self.pid}"


class ImportObservation(models.Model):
    """One finished import, for the ``/metrics`` histograms of import rows and durations.

    Kept in the database rather than in the observing process: imports run
    in workers, which serve no ``/metrics`` of their own, often on machines
    without a web node. Rows are never deleted (the histograms only grow).
    """

    outcome = models.CharField(max_length=32)
    rows = models.PositiveBigIntegerField()
    seconds = models.FloatField()
    observed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"import {self.outcome}: {self.rows} rows in {self.seconds:.1f} s"
