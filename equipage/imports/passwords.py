"""Hashing and checking the passwords a file gives, on every core at once."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

# Below this many, starting worker processes costs more than it saves.
POOL_THRESHOLD = 16


def _hash_many(passwords: Sequence[str]) -> list[str]:
    from django.contrib.auth.hashers import make_password

    return [make_password(p) for p in passwords]


def _check_many(pairs: Sequence[tuple[str, str]]) -> list[bool]:
    from django.contrib.auth.hashers import check_password

    return [bool(encoded) and check_password(p, encoded) for p, encoded in pairs]


def _chunks(items: Sequence[object], n: int) -> list[Sequence[object]]:
    size = max(1, -(-len(items) // n))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _workers() -> int:
    return max(1, min(os.cpu_count() or 1, 16))


def hash_passwords(passwords: Sequence[str]) -> list[str]:
    """Return the hashes of ``passwords`` (Argon2id in production), in parallel when many."""
    if len(passwords) < POOL_THRESHOLD or _workers() == 1:
        return _hash_many(passwords)
    out: list[str] = []
    with _pool() as pool:
        for part in pool.map(_hash_many, _chunks(list(passwords), _workers() * 4)):
            out.extend(part)
    return out


def check_passwords(pairs: Sequence[tuple[str, str]]) -> list[bool]:
    """Tell for each (password, stored hash) whether they match, in parallel when many."""
    if len(pairs) < POOL_THRESHOLD or _workers() == 1:
        return _check_many(pairs)
    out: list[bool] = []
    with _pool() as pool:
        for part in pool.map(_check_many, _chunks(list(pairs), _workers() * 4)):
            out.extend(part)
    return out


def _pool() -> ProcessPoolExecutor:
    import multiprocessing

    # "spawn": a forked child of a threaded server or worker may inherit held locks.
    # Children read the same settings through DJANGO_SETTINGS_MODULE in the environment.
    from django.conf import settings

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE or "")
    return ProcessPoolExecutor(
        max_workers=_workers(), mp_context=multiprocessing.get_context("spawn")
    )
