"""The organization setting that lets IdP passwords through SCIM: off by default, audited."""

from __future__ import annotations

from typing import Any

import pytest


def test_idp_passwords_are_refused_by_default(org: Any) -> None:
    assert org.scim_accept_passwords is False


def test_admin_turns_it_on_and_off_with_an_audit_trail(org: Any, admin: Any) -> None:
    from equipage.audit.models import AuditEvent
    from equipage.organizations.actions import organization_set_scim_accept_passwords

    organization_set_scim_accept_passwords(actor=admin, organization=org, accept=True)
    org.refresh_from_db()
    assert org.scim_accept_passwords is True
    event = AuditEvent.objects.filter(organization=org, event_type="org.updated").latest("pk")
    assert (event.before, event.after) == (
        {"scim_accept_passwords": False},
        {"scim_accept_passwords": True},
    )
    organization_set_scim_accept_passwords(actor=admin, organization=org, accept=True)
    assert AuditEvent.objects.filter(organization=org, event_type="org.updated").count() == 1


@pytest.mark.parametrize("who", ["member", "user_admin", "other_admin"])
def test_only_the_organizations_admins_may_change_it(
    org: Any, who: str, request: pytest.FixtureRequest
) -> None:
    from equipage.core.errors import DomainError
    from equipage.organizations.actions import organization_set_scim_accept_passwords

    with pytest.raises(DomainError):
        organization_set_scim_accept_passwords(
            actor=request.getfixturevalue(who), organization=org, accept=True
        )
    org.refresh_from_db()
    assert org.scim_accept_passwords is False
