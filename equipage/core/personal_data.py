"""The registry of a member's own data (GDPR articles 15 and 20), and its JSON writer.

Each domain registers the part of a member's data it holds with
``@personal_data("name")`` when its AppConfig is ready (as housekeeping jobs
are registered), so ``core`` imports no domain and a new table joins the
export by registering its own section. A section returns a JSON-ready value:
a dict, or an iterable of dicts that is written item by item (read it with
``QuerySet.iterator()`` and a bound: the export is streamed, never built in
memory whole). A section never returns a secret: no password or token hash,
no TOTP secret, no link that still works.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

# Called with the member (``accounts.models.Member``; typed loosely: core imports no domain).
Section = Callable[[Any], Any]

SECTIONS: dict[str, Section] = {}

# Rows of any one list section at most: a member with a huge audit trail still gets a
# file of bounded size (the newest rows first; "truncated" says when rows were left out).
MAX_ROWS = 10_000
FORMAT_VERSION = 1


def personal_data(name: str) -> Callable[[Section], Section]:
    """Register ``fn(member)`` as the export's section ``name`` (one function per name)."""

    def register(fn: Section) -> Section:
        if name in SECTIONS and SECTIONS[name] is not fn:
            raise ValueError(f"personal data section {name!r} registered twice")
        SECTIONS[name] = fn
        return fn

    return register


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    return str(value)


def _dump(value: Any) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False)


def _is_rows(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping | list)


def stream_personal_data(member: Any, header: Mapping[str, Any]) -> Iterator[str]:
    """Yield the JSON document of ``member``'s data piece by piece: ``header`` then each section.

    Sections come in name order; a list section stops after ``MAX_ROWS`` rows
    and then says so under ``"truncated"``.
    """
    yield "{" + _dump("format") + ": " + _dump(FORMAT_VERSION)
    for key, value in header.items():
        yield ", " + _dump(key) + ": " + _dump(value)
    truncated: list[str] = []
    for name in sorted(SECTIONS):
        value = SECTIONS[name](member)
        yield ", " + _dump(name) + ": "
        if not _is_rows(value):
            yield _dump(value)
            continue
        yield "["
        for i, row in enumerate(value):
            if i >= MAX_ROWS:
                truncated.append(name)
                break
            yield ("" if i == 0 else ", ") + _dump(row)
        yield "]"
    yield ", " + _dump("truncated") + ": " + _dump(truncated) + "}\n"
