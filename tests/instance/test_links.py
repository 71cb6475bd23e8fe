"""Links start with EQUIPAGE_BASE_URL, else the address of the latest serve, else the default.

SPEC §9: ``equipage org create`` run beside ``equipage serve --port 9000`` on
the same data directory or database prints a link to port 9000, not to 8000.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from equipage.core import clock
from equipage.instance.links import base_url, listening_address_record
from tests.deploy.servers import (
    Process,
    equipage_env,
    free_port,
    fresh_database,
    run_equipage,
    wait_until,
)

__all__ = ["fresh_database"]  # the fixture, used below by name


@pytest.fixture
def unset_base_url() -> Iterator[None]:
    """Behave as a process whose EQUIPAGE_BASE_URL is unset (the test settings fix it)."""
    with override_settings(
        EQUIPAGE_BASE_URL_FIXED=False, EQUIPAGE_BASE_URL="http://127.0.0.1:8000"
    ):
        yield


def test_links_use_the_default_address_when_no_serve_ever_ran(
    db: Any, unset_base_url: None
) -> None:
    assert base_url() == "http://127.0.0.1:8000"


def test_links_use_the_address_of_the_latest_serve_started(db: Any, unset_base_url: None) -> None:
    start = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)
    clock.set_clock(lambda: start)
    try:
        listening_address_record("http://127.0.0.1:9000/")
        clock.set_clock(lambda: start + dt.timedelta(minutes=1))
        listening_address_record("http://10.0.0.5:9100")
        assert base_url() == "http://10.0.0.5:9100"
        # The first serve restarted later: its address is the latest again.
        clock.set_clock(lambda: start + dt.timedelta(minutes=2))
        listening_address_record("http://127.0.0.1:9000")
        assert base_url() == "http://127.0.0.1:9000"
    finally:
        clock.set_clock(None)


def test_links_use_the_variable_when_it_is_set_whatever_serve_recorded(db: Any) -> None:
    listening_address_record("http://127.0.0.1:9000")
    with override_settings(
        EQUIPAGE_BASE_URL_FIXED=True, EQUIPAGE_BASE_URL="https://members.example.org"
    ):
        assert base_url() == "https://members.example.org"


def test_org_create_beside_a_running_serve_prints_a_link_to_its_port(
    fresh_database: dict[str, str], tmp_path: Path
) -> None:
    """Real processes: serve on a free port, then org create and members invite beside it."""
    env = equipage_env(fresh_database)
    env.pop("EQUIPAGE_BASE_URL", None)
    port = free_port()
    serve = Process(["serve", "--port", str(port), "--workers", "1"], env, tmp_path / "serve.log")
    try:
        wait_until(
            "serve answers", lambda: _answers(f"http://127.0.0.1:{port}/api/v1/openapi.json"), 60
        )
        created = run_equipage(
            ["org", "create", "acme", "--name", "Acme", "--owner-email", "owner@acme.test"], env
        )
        assert created.returncode == 0, created.stderr
        link = created.stdout.strip().splitlines()[-1]
        assert link.startswith(f"http://127.0.0.1:{port}/o/acme/password/set/"), link
        # The link opens on that very server.
        with urllib.request.urlopen(link, timeout=10) as page:
            assert page.status == 200
        # The invitation mail of `members invite`, sent by serve's worker, links there too.
        invited = run_equipage(["members", "invite", "zoe@acme.test", "--org", "acme"], env)
        assert invited.returncode == 0, invited.stderr
        mail = wait_until("the invitation mail", lambda: _mail_to(env, "zoe@acme.test"), 60)
        assert f"http://127.0.0.1:{port}/o/acme/join/" in mail
        # Attack: the longest query every parameter allows is not refused by the server's
        # request line (an HTML 414); it reaches the API, which answers problem+json.
        long_query = "search=" + "%F0%9F%98%80" * 200 + "&group=" + "%F0%9F%98%80" * 150
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/members?{long_query}")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 401
        assert refused.value.headers["Content-Type"] == "application/problem+json"
    finally:
        serve.stop()


def _mail_to(env: dict[str, str], address: str) -> str:
    """Return the text of the .eml written for ``address`` (mail is not configured), or ""."""
    for path in (Path(env["EQUIPAGE_DATA_DIR"]) / "mail").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in str(message["To"]):
            body = message.get_body(preferencelist=("plain",))
            return str(body.get_content()) if body is not None else ""
    return ""


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
