"""Heartbeats: worker liveness and the secret-key check that /readyz reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from equipage.ops import heartbeats
from equipage.ops.models import Heartbeat, ProcessRole

KEY_A = "key-a-" + "a" * 44
KEY_B = "key-b-" + "b" * 44


def peer(node: str, key: str, started: dt.datetime, seen: dt.datetime, pid: int) -> None:
    """A process of another node, as its own heartbeat would have written it."""
    Heartbeat.objects.create(
        host=f"host-{node}", pid=pid, node=node, role=ProcessRole.WORKER,
        key_fingerprint=heartbeats.key_fingerprint(key), started_at=started, last_seen=seen,
    )  # fmt: skip


def test_the_fingerprint_tells_keys_apart_without_holding_them() -> None:
    assert heartbeats.key_fingerprint(KEY_A) == heartbeats.key_fingerprint(KEY_A)
    assert heartbeats.key_fingerprint(KEY_A) != heartbeats.key_fingerprint(KEY_B)
    assert KEY_A not in heartbeats.key_fingerprint(KEY_A)
    assert len(heartbeats.key_fingerprint(KEY_A)) == 32


def test_the_key_most_live_nodes_hold_is_the_clusters(db: Any, settings: Any) -> None:
    now = heartbeats.clock.now()
    settings.SECRET_KEY = KEY_B
    # Three nodes on key A; this node and an older one on key B: the majority wins over age.
    for i in range(3):
        peer(f"a{i}", KEY_A, now, now, i)
    peer("b-old", KEY_B, now - dt.timedelta(hours=1), now, 10)
    verdict = heartbeats.key_verdict()
    assert not verdict.agrees
    assert (verdict.nodes_with_this_key, verdict.nodes_with_cluster_key) == (2, 3)


def test_a_tie_goes_to_the_key_in_use_the_longest(db: Any, settings: Any) -> None:
    now = heartbeats.clock.now()
    peer("old-node", KEY_A, now - dt.timedelta(days=3), now, 1)
    settings.SECRET_KEY = KEY_B  # this node: one against one, and newer
    assert not heartbeats.key_verdict().agrees
    settings.SECRET_KEY = KEY_A
    assert heartbeats.key_verdict().agrees


def test_after_a_key_change_the_old_keys_stale_rows_do_not_count(db: Any, settings: Any) -> None:
    now = heartbeats.clock.now()
    for i in range(3):  # the whole cluster on key A, stopped three minutes ago
        peer(f"node{i}", KEY_A, now - dt.timedelta(days=1), now - dt.timedelta(minutes=3), i)
    settings.SECRET_KEY = KEY_B
    peer("node1", KEY_B, now, now, 100)  # restarted with the new key
    assert heartbeats.key_verdict().agrees


def test_a_worker_round_beats_and_forgets_processes_gone_for_a_week(
    db: Any, frozen_clock: Any
) -> None:
    now = frozen_clock.now
    peer("gone", KEY_A, now - dt.timedelta(days=30), now - dt.timedelta(days=8), 7)
    peer("recent", KEY_A, now - dt.timedelta(days=30), now - dt.timedelta(days=6), 8)
    heartbeats.worker_heartbeat()
    assert set(Heartbeat.objects.values_list("node", flat=True)) == {
        "recent",
        heartbeats.this_node(),
    }
    assert heartbeats.live_workers() == 1
    assert heartbeats.last_worker_seen() == now
