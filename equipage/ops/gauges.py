"""The gauges ``/metrics`` reads from the database: outbox, webhooks, tasks, imports, workers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

from equipage.core import clock
from equipage.emails.models import MailStatus, OutboundEmail
from equipage.imports.models import ImportJob, ImportStatus
from equipage.ops import heartbeats
from equipage.ops.models import ImportObservation
from equipage.webhooks.models import DeliveryStatus, WebhookDelivery


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _by_status(model: type, statuses: Iterable[str]) -> dict[str, int]:
    """Count the rows in each of ``statuses`` (an index on status serves it)."""
    wanted = list(statuses)
    counts = dict.fromkeys(wanted, 0)
    rows = model.objects.filter(status__in=wanted).values_list("status").annotate(n=Count("pk"))  # type: ignore[attr-defined]
    for status, n in rows.order_by():
        counts[status] = n
    return counts


IMPORT_ROWS_BUCKETS = (10, 100, 1_000, 10_000, 50_000, 100_000, 250_000, 1_000_000)
IMPORT_SECONDS_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


def import_histograms() -> list[HistogramMetricFamily]:
    """Rows and durations of finished imports, by outcome: one aggregate query each."""
    made = []
    for field, name, documentation, bounds in (
        ("rows", "equipage_import_rows", "Rows of finished imports.", IMPORT_ROWS_BUCKETS),
        (
            "seconds",
            "equipage_import_duration_seconds",
            "Duration of finished imports.",
            IMPORT_SECONDS_BUCKETS,
        ),
    ):
        family = HistogramMetricFamily(name, documentation, labels=["outcome"])
        aggregates: dict[str, Any] = {"n": Count("pk"), "total": Sum(field)}
        for i, bound in enumerate(bounds):
            aggregates[f"le{i}"] = Count("pk", filter=Q(**{f"{field}__lte": bound}))
        query = ImportObservation.objects.values("outcome").annotate(**aggregates)
        rows: list[dict[str, Any]] = [dict(row) for row in query.order_by("outcome")]
        for row in rows:
            buckets = [(floatToGoString(bound), row[f"le{i}"]) for i, bound in enumerate(bounds)]
            buckets.append(("+Inf", row["n"]))
            family.add_metric([row["outcome"]], buckets, sum_value=float(row["total"] or 0))
        made.append(family)
    return made


def database_gauges() -> list[GaugeMetricFamily | HistogramMetricFamily]:
    mails = _by_status(OutboundEmail, [MailStatus.QUEUED, MailStatus.SENDING, MailStatus.FAILED])
    hooks = _by_status(
        WebhookDelivery, [DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.FAILED]
    )
    tasks = GaugeMetricFamily(
        "equipage_tasks", "Background tasks queued or running, by queue.", labels=["queue", "state"]
    )
    task_counts = {
        (queue, state): 0
        for queue in settings.TASKS["default"].get("QUEUES", ["default"])
        for state in ("queued", "running")
    }
    states = {TaskResultStatus.READY: "queued", TaskResultStatus.RUNNING: "running"}
    rows = (
        DBTaskResult.objects.filter(status__in=list(states))
        .values_list("queue_name", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for queue, status, n in rows:
        task_counts[(queue, states[status])] = n
    for (queue, state), n in sorted(task_counts.items()):
        tasks.add_metric([queue, state], n)
    imports = GaugeMetricFamily(
        "equipage_import_jobs", "Import jobs, by status.", labels=["status"]
    )
    for status, n in sorted(_by_status(ImportJob, ImportStatus.values).items()):
        imports.add_metric([status], n)
    last = heartbeats.last_worker_seen()
    return [
        *import_histograms(),
        _gauge(
            "equipage_mails_waiting",
            "Mails in the outbox not sent yet (queued or being sent).",
            mails[MailStatus.QUEUED] + mails[MailStatus.SENDING],
        ),
        _gauge("equipage_mails_failed", "Mails given up on.", mails[MailStatus.FAILED]),
        _gauge(
            "equipage_webhook_deliveries_waiting",
            "Webhook deliveries not done yet (queued or being sent).",
            hooks[DeliveryStatus.QUEUED] + hooks[DeliveryStatus.SENDING],
        ),
        _gauge(
            "equipage_webhook_deliveries_failed",
            "Webhook deliveries given up on.",
            hooks[DeliveryStatus.FAILED],
        ),
        tasks,
        imports,
        _gauge(
            "equipage_workers_alive",
            "Workers that showed a sign of life in the last two minutes.",
            heartbeats.live_workers(),
        ),
        _gauge(
            "equipage_worker_heartbeat_age_seconds",
            "Seconds since the last sign of life of any worker (-1: none ever seen).",
            (clock.now() - last).total_seconds() if last else -1,
        ),
    ]
