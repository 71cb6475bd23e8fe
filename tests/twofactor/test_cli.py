"""``equipage members reset-2fa``: the operator's last resort for a locked-out owner."""

from __future__ import annotations

from typing import Any

from equipage.cli import main
from equipage.twofactor.selectors import is_enrolled


def test_operator_resets_the_owners_second_factor(
    owner: Any, enrol: Any, capsys: Any, audit_events: Any
) -> None:
    enrol(owner)
    assert main(["members", "reset-2fa", owner.email, "--org", "acme"]) == 0
    assert not is_enrolled(owner)
    assert "second factor removed" in capsys.readouterr().out
    assert audit_events(event_type="twofactor.reset", member=owner)


def test_reset_of_an_unknown_member_fails(owner: Any, capsys: Any) -> None:
    assert main(["members", "reset-2fa", "nobody", "--org", "acme"]) == 1
    assert "no member" in capsys.readouterr().err


def test_reset_of_a_member_without_second_factor_fails(owner: Any, capsys: Any) -> None:
    assert main(["members", "reset-2fa", owner.login, "--org", "acme"]) == 1
