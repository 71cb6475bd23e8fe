"""Domain errors raised by actions and selectors; every edge maps them the same way."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error an action raises on purpose, with a user-facing message."""

    code = "invalid"
    status = 400

    def __init__(self, message: Any, *, code: str | None = None, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        if code:
            self.code = code

    def __str__(self) -> str:
        return str(self.message)


class NotFound(DomainError):
    """The object does not exist, or lives in another tenant (never say which)."""

    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    """The actor may not do this."""

    code = "forbidden"
    status = 403


class InvariantViolation(DomainError):
    """The change would break a rule of the organization (one owner, ...)."""

    code = "invariant"
    status = 409


class SeatLimitExceeded(InvariantViolation):
    """The change would use more seats than the organization pays for."""

    code = "seats"


class Conflict(DomainError):
    """The change collides with existing data (duplicate login, e-mail, name...)."""

    code = "conflict"
    status = 409


class ValidationFailed(DomainError):
    """The input is malformed."""

    code = "invalid"
    status = 400
