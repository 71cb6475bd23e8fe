"""The result of an action applied to many members: what was done, what was skipped and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class BulkResult:
    done: list[Any] = field(default_factory=list)
    skipped: list[tuple[Any, str]] = field(default_factory=list)

    # Why each item was skipped, by kind: "forbidden", "invariant" or "noop" (already so).
    kinds: list[str] = field(default_factory=list)

    def skip(self, item: Any, reason: str, kind: str = "invariant") -> None:
        self.skipped.append((item, str(reason)))
        self.kinds.append(kind)

    def raise_for_single(self) -> None:
        """Raise the error of the first skipped item (for the one-member actions)."""
        from equipage.core.errors import InvariantViolation, PermissionDenied

        for (_item, reason), kind in zip(self.skipped, self.kinds, strict=True):
            if kind == "forbidden":
                raise PermissionDenied(reason)
            if kind == "invariant":
                raise InvariantViolation(reason)

    def summary(self) -> dict[str, Any]:
        return {
            "done": len(self.done),
            "skipped": [
                {"id": getattr(i, "pk", i), "label": str(i), "reason": r} for i, r in self.skipped
            ],
        }
