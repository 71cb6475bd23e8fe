"""Logging in with a password, throttled (``equipage.accounts.throttle``).

Every password login — the console's form, the first login with an
organization's shared temporary password — goes through ``login_attempt``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib import auth
from django.db import transaction

from equipage.accounts import throttle
from equipage.accounts.devices import DeviceCookie, issue_device_cookie, trusted_device
from equipage.accounts.models import Member
from equipage.accounts.selectors import member_by_identifier
from equipage.audit.attempts import note_login_failed
from equipage.audit.events import EventType
from equipage.audit.record import record
from equipage.organizations.models import Organization
from equipage.permissions import Actor, Origin

log = logging.getLogger("equipage.accounts.throttle")


@dataclass(frozen=True)
class LoginOutcome:
    """The member logged in (with a fresh device cookie), or None; ``retry_at`` if refused unheard."""

    member: Member | None
    retry_at: dt.datetime | None = None
    device_cookie: DeviceCookie | None = None


def login_attempt(
    *,
    organization: Organization,
    identifier: str,
    password: str,
    origin: Origin,
    cookies: Mapping[str, str],
) -> LoginOutcome:
    """Check a password login unless a counter says wait; count it either way it fails.

    A success clears its counters and records the login in the audit log.
    """
    member = member_by_identifier(organization, identifier)
    device = trusted_device(member, cookies) if member is not None else None
    if member is not None and device is not None:
        keys = [throttle.device_key(device, member.login)]
    else:
        keys = [
            throttle.account_key(organization, member, identifier),
            throttle.address_key(origin.ip),
        ]
    reservation = throttle.reserve(keys)
    if reservation.refused is not None:
        _refused(organization, member, reservation.refused, origin)
        return LoginOutcome(None, retry_at=reservation.refused.until)
    found = auth.authenticate(
        None, username=identifier, password=password, organization=organization
    )
    if not isinstance(found, Member):
        note_login_failed(
            organization_id=organization.pk, member=member, identifier=identifier, origin=origin
        )
        for pause in throttle.pauses_after_failure(keys, reservation):
            _paused(organization, member, pause, origin)
        return LoginOutcome(None)
    throttle.settle_success(keys)
    with transaction.atomic():
        record(
            actor=Actor.for_member(found, origin),
            organization=organization,
            event=EventType.MEMBER_LOGIN,
            target=found,
        )
    return LoginOutcome(found, device_cookie=issue_device_cookie(found))


def _actor(organization: Organization, origin: Origin) -> Actor:
    return Actor(
        kind="system", label="login throttle", organization_id=organization.pk, origin=origin
    )


def _audit(
    organization: Organization,
    member: Member | None,
    pause: throttle.Pause,
    origin: Origin,
    event: EventType,
) -> None:
    on_account = pause.key.rule is not throttle.ADDRESS
    with transaction.atomic():
        record(
            actor=_actor(organization, origin),
            organization=organization,
            event=event,
            target=member if on_account else None,
            target_label="" if on_account and member is not None else pause.key.label,
            after={
                "scope": pause.key.rule.scope,
                "failures": pause.failures,
                "until": pause.until.isoformat(),
            },
        )


def _log_pause(
    what: str, organization: Organization, pause: throttle.Pause, origin: Origin
) -> None:
    log.warning(
        "%s: org=%s %s=%s failures=%d until=%s client=%s",
        what,
        organization.slug,
        pause.key.rule.scope,
        pause.key.label,
        pause.failures,
        pause.until.isoformat(timespec="seconds"),
        origin.ip,
    )


def _paused(
    organization: Organization, member: Member | None, pause: throttle.Pause, origin: Origin
) -> None:
    _log_pause("login paused", organization, pause, origin)
    _audit(organization, member, pause, origin, EventType.LOGIN_PAUSED)


def _refused(
    organization: Organization, member: Member | None, pause: throttle.Pause, origin: Origin
) -> None:
    # Every refusal is one log line; only the first of a pause is an audit event, so
    # that hammering a paused account does not fill the audit log.
    _log_pause("login refused (paused)", organization, pause, origin)
    if pause.first_refusal:
        _audit(organization, member, pause, origin, EventType.LOGIN_REFUSED)
