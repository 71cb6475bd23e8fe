"""What ``/readyz`` checks: the database, the schema, a live worker, a shared secret key."""

from __future__ import annotations

import functools
import logging

from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from equipage.core import clock
from equipage.ops import heartbeats

log = logging.getLogger(__name__)


@functools.cache
def _known_migrations() -> frozenset[tuple[str, str]]:
    """Return the migrations on disk, read once: they do not change while a process runs."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.nodes)


def pending_migrations() -> set[tuple[str, str]]:
    applied = MigrationRecorder(connection).applied_migrations()
    return set(_known_migrations()) - set(applied)


def problems() -> list[str]:
    """Return what keeps this node from serving, in words an operator acts on (empty: ready)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        pending = pending_migrations()
    except DatabaseError as exc:
        log.warning("readiness: the database does not answer: %s", exc)
        return [f"the database does not answer ({type(exc).__name__})"]
    found = []
    if pending:
        found.append(f"{len(pending)} migrations pending (run `equipage migrate`)")
    if any(app == "ops" for app, _name in pending):
        return found  # no heartbeat table yet: nothing more can be told
    try:
        heartbeats.web_beat()
        found.extend(_worker_problems())
        found.extend(_key_problems())
    except DatabaseError as exc:
        log.warning("readiness: heartbeats unreadable: %s", exc)
        found.append(f"the database does not answer ({type(exc).__name__})")
    return found


def _worker_problems() -> list[str]:
    last = heartbeats.last_worker_seen()
    if last is None:
        return ["no worker has been seen (start `equipage worker`, or `equipage serve`)"]
    if last < clock.now() - heartbeats.LIVE_WINDOW:
        return [f"no worker seen since {last.isoformat(timespec='seconds')}"]
    return []


def _key_problems() -> list[str]:
    verdict = heartbeats.key_verdict()
    if verdict.agrees:
        return []
    return [
        "EQUIPAGE_SECRET_KEY differs from the other nodes' "
        f"({verdict.nodes_with_cluster_key} live node(s) share another key, "
        f"{verdict.nodes_with_this_key} this one): "
        "sessions and links made on one are refused on the other"
    ]
