"""``equipage members password-link``: the operator mails a member a set-password link (#18.1)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from equipage.audit.models import AuditEvent
from equipage.cli import main
from equipage.emails.models import OutboundEmail
from tests.conftest import make_member
from tests.tasks import clear_cache


@pytest.fixture(autouse=True)
def _fresh_counters(db: Any) -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_link_is_mailed_audited_and_printed_only_when_asked(member: Any, capsys: Any) -> None:
    code, out, err = run(capsys, "members", "password-link", member.login, "--org", "acme")
    assert (code, err) == (0, "")
    assert "mailed to mia.member <mia.member@acme.test>" in out and "/password/set/" not in out
    code, out, _ = run(
        capsys, "members", "password-link", member.email, "--org", "acme", "--show-link"
    )
    assert code == 0
    link = out.strip().splitlines()[-1]
    assert "/o/acme/password/set/" in link
    mails = OutboundEmail.objects.filter(member=member, kind="set_password")
    assert mails.count() == 2 and link in mails.latest("id").body_text
    events = AuditEvent.objects.filter(event_type="member.password_link_sent", member=member)
    assert events.count() == 2 and {e.origin["channel"] for e in events} == {"cli"}
    # The printed link is single-use like any other.
    path = link.split("testserver", 1)[-1] if "testserver" in link else link[link.index("/o/") :]
    chosen = {"new_password1": "Chosen-by-me-2026", "new_password2": "Chosen-by-me-2026"}
    assert Client().post(path, chosen).status_code == 302
    assert Client().post(path, chosen).status_code == 410


def test_the_command_says_why_no_link_is_sent(
    org: Any, owner: Any, member: Any, capsys: Any
) -> None:
    nomail = make_member(org, owner, "Sans", "Adresse", email="")
    code, _out, err = run(capsys, "members", "password-link", nomail.login, "--org", "acme")
    assert code == 1 and "no e-mail address" in err
    code, _out, err = run(capsys, "members", "password-link", "nobody", "--org", "acme")
    assert code == 1 and "no member “nobody” in acme" in err
    for _ in range(settings.EQUIPAGE_PASSWORD_LINKS_PER_MEMBER):
        assert run(capsys, "members", "password-link", member.login, "--org", "acme")[0] == 0
    code, _out, err = run(capsys, "members", "password-link", member.login, "--org", "acme")
    assert code == 1 and "password links this hour" in err


def test_a_login_of_another_organization_is_not_found(
    org: Any, other_member: Any, capsys: Any
) -> None:
    code, _out, err = run(capsys, "members", "password-link", other_member.login, "--org", "acme")
    assert code == 1 and "no member" in err
    assert not OutboundEmail.objects.filter(member=other_member, kind="set_password").exists()
