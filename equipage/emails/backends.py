"""A mailer that writes each message as an ``.eml`` file, used when no SMTP is configured."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class EmlDirectoryBackend(BaseEmailBackend):
    def __init__(self, *, directory: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.directory = Path(directory)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            msg = message.message()
            name = re.sub(r"[^A-Za-z0-9._-]+", "_", str(msg["Message-ID"]).strip("<>"))
            (self.directory / f"{name}.eml").write_bytes(msg.as_bytes())
        return len(email_messages)
