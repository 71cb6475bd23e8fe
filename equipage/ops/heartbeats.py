"""Heartbeats: which processes are alive, and whether they all share one secret key.

Every worker writes its row on each housekeeping round (about every 30 s);
a web process writes its own when it answers ``/readyz``. A process that
stops cleanly removes its row, so a restart is not mistaken for a stale
peer; one that is killed ages out after ``LIVE_WINDOW``.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import os
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, connection, transaction

from equipage.core import clock
from equipage.core.housekeeping import periodic
from equipage.ops.models import Heartbeat, ProcessRole

log = logging.getLogger(__name__)

LIVE_WINDOW = dt.timedelta(minutes=2)
# Rows of processes gone for longer than this are deleted by the workers.
RETENTION = dt.timedelta(days=7)
# A web process rewrites its row at most this often, however often it is probed.
WEB_BEAT_EVERY = 15.0

_FINGERPRINT_LABEL = b"equipage.ops/secret-key-fingerprint/v1"
_STARTED_AT = clock.now()
_exit_hook_registered = False
_last_web_beat = 0.0
_lock = threading.Lock()


def key_fingerprint(secret_key: str | None = None) -> str:
    """Return an HMAC of a constant under the secret key: equal keys, equal prints.

    Only the database holds it, never a public answer: an HMAC of a known text
    would let anyone who reads it test guesses of a weak key offline.
    """
    key = (secret_key if secret_key is not None else settings.SECRET_KEY).encode()
    return hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:32]


def this_process() -> tuple[str, int]:
    return socket.gethostname()[:255], os.getpid()


def this_node() -> str:
    """Name the machine and data directory: the unit the key check counts."""
    return f"{socket.gethostname()}:{settings.DATA_DIR}"[:600]


def beat(role: ProcessRole) -> None:
    """Record that this process is alive now, with its key's fingerprint."""
    global _exit_hook_registered
    host, pid = this_process()
    now = clock.now()
    fields = {
        "node": this_node(),
        "key_fingerprint": key_fingerprint(),
        "last_seen": now,
    }
    with transaction.atomic():
        if not Heartbeat.objects.filter(host=host, pid=pid, role=role).update(**fields):
            Heartbeat.objects.create(
                host=host, pid=pid, role=role, started_at=_STARTED_AT, **fields
            )
    with _lock:
        if not _exit_hook_registered:
            atexit.register(_forget_at_exit, host, pid)
            _exit_hook_registered = True


def web_beat() -> None:
    """Beat for a web process, at most every ``WEB_BEAT_EVERY`` seconds, never waiting.

    On SQLite a long import holds the write lock for seconds: the probe must
    not wait for it, so the write gives up after a quarter of a second (an
    older row stays live for two minutes anyway).
    """
    global _last_web_beat
    if time.monotonic() - _last_web_beat < WEB_BEAT_EVERY:
        return
    sqlite = connection.vendor == "sqlite"
    try:
        if sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 250")
        beat(ProcessRole.WEB)
        _last_web_beat = time.monotonic()
    except OperationalError as exc:
        log.info("web heartbeat skipped: %s", exc)
    finally:
        if sqlite:
            timeout_ms = int(settings.DATABASES["default"].get("OPTIONS", {}).get("timeout", 5))
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {timeout_ms * 1000}")


def _forget_at_exit(host: str, pid: int) -> None:
    """Remove this process's row as it stops, giving up after 3 s (database gone)."""

    def forget() -> None:
        # The process is exiting: if the database is gone, the row ages out instead.
        with contextlib.suppress(Exception):
            Heartbeat.objects.filter(host=host, pid=pid).delete()

    thread = threading.Thread(target=forget, name="heartbeat-forget", daemon=True)
    thread.start()
    thread.join(3)


@periodic
def worker_heartbeat() -> None:
    """Tell ``/readyz`` on every node that a worker is alive; forget long-gone processes."""
    beat(ProcessRole.WORKER)
    Heartbeat.objects.filter(last_seen__lt=clock.now() - RETENTION).delete()


def last_worker_seen() -> dt.datetime | None:
    return (
        Heartbeat.objects.filter(role=ProcessRole.WORKER)
        .order_by("-last_seen")
        .values_list("last_seen", flat=True)
        .first()
    )


def live_workers() -> int:
    return Heartbeat.objects.filter(
        role=ProcessRole.WORKER, last_seen__gte=clock.now() - LIVE_WINDOW
    ).count()


@dataclass(frozen=True)
class KeyVerdict:
    """What the live processes say of this process's secret key."""

    agrees: bool
    nodes_with_this_key: int
    nodes_with_cluster_key: int


def key_verdict() -> KeyVerdict:
    """Compare this process's key with the key the live nodes use.

    The cluster's key is the one held by the most live nodes; on a tie, the
    one that has been running the longest. So a node started with a wrong
    key is the one reported, never the nodes already serving; and a cluster
    restarted with a new key (old processes gone or aged out) agrees again.
    """
    mine = key_fingerprint()
    since = clock.now() - LIVE_WINDOW
    nodes: dict[str, set[str]] = defaultdict(set)
    oldest: dict[str, dt.datetime] = {}
    rows = Heartbeat.objects.filter(last_seen__gte=since).values_list(
        "key_fingerprint", "node", "started_at"
    )
    for fingerprint, node, started_at in rows:
        nodes[fingerprint].add(node)
        oldest[fingerprint] = min(oldest.get(fingerprint, started_at), started_at)
    nodes[mine].add(this_node())
    oldest.setdefault(mine, _STARTED_AT)
    cluster = max(nodes, key=lambda fp: (len(nodes[fp]), -oldest[fp].timestamp()))
    return KeyVerdict(
        agrees=cluster == mine,
        nodes_with_this_key=len(nodes[mine]),
        nodes_with_cluster_key=len(nodes[cluster]),
    )
