"""Two real ``equipage serve`` nodes on one database: probes, metrics and logs as deployed.

Node A runs two gunicorn processes with a metrics token and JSON logs; node
B starts later with another secret key. On PostgreSQL each node has its own
data directory; on SQLite they share one (one database file).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.ops.live import (
    Node,
    clean_env,
    drop_postgres_database,
    fresh_postgres_database,
    postgres_under_test,
)

TOKEN = "metrics-token-for-the-test"
PUBLIC_HOST = {"Host": "members.example.com"}


@dataclass
class Cluster:
    a: Node
    b: Node
    database_url: str | None
    data_a: Path


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: Any) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("nodes")
    with ExitStack() as stack:
        database_url = None
        common: dict[str, str] = {"EQUIPAGE_ALLOWED_HOSTS": "members.example.com"}
        if postgres_under_test():
            database_url = stack.enter_context(fresh_postgres_database("h7nodes"))
            common["DATABASE_URL"] = database_url
        data_a = root / "a"
        data_b = root / "b" if database_url else data_a
        a = Node(
            clean_env(
                EQUIPAGE_DATA_DIR=str(data_a),
                EQUIPAGE_SECRET_KEY="cluster-key-" + "a" * 40,
                EQUIPAGE_METRICS_TOKEN=TOKEN,
                EQUIPAGE_LOG_FORMAT="json",
                **common,
            ),
            root / "a.log",
            workers=2,
        )
        stack.callback(a.stop)
        a.wait_for("/readyz", 200)
        b = Node(
            clean_env(
                EQUIPAGE_DATA_DIR=str(data_b),
                EQUIPAGE_SECRET_KEY="another-key-" + "b" * 40,
                **common,
            ),
            root / "b.log",
        )
        stack.callback(b.stop)
        b.wait_for("/healthz", 200)
        yield Cluster(a, b, database_url, data_a)


def scrape(node: Node) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = node.get("/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert response.status == 200, response.body
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.body.decode())
        for s in family.samples
    }


LOGIN_404 = (
    "equipage_http_requests_total",
    (("method", "GET"), ("route", "o/<slug:slug>/login"), ("status", "404")),
)


def json_lines(node: Node) -> list[dict[str, Any]]:
    found = []
    for line in node.output().splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def test_request_counts_add_up_across_the_gunicorn_processes_of_a_node(cluster: Cluster) -> None:
    before = scrape(cluster.a).get(LOGIN_404, 0.0)
    sent = 0
    pids: set[int] = set()
    while sent < 200 and (sent < 40 or len(pids) < 2):
        for _ in range(20):
            rid = f"count-{sent}"
            response = cluster.a.get("/o/nobody-here/login", {**PUBLIC_HOST, "X-Request-ID": rid})
            assert response.status == 404
            assert response.headers["X-Request-ID"] == rid
            sent += 1
        lines = [x for x in json_lines(cluster.a) if x.get("request_id", "").startswith("count-")]
        pids = {x["pid"] for x in lines}
    assert len(pids) >= 2, "every request went to one gunicorn process"
    # Whichever process answers the scrape, it counts the requests of all of them.
    for _ in range(6):
        assert scrape(cluster.a)[LOGIN_404] == before + sent


def test_each_request_is_one_json_line_naming_its_route_not_its_path(cluster: Cluster) -> None:
    cluster.a.get("/o/nobody-here/login", {**PUBLIC_HOST, "X-Request-ID": "one-line-42"})
    (line,) = [x for x in json_lines(cluster.a) if x.get("request_id") == "one-line-42"]
    assert line["route"] == "o/<slug:slug>/login"
    assert line["status"] == 404
    assert line["logger"] == "equipage.request"
    assert "nobody-here" not in json.dumps(line)


def test_metrics_of_a_node_need_its_token(cluster: Cluster) -> None:
    assert cluster.a.get("/metrics").status == 401
    assert cluster.a.get("/metrics", {"Authorization": "Bearer nope"}).status == 401
    gauges = scrape(cluster.a)
    assert gauges[("equipage_database_up", ())] == 1
    assert gauges[("equipage_workers_alive", ())] >= 1


def test_probes_answer_the_address_a_kubelet_uses_as_host(cluster: Cluster) -> None:
    pod = {"Host": "10.20.30.40:8000"}  # only a header: nothing is sent there
    assert cluster.a.get("/healthz", pod).status == 200
    assert cluster.a.get("/readyz", pod).status == 200
    assert cluster.a.get("/o/nobody-here/login", pod).status == 400


def test_a_node_started_with_another_secret_key_is_unready_and_the_others_stay_ready(
    cluster: Cluster,
) -> None:
    response = cluster.b.wait_for("/readyz", 503)
    (problem,) = response.json()["problems"]
    assert problem.startswith("EQUIPAGE_SECRET_KEY differs from the other nodes'")
    assert cluster.a.get("/readyz").status == 200
    assert cluster.b.get("/healthz").status == 200  # alive, just not to be sent traffic


def test_a_node_whose_database_is_gone_is_alive_but_unready(cluster: Cluster) -> None:
    """Runs last: it takes the database away from the nodes."""
    if cluster.database_url:
        url = postgres_under_test()
        assert url
        drop_postgres_database(url, cluster.database_url.rsplit("/", 1)[1])
    else:
        # Open connections keep the unlinked file; each request's new connection cannot open it.
        database = cluster.data_a / "equipage.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        database.mkdir()
    response = cluster.a.wait_for("/readyz", 503)
    (problem,) = response.json()["problems"]
    assert problem.startswith("the database does not answer (")
    assert cluster.a.get("/healthz").status == 200
    assert scrape(cluster.a)[("equipage_database_up", ())] == 0
