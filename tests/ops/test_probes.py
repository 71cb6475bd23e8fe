"""/healthz, /readyz and /metrics answered in-process, before any other middleware."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from equipage.ops import heartbeats


@pytest.fixture(autouse=True)
def _fresh_web_beat() -> Iterator[None]:
    heartbeats._last_web_beat = 0.0
    yield
    heartbeats._last_web_beat = 0.0


def test_healthz_answers_without_asking_the_database(
    db: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_probes_answer_whatever_host_the_prober_names(db: Any, settings: Any) -> None:
    # A kubelet probes the pod's own address: that Host is not an allowed one.
    settings.ALLOWED_HOSTS = ["members.example.com"]
    client = Client(HTTP_HOST="10.1.2.3:8000")
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/o/acme/login").status_code == 400  # the rest of the app still checks


def test_probes_pass_a_member_who_must_change_their_password(org: Any, member: Any) -> None:
    member.must_change_password = True
    member.save(update_fields=["must_change_password"])
    client = Client()
    client.force_login(member, backend="equipage.accounts.backends.MemberBackend")
    assert client.get("/o/acme/").status_code == 302  # the console sends them to change it
    assert client.get("/healthz").status_code == 200


def test_probes_refuse_writes(db: Any) -> None:
    assert Client().post("/readyz").status_code == 405


def test_readyz_is_unready_until_a_worker_beats(db: Any) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unready",
        "problems": ["no worker has been seen (start `equipage worker`, or `equipage serve`)"],
    }
    heartbeats.worker_heartbeat()
    response = Client().get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json() == {"status": "ready"}


def test_readyz_names_a_worker_silent_for_more_than_two_minutes(db: Any, frozen_clock: Any) -> None:
    heartbeats.worker_heartbeat()
    seen = frozen_clock.now
    frozen_clock.advance(seconds=119)
    assert Client().get("/readyz").json() == {"status": "ready"}
    frozen_clock.advance(seconds=2)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == [
        f"no worker seen since {seen.isoformat(timespec='seconds')}"
    ]


def test_readyz_counts_pending_migrations(db: Any) -> None:
    heartbeats.worker_heartbeat()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = %s AND name = %s",
            ["webhooks", "0001_initial"],
        )
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["1 migrations pending (run `equipage migrate`)"]


def test_readyz_names_a_node_whose_secret_key_differs(db: Any, settings: Any) -> None:
    # Another node, started earlier with the cluster's key, has a live worker.
    settings.DATA_DIR = "/srv/other-node"
    settings.SECRET_KEY = "the-cluster-key-" + "x" * 40
    heartbeats.worker_heartbeat()
    settings.DATA_DIR = "/srv/this-node"
    settings.SECRET_KEY = "a-wrong-key-" + "y" * 40
    response = Client().get("/readyz")
    assert response.status_code == 503
    (problem,) = response.json()["problems"]
    assert problem.startswith("EQUIPAGE_SECRET_KEY differs from the other nodes'")
    # The answer never carries the key, nor its fingerprint (an offline guessing oracle).
    body = response.content.decode()
    assert settings.SECRET_KEY not in body
    assert heartbeats.key_fingerprint() not in body
    assert heartbeats.key_fingerprint()[:8] not in body


def test_metrics_needs_the_bearer_token_when_one_is_set(db: Any, settings: Any) -> None:
    settings.EQUIPAGE_METRICS_TOKEN = "s3cret-metrics-token"
    assert Client().get("/metrics").status_code == 401
    wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-tokex")
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")
    basic = Client().get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-metrics-token")
    assert basic.status_code == 401
    right = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")
    assert right.status_code == 200
    assert right["Content-Type"].startswith("text/plain; version=")
    assert b"equipage_database_up 1.0" in right.content


def test_metrics_is_open_when_no_token_is_set(db: Any, settings: Any) -> None:
    settings.EQUIPAGE_METRICS_TOKEN = ""
    assert Client().get("/metrics").status_code == 200
