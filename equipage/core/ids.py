"""Ids coming from outside (URLs, forms, API bodies): only numbers a row can have."""

from __future__ import annotations

from typing import Any

# The largest primary key either database can hold; a larger id names no row.
MAX_ID = 2**63 - 1


def parse_id(raw: Any) -> int | None:
    """Return ``raw`` as a row id, or ``None`` when it cannot name a row ("³", "-1", 2**64)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw or "").strip()
        if not text.isascii() or not text.isdecimal():
            return None
        value = int(text)
    return value if 1 <= value <= MAX_ID else None
