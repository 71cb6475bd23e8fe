"""The models and the migrations agree: nobody forgot a migration."""

from __future__ import annotations

from io import StringIO
from typing import Any

from django.core.management import call_command


def test_no_model_change_lacks_a_migration(db: Any) -> None:
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:
        raise AssertionError(f"missing migrations:\n{out.getvalue()}") from exc
