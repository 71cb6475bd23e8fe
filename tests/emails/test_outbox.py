"""The outbox through a real SMTP server (aiosmtpd on loopback) and real worker processes.

The guarantee: every mail is sent at least once and never lost; when a worker
dies while the server may already hold the mail, another worker sends it
again with the same ``Message-ID`` (receivers deduplicate on it), and the row
is marked sent once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from equipage.emails.models import MailStatus, OutboundEmail
from equipage.emails.outbox import deliver, deliver_due
from tests.emails.test_smtp_lifecycle import _free_port


class Server:
    """An SMTP handler that can hold the first DATA without answering, like a stalled relay."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.hold_first = False
        self.holding = threading.Event()
        self.release = threading.Event()
        self.on_quit: Callable[[], None] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.original_content or envelope.content)
        )
        if self.hold_first and len(self.messages) == 1:
            self.holding.set()
            while not self.release.is_set():  # the sender dies meanwhile
                await asyncio.sleep(0.05)
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if self.on_quit is not None:
            await asyncio.to_thread(self.on_quit)
        return "221 Bye"


@pytest.fixture
def smtp(settings: Any) -> Iterator[tuple[Server, Controller]]:
    port = _free_port()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    handler = Server()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    yield handler, controller
    handler.release.set()
    with contextlib.suppress(AssertionError):  # never started
        controller.stop()


def _database_url() -> str:
    conf = connection.settings_dict
    if conf["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{conf['NAME']}"
    auth = conf["USER"] + (f":{conf['PASSWORD']}" if conf["PASSWORD"] else "")
    return f"postgres://{auth}@{conf['HOST']}:{conf['PORT']}/{conf['NAME']}"


def _worker(tmp_path: Path, smtp_port: int, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=_database_url(),
        EQUIPAGE_DATA_DIR=str(tmp_path / "data"),
        EQUIPAGE_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
        EQUIPAGE_QUEUE_LEASE_SECONDS="2",
    )
    with (tmp_path / f"worker-{time.monotonic_ns()}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "equipage", "worker", "--interval", "0.2", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _row(pk: int) -> OutboundEmail:
    return OutboundEmail.objects.get(pk=pk)


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_worker_killed_during_data_the_mail_is_sent_again_with_the_same_message_id(
    org: Any, smtp: tuple[Server, Controller], tmp_path: Path
) -> None:
    server, controller = smtp
    server.hold_first = True
    controller.start()
    mail = OutboundEmail.objects.get(organization=org, to="owner@acme.test")

    first = _worker(tmp_path, controller.port)
    try:
        assert server.holding.wait(60), "the first worker never reached DATA"
        held = _row(mail.pk)
        assert held.status == MailStatus.SENDING and held.lease_until is not None
        # The sender is alive: its heartbeat keeps renewing the lease (2 s) past its first end.
        past_first_end = held.lease_until + dt.timedelta(seconds=1)

        def renewed() -> bool:
            return bool(_row(mail.pk).lease_until > past_first_end)  # type: ignore[operator]

        _wait(renewed, 15, "the heartbeat to renew the lease")
        assert _row(mail.pk).status == MailStatus.SENDING
    finally:
        first.kill()  # SIGKILL, in the middle of the SMTP exchange
        first.wait(10)
    assert _row(mail.pk).status == MailStatus.SENDING  # possibly sent: not lost, not done

    # Another worker takes the mail over once the lease has lapsed, and sends it again.
    _wait(lambda: _row(mail.pk).lease_until < _now(), 5, "the lease to lapse")  # type: ignore[operator]
    second = _worker(tmp_path, controller.port, "--once")
    assert second.wait(60) == 0
    sent = _row(mail.pk)
    assert sent.status == MailStatus.SENT and sent.attempts == 1 and sent.sent_at is not None
    assert [m["Message-ID"] for m in server.messages] == [mail.message_id, mail.message_id]

    # Sent once for the outbox: nothing is left to send, by any worker.
    third = _worker(tmp_path, controller.port, "--once")
    assert third.wait(60) == 0
    assert deliver_due() == 0
    assert len(server.messages) == 2


def _now() -> Any:
    from equipage.core import clock

    return clock.now()


@pytest.mark.django_db(transaction=True)
def test_mail_is_marked_sent_right_after_the_servers_250_before_quit(
    org: Any, smtp: tuple[Server, Controller]
) -> None:
    server, controller = smtp
    controller.start()
    mail = OutboundEmail.objects.get(organization=org, to="owner@acme.test")
    seen_at_quit: list[str] = []

    def look() -> None:
        seen_at_quit.append(_row(mail.pk).status)
        connection.close()

    server.on_quit = look
    assert deliver(mail.pk)
    assert seen_at_quit == [MailStatus.SENT]


def test_smtp_down_then_up_nothing_is_lost_and_the_message_id_never_changes(
    org: Any, smtp: tuple[Server, Controller], frozen_clock: Any, caplog: Any
) -> None:
    server, controller = smtp
    mail = OutboundEmail.objects.get(organization=org, to="owner@acme.test")
    with caplog.at_level(logging.WARNING, logger="equipage.emails.outbox"):
        assert deliver_due() == 0  # SMTP is down
    down = _row(mail.pk)
    assert down.status == MailStatus.QUEUED and down.attempts == 1 and down.last_error
    [record] = [r for r in caplog.records if r.name == "equipage.emails.outbox"]
    assert "organization=acme" in record.getMessage()
    assert mail.message_id in record.getMessage()
    assert record.message_id == mail.message_id  # type: ignore[attr-defined]
    assert record.organization == "acme"  # type: ignore[attr-defined]

    controller.start()
    frozen_clock.advance(seconds=31)
    assert deliver_due() == 1
    frozen_clock.advance(hours=2)
    assert deliver_due() == 0
    assert [m["Message-ID"] for m in server.messages] == [mail.message_id]
    up = _row(mail.pk)
    assert (up.status, up.attempts, up.last_error) == (MailStatus.SENT, 2, "")
