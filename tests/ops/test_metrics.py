"""/metrics: requests by URL pattern, imports observed, queues read from the database."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from equipage.ops import heartbeats
from equipage.ops.metrics import observe_import, render


def samples() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    body, _ = render()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def value(name: str, **labels: str) -> float:
    return samples().get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_by_url_pattern_never_by_raw_path(org: Any) -> None:
    route = "o/<slug:slug>/password/set/<str:token>/"
    before = value("equipage_http_requests_total", method="GET", route=route, status="410")
    assert Client().get("/o/acme/password/set/Secret-Token-abc123/").status_code == 410
    assert value("equipage_http_requests_total", method="GET", route=route, status="410") == (
        before + 1
    )
    body = render()[0].decode()
    assert "Secret-Token-abc123" not in body
    assert "/o/acme/" not in body


def test_unknown_paths_and_methods_fall_into_bounded_labels(db: Any) -> None:
    before = value(
        "equipage_http_requests_total", method="OTHER", route="<unmatched>", status="404"
    )
    Client().generic("BREW", "/coffee/pot-42")
    after = value("equipage_http_requests_total", method="OTHER", route="<unmatched>", status="404")
    assert after == before + 1
    assert "pot-42" not in render()[0].decode()


def test_request_latency_is_a_histogram_by_route(db: Any) -> None:
    before = value("equipage_http_request_duration_seconds_count", method="GET", route="healthz")
    Client().get("/healthz")
    after = value("equipage_http_request_duration_seconds_count", method="GET", route="healthz")
    assert after == before + 1
    assert (
        value(
            "equipage_http_request_duration_seconds_bucket",
            method="GET",
            route="healthz",
            le="+Inf",
        )
        == after
    )


def test_a_finished_import_feeds_the_rows_and_duration_histograms(db: Any) -> None:
    observe_import(rows=12_345, seconds=4.2, outcome="applied")
    observe_import(rows=80, seconds=0.3, outcome="applied")
    observe_import(rows=500, seconds=40, outcome="failed")
    assert value("equipage_import_rows_count", outcome="applied") == 2
    assert value("equipage_import_rows_sum", outcome="applied") == 12_425
    assert value("equipage_import_rows_bucket", outcome="applied", le="100.0") == 1
    assert value("equipage_import_rows_bucket", outcome="applied", le="50000.0") == 2
    assert value("equipage_import_rows_bucket", outcome="applied", le="+Inf") == 2
    assert value("equipage_import_duration_seconds_bucket", outcome="applied", le="5.0") == 2
    assert value("equipage_import_duration_seconds_bucket", outcome="failed", le="30.0") == 0
    assert value("equipage_import_duration_seconds_count", outcome="failed") == 1


def test_queue_gauges_count_what_waits_and_what_failed(org: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    from equipage.emails.models import OutboundEmail
    from equipage.webhooks.models import WebhookDelivery, WebhookEndpoint

    now = timezone.now()
    base_mails = value("equipage_mails_waiting")  # the owner's set-password mail is there
    for i, status in enumerate(["queued", "queued", "sending", "failed", "sent"]):
        OutboundEmail.objects.create(
            kind="notification", to=f"m{i}@acme.test", subject="s", body_text="b",
            message_id=f"<m{i}@test>", status=status, next_attempt_at=now, created_at=now,
        )  # fmt: skip
    endpoint = WebhookEndpoint.objects.create(
        organization=org, url="https://hooks.example/x", secret="k", created_at=now, updated_at=now
    )
    for i, status in enumerate(["queued", "failed", "failed", "delivered"]):
        WebhookDelivery.objects.create(
            organization=org, endpoint=endpoint, event="member.created", event_id=f"e{i}",
            payload={}, status=status, next_attempt_at=now, created_at=now,
        )  # fmt: skip
    DBTaskResult.objects.filter(status="READY").delete()
    heartbeats.worker_heartbeat()

    assert value("equipage_database_up") == 1
    assert value("equipage_mails_waiting") == base_mails + 3
    assert value("equipage_mails_failed") == 1
    assert value("equipage_webhook_deliveries_waiting") == 1
    assert value("equipage_webhook_deliveries_failed") == 2
    assert value("equipage_tasks", queue="imports", state="running") == 0
    assert value("equipage_import_jobs", status="running") == 0
    assert value("equipage_workers_alive") == 1
    assert 0 <= value("equipage_worker_heartbeat_age_seconds") < 60


SHARED_DIRECTORY = """
import os, sys
from equipage.ops.metrics import use_shared_directory
path = use_shared_directory()
print(path, flush=True)
child = os.fork()
if child == 0:
    sys.exit(0)  # a forked gunicorn worker exiting: the directory must stay
os.waitpid(child, 0)
print(os.path.isdir(path), flush=True)
"""


def test_a_server_makes_its_own_metrics_directory_and_removes_it_when_it_stops(
    tmp_path: Any,
) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    done = subprocess.run(
        [sys.executable, "-c", SHARED_DIRECTORY], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    path, still_there = done.stdout.split()
    assert still_there == "True"
    assert not Path(path).exists()
    given = tmp_path / "chosen"
    env["PROMETHEUS_MULTIPROC_DIR"] = str(given)
    done = subprocess.run(
        [sys.executable, "-c", SHARED_DIRECTORY], env=env, capture_output=True, text=True
    )
    assert done.stdout.split()[0] == str(given)
    assert given.is_dir()  # the operator's directory is theirs to keep
