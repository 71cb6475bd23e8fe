"""``equipage org delete SLUG --confirm SLUG``: the operator's way to delete an organization."""

from __future__ import annotations

from typing import Any

from equipage.audit.models import AuditEvent
from equipage.cli import main
from equipage.organizations.models import Organization


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_operator_deletes_an_organization_from_the_command_line(
    org: Any, member: Any, other_org: Any, capsys: Any
) -> None:
    code, out, err = run(capsys, "org", "delete", "acme", "--confirm", "acme")
    assert (code, err) == (0, "")
    assert out.strip().startswith("Organization acme deleted: 2 members, 3 groups")
    assert not Organization.objects.filter(slug="acme").exists()
    assert Organization.objects.filter(pk=other_org.pk).exists()
    event = AuditEvent.objects.get(event_type="org.deleted")
    assert event.actor_label.startswith("cli:") and event.origin == {"channel": "cli"}


def test_a_wrong_confirmation_is_one_line_and_deletes_nothing(
    org: Any, other_org: Any, capsys: Any
) -> None:
    code, out, err = run(capsys, "org", "delete", "acme", "--confirm", "globex")
    assert (code, out) == (1, "")
    assert err.strip().splitlines() == [
        "equipage: error: Type the organization's identifier “acme” to confirm the deletion."
    ]
    assert Organization.objects.filter(slug="acme").exists()
    assert Organization.objects.filter(slug="globex").exists()


def test_an_unknown_organization_is_one_clear_line(db: Any, capsys: Any) -> None:
    code, _, err = run(capsys, "org", "delete", "nowhere", "--confirm", "nowhere")
    assert code == 1
    assert err.strip() == "equipage: error: Unknown organization “nowhere”."


def test_a_running_import_holds_the_deletion_off(org: Any, capsys: Any) -> None:
    from equipage.core import clock
    from equipage.imports.models import ImportJob

    ImportJob.objects.create(
        organization=org,
        status="running",
        lock=True,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    code, _, err = run(capsys, "org", "delete", "acme", "--confirm", "acme")
    assert code == 1 and "An import is in progress" in err
    assert Organization.objects.filter(slug="acme").exists()
