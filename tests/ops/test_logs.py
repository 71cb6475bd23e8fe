"""One log line per request, with its id; JSON lines on demand."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from equipage.conf import ConfigError
from equipage.ops.logs import JsonFormatter, RequestIdFilter, TextFormatter, logging_config


@pytest.fixture
def request_lines() -> Iterator[io.StringIO]:
    """Capture ``equipage.request`` as JSON lines, through the real formatter and filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("equipage.request")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_request_is_one_json_line_with_its_id_route_status_and_duration(
    org: Any, request_lines: io.StringIO
) -> None:
    response = Client().get("/o/acme/login", HTTP_X_REQUEST_ID="lb-7f3a.42")
    assert response["X-Request-ID"] == "lb-7f3a.42"
    (line,) = lines(request_lines)
    assert line["request_id"] == "lb-7f3a.42"
    assert line["method"] == "GET"
    assert line["route"] == "o/<slug:slug>/login"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["level"] == "INFO"
    assert line["logger"] == "equipage.request"
    assert line["message"].startswith("GET o/<slug:slug>/login 200 ")
    assert isinstance(line["pid"], int)


@pytest.mark.parametrize(
    "given",
    ["", "has space", "line\nbreak", "x" * 129, "<script>", "-starts-with-dash", "é-accent"],
)
def test_an_unusable_request_id_is_replaced_by_a_new_one(
    db: Any, request_lines: io.StringIO, given: str
) -> None:
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=given)
    rid = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    assert lines(request_lines)[0]["request_id"] == rid


def test_every_request_gets_its_own_id(db: Any) -> None:
    ids = {Client().get("/healthz")["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5


def test_probe_lines_stay_below_info_and_failures_rise_to_warning(
    db: Any, request_lines: io.StringIO
) -> None:
    Client().get("/healthz")
    Client().get("/readyz")  # no worker in this database: 503
    healthz, readyz = lines(request_lines)
    assert healthz["level"] == "DEBUG"
    assert (readyz["status"], readyz["level"]) == (503, "WARNING")


def test_the_text_format_ends_a_line_with_the_request_id() -> None:
    record = logging.LogRecord("equipage.imports", logging.INFO, "", 0, "applied", None, None)
    record.request_id = "abc123"
    assert TextFormatter().format(record).endswith("equipage.imports applied id=abc123")


def test_json_lines_keep_exceptions_on_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, "", 0, "failed", None, sys.exc_info())
    text = JsonFormatter().format(record)
    assert "\n" not in text
    assert "ValueError: boom" in json.loads(text)["exception"]


def test_log_format_and_level_come_from_the_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("EQUIPAGE_LOG_FORMAT", "json")
    monkeypatch.delenv("EQUIPAGE_LOG_LEVEL", raising=False)
    config = logging_config()
    assert config["handlers"]["console"]["formatter"] == "json"
    assert config["loggers"]["equipage"]["level"] == "INFO"
    assert config["root"]["level"] == "WARNING"
    monkeypatch.setenv("EQUIPAGE_LOG_LEVEL", "debug")
    assert logging_config()["root"]["level"] == "DEBUG"
    monkeypatch.setenv("EQUIPAGE_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="EQUIPAGE_LOG_FORMAT"):
        logging_config()
