"""``equipage worker`` and ``serve``'s embedded worker, supervised: real processes, real databases.

A stopping worker lets its task finish within the grace period, or hands it
back; a worker outlives a PostgreSQL restart; ``serve`` starts its killed
worker again. The attack in each case is what an operator's machine does to
a node: SIGTERM from systemd, a database restarted for an upgrade, a worker
killed by the OOM killer.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.deploy.servers import (
    PostgresServer,
    Process,
    child_pids,
    equipage_env,
    free_port,
    fresh_database,
    postgres_server,
    run_equipage,
    wait_until,
)

__all__ = ["fresh_database", "postgres_server"]  # fixtures


def enqueue(env: dict[str, str], marker: Path, seconds: float, query: bool = False) -> str:
    args = ["enqueue", str(marker), str(seconds), *(["query"] if query else [])]
    done = run_equipage(args, env, module="tests.cli.task_queue")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def task_status(env: dict[str, str], task_id: str) -> dict[str, object]:
    done = run_equipage(["status", task_id], env, module="tests.cli.task_queue")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def runs(marker: Path) -> list[str]:
    """What the task wrote: a "started" line per run, "finished" at its end."""
    return marker.read_text().split() if marker.exists() else []


def started(marker: Path) -> bool:
    return "started" in runs(marker)


def finished(marker: Path) -> bool:
    return runs(marker)[-1:] == ["finished"]


def test_sigterm_lets_the_running_task_finish_and_takes_no_new_one(
    fresh_database: dict[str, str], tmp_path: Path
) -> None:
    env = equipage_env({**fresh_database, "EQUIPAGE_WORKER_GRACE_SECONDS": "30"})
    first, second = tmp_path / "first", tmp_path / "second"
    first_id = enqueue(env, first, 120)  # runs until released
    worker = Process(["worker", "--interval", "0.2"], env, tmp_path / "worker.log")
    try:
        wait_until("the first task to start", lambda: started(first))
        second_id = enqueue(env, second, 0)
        worker.signal(signal.SIGTERM)  # as systemd stops a service
        worker.wait_for_log("taking no new task")
        time.sleep(1)
        assert worker.alive() and not finished(first)  # waiting for its task
        Path(str(first) + ".release").touch()  # the task ends within the grace period
        assert worker.wait(20) == 0
        log = worker.log()
        assert finished(first), log
        assert "taking no new task" in log
        assert task_status(env, first_id)["status"] == "SUCCESSFUL"
        # Queued behind it, the second task waits for another worker.
        assert not second.exists()
        assert task_status(env, second_id)["status"] == "READY"
    finally:
        worker.stop()


def test_a_task_still_running_when_the_grace_period_ends_is_handed_back(
    fresh_database: dict[str, str], tmp_path: Path
) -> None:
    env = equipage_env({**fresh_database, "EQUIPAGE_WORKER_GRACE_SECONDS": "1"})
    marker = tmp_path / "long"
    task_id = enqueue(env, marker, 120)
    worker = Process(["worker", "--interval", "0.2"], env, tmp_path / "worker.log")
    try:
        wait_until("the long task to start", lambda: started(marker))
        stopped_at = time.monotonic()
        worker.signal(signal.SIGTERM)
        assert worker.wait(15) == 0
        assert time.monotonic() - stopped_at < 15, "the worker waited past its grace period"
        assert "handed back to the queue" in worker.log()
        assert not finished(marker)
        status = task_status(env, task_id)
        assert status["status"] == "READY"
    finally:
        worker.stop()
    # Another worker picks it up and runs it to its end.
    Path(str(marker) + ".release").touch()
    other = Process(["worker", "--interval", "0.2"], env, tmp_path / "other.log")
    try:
        wait_until("the handed-back task to finish", lambda: finished(marker))
        status = wait_until(
            "the task to be recorded",
            lambda: (s := task_status(env, task_id))["status"] == "SUCCESSFUL" and s,
            timeout=15,
            every=0.5,
        )
        assert isinstance(status, dict) and len(status["worker_ids"]) == 2  # type: ignore[arg-type]
    finally:
        other.stop()


def test_serve_starts_its_worker_again_when_it_is_killed(
    fresh_database: dict[str, str], tmp_path: Path
) -> None:
    env = equipage_env(fresh_database)
    serve = Process(
        ["serve", "--port", str(free_port()), "--workers", "1"], env, tmp_path / "serve.log"
    )

    def embedded_workers() -> list[int]:
        return [
            pid
            for pid in child_pids(serve.pid)
            if b"--parent-pid" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]

    try:
        first = wait_until("the embedded worker", embedded_workers)
        assert len(first) == 1
        import os

        os.kill(first[0], signal.SIGKILL)  # as the OOM killer would
        serve.wait_for_log("starting it again")
        second = wait_until(
            "a new embedded worker", lambda: [p for p in embedded_workers() if p not in first]
        )
        assert len(second) == 1
        # The new worker works.
        marker = tmp_path / "after-restart"
        enqueue(env, marker, 0)
        wait_until("the new worker to run a task", lambda: finished(marker), timeout=30)
        serve.signal(signal.SIGTERM)
        # gunicorn gives its web processes up to 30 s (its graceful timeout) to end their
        # requests; a loaded CI machine once went past it: the bound is that plus the rest.
        assert serve.wait(60) == 0
        assert not Path(f"/proc/{second[0]}").exists(), "serve left its worker running"
    finally:
        serve.stop()


@pytest.mark.postgres_only
def test_a_worker_outlives_a_postgresql_restart_and_goes_on(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    env = equipage_env(
        {
            "EQUIPAGE_DATA_DIR": str(tmp_path / "data"),
            "DATABASE_URL": postgres_server.create_database("equipage"),
        }
    )
    before = tmp_path / "before"
    enqueue(env, before, 0)
    worker = Process(["worker", "--interval", "0.2"], env, tmp_path / "worker.log")
    try:
        wait_until("a first task", lambda: finished(before))
        # A task is running while the database goes away; it ends while the
        # database is still down, so its outcome waits to be recorded.
        across = tmp_path / "across"
        across_id = enqueue(env, across, 1.5)
        wait_until("the task across the restart to start", lambda: started(across))
        postgres_server.stop()
        time.sleep(3)
        postgres_server.start()
        worker.wait_for_log("database unavailable")
        worker.wait_for_log("database reachable again", timeout=40)
        assert worker.alive()
        after = tmp_path / "after"
        enqueue(env, after, 0)
        wait_until("a task queued after the restart", lambda: finished(after), timeout=30)
        status = task_status(env, across_id)
        # Done once, recorded once: not failed, not run again.
        assert status["status"] == "SUCCESSFUL", worker.log()
        assert len(status["worker_ids"]) == 1  # type: ignore[arg-type]

        # A task using the database when it goes away is handed back, then run again.
        querying = tmp_path / "querying"
        querying_id = enqueue(env, querying, 60, query=True)
        wait_until("the querying task to start", lambda: started(querying))
        postgres_server.restart(down_for=1)
        wait_until("the task to run again", lambda: runs(querying).count("started") == 2, 40)
        Path(str(querying) + ".release").touch()
        wait_until("the task run again to finish", lambda: finished(querying))
        assert "handed back to the queue" in worker.log()
        status = wait_until(
            "the task to be recorded",
            lambda: (s := task_status(env, querying_id))["status"] == "SUCCESSFUL" and s,
            timeout=15,
            every=0.5,
        )
        assert isinstance(status, dict) and len(status["worker_ids"]) == 2  # type: ignore[arg-type]
        assert runs(querying) == ["started", "started", "finished"]
    finally:
        worker.stop()


def test_a_grace_period_that_is_not_a_number_of_seconds_is_refused_clearly(
    tmp_path: Path,
) -> None:
    env = equipage_env(
        {"EQUIPAGE_DATA_DIR": str(tmp_path / "data"), "EQUIPAGE_WORKER_GRACE_SECONDS": "-5"}
    )
    done = run_equipage(["worker", "--once"], env)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "equipage: error: EQUIPAGE_WORKER_GRACE_SECONDS must be a number of seconds"
        " (0 or more), not '-5'."
    )
