"""The gauges ``/metrics`` reads from the database: outbox, webhooks, tasks, imports, workers."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Count
from django.tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from prometheus_client.core import GaugeMetricFamily

from equipage.core import clock
from equipage.emails.models import MailStatus, OutboundEmail
from equipage.imports.models import ImportJob, ImportStatus
from equipage.ops import heartbeats
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


def database_gauges() -> list[GaugeMetricFamily]:
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
