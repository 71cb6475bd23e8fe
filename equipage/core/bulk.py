"""The result of an action applied to many members: what was done, what was skipped and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class BulkResult:
    done: list[Any] = field(default_factory=list)
    skipped: list[tuple[Any, str]] = field(default_factory=list)

    def skip(self, item: Any, reason: str) -> None:
        self.skipped.append((item, str(reason)))

    def summary(self) -> dict[str, Any]:
        return {
            "done": len(self.done),
            "skipped": [{"id": getattr(i, "pk", i), "label": str(i), "reason": r} for i, r in self.skipped],
        }
