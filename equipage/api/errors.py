"""Every API error as application/problem+json (RFC 9457), with field details."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from equipage.api.messages import field_message
from equipage.core.errors import DomainError

PROBLEM = "application/problem+json"


class FieldError(Schema):
    field: str
    message: str


class Problem(Schema):
    """An error: ``type`` names its kind, ``errors`` points at the offending fields."""

    type: str
    title: str
    status: int
    detail: str = ""
    errors: list[FieldError] = []


# Every operation documents these, so clients and schemathesis know their shape.
ERROR_RESPONSES: dict[int, Any] = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    412: Problem,
    422: Problem,
    428: Problem,
    429: Problem,
}

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    422: "Invalid input",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal error",
}


def declare_problem_json(schema: Any) -> Any:
    """Document 4xx/5xx bodies as ``application/problem+json``, the type they are sent with.

    django-ninja labels every response with its renderer's ``application/json``;
    clients and schemathesis's content-type check need the truth.
    """
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                content = response.get("content") or {}
                if int(code) >= 400 and "application/json" in content:
                    response["content"] = {PROBLEM: content["application/json"]}
    return schema


def problem(
    status: int,
    code: str,
    detail: str = "",
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """Return a problem+json response."""
    import json

    body = {
        "type": f"https://equipage.dev/problems/{code}",
        "title": _(TITLES.get(status, "Error")),
        "status": status,
        "detail": detail,
        "errors": errors or [],
    }
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class PreconditionFailed(Exception):
    """The If-Match header names a version that is no longer current."""


class RateLimited(Exception):
    """The token used up its requests for this minute."""

    def __init__(self, retry_after: int):
        super().__init__("rate limited")
        self.retry_after = retry_after


def install(api: Any) -> None:
    """Map every error the API can meet to one problem+json shape."""

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        from equipage.tokens.selectors import Unauthenticated

        errors = [{"field": exc.field, "message": str(exc)}] if exc.field else []
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
        return problem(exc.status, exc.code, str(exc), errors, headers)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            {
                "field": ".".join(
                    str(p)
                    for p in e.get("loc", ())
                    if p not in ("body", "query", "path", "payload")
                ),
                "message": field_message(e),
            }
            for e in exc.errors
        ]
        return problem(422, "invalid", _("The request is not valid."), errors)

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(
            401,
            "unauthenticated",
            _("A valid bearer token is required."),
            None,
            {"WWW-Authenticate": "Bearer"},
        )

    @api.exception_handler(OverflowError)
    def id_out_of_range(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        # SQLite refuses to compare an id beyond 64 bits; no such row can exist.
        return problem(404, "not_found", _("Not found."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja's own messages ("Cannot parse request body") are in the API's catalog.
        return problem(exc.status_code, "error", _(str(exc)) if str(exc) else "")

    @api.exception_handler(PreconditionFailed)
    def precondition(request: HttpRequest, exc: PreconditionFailed) -> HttpResponse:
        return problem(
            412, "precondition_failed", _("The resource changed since you read it (If-Match).")
        )

    @api.exception_handler(RateLimited)
    def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        return problem(
            429,
            "rate_limited",
            _("Too many requests for this token; slow down."),
            None,
            {"Retry-After": str(exc.retry_after)},
        )


def install_request_errors(api: Any) -> None:
    """Answer a request body Django cannot read (malformed multipart) as problem+json, not HTML."""

    @api.exception_handler(MultiPartParserError)
    def malformed_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        return problem(400, "malformed_body", _("The multipart body cannot be read."))
