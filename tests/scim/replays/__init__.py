"""Replays of the SCIM requests identity providers publish, and the runner that plays them.

Each IdP module holds sequences of ``Step``: our own transcription of the
request bodies its public documentation shows (sources named in the module),
in the order the IdP sends them. A step's path and body may name values an
earlier step saved (``{user}``); the runner substitutes them, sends the
request through a ``Send`` function (Django's test client or real HTTP to
``equipage serve``) and checks the status and the named response values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

# (method, path under /scim/v2, JSON body or None, extra headers) -> (status, parsed JSON or None)
Send = Callable[[str, str, Any, dict[str, str]], tuple[int, Any]]

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

# A check's expected value: compared for equality, or one of these markers.
NOT_EMPTY = object()  # present, and not "", [], {} or None
ABSENT = object()  # missing from the response


@dataclass(frozen=True)
class Step:
    """One request of a sequence and what its answer must hold."""

    note: str
    method: str
    path: str
    body: Any = None
    status: int | tuple[int, ...] = 200
    expect: dict[str, Any] = field(default_factory=dict)
    save: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


_MISSING = object()


def pick(data: Any, path: str) -> Any:
    """Return the value at a dotted path (``Resources.0.name.familyName``), or a marker.

    A key may itself hold dots (``urn:...:enterprise:2.0:User``): at each level
    the longest key the path starts with is taken.
    """
    while path:
        if isinstance(data, list):
            head, _, path = path.partition(".")
            if not (head.isdigit() and int(head) < len(data)):
                return _MISSING
            data = data[int(head)]
        elif isinstance(data, dict):
            keys = [k for k in data if path == k or path.startswith(k + ".")]
            if not keys:
                return _MISSING
            key = max(keys, key=len)
            data, path = data[key], path[len(key) + 1 :]
        else:
            return _MISSING
    return data


def _fill(value: Any, saved: dict[str, str]) -> Any:
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: saved.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [_fill(v, saved) for v in value]
    if isinstance(value, dict):
        return {_fill(k, saved): _fill(v, saved) for k, v in value.items()}
    return value


def replay(
    send: Send, steps: Sequence[Step], saved: dict[str, str] | None = None
) -> dict[str, str]:
    """Play ``steps`` in order; fail on the first answer that differs. Return the saved values."""
    saved = dict(saved or {})
    for step in steps:
        path = _fill(step.path, saved)
        status, data = send(step.method, path, _fill(step.body, saved), step.headers)
        wanted = step.status if isinstance(step.status, tuple) else (step.status,)
        where = f"{step.note}: {step.method} {path}"
        assert status in wanted, f"{where} answered {status}: {json.dumps(data)[:1500]}"
        for key, expected in _fill(step.expect, saved).items():
            got = pick(data, key)
            if expected is NOT_EMPTY:
                assert got not in (_MISSING, None, "", [], {}), f"{where}: {key} is empty"
            elif expected is ABSENT:
                assert got is _MISSING, f"{where}: {key} is {got!r}, expected absent"
            else:
                assert got == expected, f"{where}: {key} is {got!r}, expected {expected!r}"
        for name, key in step.save.items():
            got = pick(data, key)
            assert got is not _MISSING, f"{where}: nothing at {key} to save as {name}"
            saved[name] = str(got)
    return saved
