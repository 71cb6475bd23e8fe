"""Log lines: the request id on every line of a request, and JSON lines on demand.

Imported by the ``LOGGING`` setting before Django is set up: nothing here
touches models or settings.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import os
from typing import Any

from equipage.conf import ConfigError

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

# Attributes every LogRecord has; anything else was passed in ``extra`` and is kept.
_RECORD_FIELDS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being served (empty outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id.get()
        return True


class TextFormatter(logging.Formatter):
    """``time level logger message [id=…]``: one line a record, the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = getattr(record, "request_id", "")
        if rid and f"id={rid}" not in line:
            line += f" id={rid}"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, pid, request id, every ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config() -> dict[str, Any]:
    """Build ``LOGGING`` from ``EQUIPAGE_LOG_FORMAT`` (text, json) and ``EQUIPAGE_LOG_LEVEL``.

    Equipage's own lines (requests, imports, mail) show from INFO unless a
    level is set; other libraries' from WARNING.
    """
    fmt = os.environ.get("EQUIPAGE_LOG_FORMAT", "text").strip().lower() or "text"
    if fmt not in ("text", "json"):
        raise ConfigError("EQUIPAGE_LOG_FORMAT must be 'text' or 'json'.")
    level = os.environ.get("EQUIPAGE_LOG_LEVEL", "").strip().upper()
    if level and level not in logging.getLevelNamesMapping():
        raise ConfigError("EQUIPAGE_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "equipage.ops.logs.RequestIdFilter"}},
        "formatters": {
            "text": {"()": "equipage.ops.logs.TextFormatter"},
            "json": {"()": "equipage.ops.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": fmt,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level or "WARNING"},
        "loggers": {
            "axes": {"level": "ERROR"},
            "equipage": {"level": level or "INFO"},
            # Its 4xx lines carry the raw path (set-password tokens among them) and repeat
            # the request line; its 5xx lines, with their tracebacks, stay.
            "django.request": {"level": "ERROR"},
        },
    }
