"""Outside ids: only numbers a row can have get through (a fuzzer found "³" and 2**64)."""

from __future__ import annotations

import pytest

from equipage.core.ids import MAX_ID, parse_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), (" 7 ", 7), (5, 5), (str(MAX_ID), MAX_ID)]
    + [(bad, None) for bad in ("³", "٣", "-1", "0", "", None, "1e3", str(MAX_ID + 1), True, -4)],
)
def test_parse_id_accepts_only_row_ids(raw: object, expected: int | None) -> None:
    assert parse_id(raw) == expected
