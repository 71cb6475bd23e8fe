"""Background tasks about accounts."""

from __future__ import annotations

from typing import Any

from django.tasks import task


@task()
def password_reset(organization_id: int, identifier: str, origin: dict[str, Any]) -> None:
    """Look the account up and mail its reset link, away from the request (no timing leak)."""
    from equipage.accounts.actions.passwords import password_reset_request
    from equipage.organizations.models import Organization
    from equipage.permissions import Origin

    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return
    password_reset_request(
        organization=organization,
        identifier=identifier,
        origin=Origin(
            channel=origin.get("channel", "web"),
            ip=origin.get("ip", ""),
            user_agent=origin.get("ua", ""),
        ),
    )
