"""Prometheus metrics: requests counted in-process; queues and imports read at scrape time.

``equipage serve`` runs several gunicorn processes (and a worker beside
them): their counters must add up. prometheus-client's multiprocess mode
does that through files in ``PROMETHEUS_MULTIPROC_DIR``; ``wsgi.py`` calls
``use_shared_directory`` so that a server started without it gets a fresh
one, shared by the processes it forks and the worker it starts. Metrics are
created on first use, after that choice is made, in whatever order modules
were imported.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def use_shared_directory() -> str:
    """Make sure this server's processes share one metrics directory; return it.

    An operator's ``PROMETHEUS_MULTIPROC_DIR`` is used as given (they empty it
    at each start, as prometheus-client asks). Otherwise a new temporary one
    is made for this server, inherited by the processes it starts, and
    removed when the process that made it exits.
    """
    if given := os.environ.get(MULTIPROC_ENV):
        os.makedirs(given, exist_ok=True)
        return given
    path = tempfile.mkdtemp(prefix="equipage-metrics-")
    os.environ[MULTIPROC_ENV] = path
    creator = os.getpid()

    def remove() -> None:
        if os.getpid() == creator:  # not in the forked gunicorn workers
            shutil.rmtree(path, ignore_errors=True)

    atexit.register(remove)
    return path


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


@dataclass(frozen=True)
class _Metrics:
    requests: Counter
    request_seconds: Histogram


_LOCAL = CollectorRegistry(auto_describe=True)
_made: _Metrics | None = None
_lock = threading.Lock()


def _metrics() -> _Metrics:
    global _made
    with _lock:
        if _made is None:
            # prometheus-client picks its value store when first imported; the
            # directory may have been chosen since.
            values.ValueClass = values.get_value_class()
            registry = None if multiprocess() else _LOCAL
            _made = _Metrics(
                requests=Counter(
                    "equipage_http_requests",
                    "HTTP requests answered, by URL pattern (never the raw path) and status.",
                    ["method", "route", "status"],
                    registry=registry,
                ),
                request_seconds=Histogram(
                    "equipage_http_request_duration_seconds",
                    "Time to answer an HTTP request, by URL pattern.",
                    ["method", "route"],
                    registry=registry,
                ),
            )
        return _made


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    m = _metrics()
    m.requests.labels(method, route, str(status)).inc()
    m.request_seconds.labels(method, route).observe(seconds)


def observe_import(rows: int, seconds: float, outcome: str) -> None:
    """Record a finished import (its rows, its duration, how it ended: applied, failed, …).

    Written to the database, where every node's ``/metrics`` reads it: the
    worker that ran the import serves no metrics itself. A database that
    cannot take it costs the observation, never the import.
    """
    from django.db import DatabaseError, transaction

    from equipage.core import clock
    from equipage.ops.models import ImportObservation

    try:
        with transaction.atomic():  # a savepoint: a refused row never spoils the caller's work
            ImportObservation.objects.create(
                outcome=str(outcome)[:32],
                rows=max(int(rows), 0),
                seconds=max(seconds, 0.0),
                observed_at=clock.now(),
            )
    except DatabaseError:
        logging.getLogger(__name__).warning("import observation lost", exc_info=True)


class _LocalCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        _metrics()
        yield from _LOCAL.collect()


class DatabaseCollector(Collector):
    """Queue depths and worker liveness, read from the database at each scrape.

    Counted there, they are the same whichever node is scraped, and right
    whichever process wrote them.
    """

    def collect(self) -> Iterator[Metric]:
        from django.db import DatabaseError

        from equipage.ops.gauges import database_gauges

        up = GaugeMetricFamily("equipage_database_up", "1 when the database answered the scrape.")
        try:
            gauges = database_gauges()
        except DatabaseError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from gauges


def render() -> tuple[bytes, str]:
    """Return the exposition text of every metric and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess():
        MultiProcessCollector(registry)
    else:
        registry.register(_LocalCollector())
    registry.register(DatabaseCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST
