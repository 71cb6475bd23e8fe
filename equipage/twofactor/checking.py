"""Checking a second-factor code: throttled per member and per client address, audited.

The counters are the login throttle's (``equipage.accounts.throttle``: rows of
the database, so every node counts the same attempts) under keys of their own:
a member's failed codes never slow down their password logins, nor the reverse.
A TOTP code is accepted once: its time step must be newer than the last one
accepted. A recovery code is spent by the same update that accepts it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from equipage.accounts import throttle
from equipage.accounts.models import Member
from equipage.audit.events import EventType
from equipage.audit.record import record
from equipage.audit.security import Occurrence, note
from equipage.core import clock
from equipage.permissions.actor import Actor, Origin
from equipage.twofactor import sealing, totp
from equipage.twofactor.models import RecoveryCode, TotpDevice

CODE_ACCOUNT = throttle.Rule("2fa account", free=5, forgive_every=throttle.ACCOUNT.forgive_every)
CODE_ADDRESS = throttle.Rule("2fa address", free=10, forgive_every=throttle.ADDRESS.forgive_every)


def _keys(member: Member, origin: Origin) -> list[throttle.Key]:
    # "account:" and "address:" prefixes: the login throttle's housekeeping forgets them too.
    address = throttle.address_key(origin.ip)
    return [
        throttle.Key(f"account:2fa:{member.pk}", CODE_ACCOUNT, member.login),
        throttle.Key(
            address.name.replace("address:", "address:2fa:", 1), CODE_ADDRESS, address.label
        ),
    ]


@dataclass(frozen=True)
class Check:
    """The outcome of a code: accepted (``by_recovery`` tells which kind), or refused."""

    ok: bool
    by_recovery: bool = False
    retry_at: dt.datetime | None = None


def check_code(
    *, member: Member, code: str, origin: Origin, device: TotpDevice | None = None,
    allow_recovery: bool = True,
) -> Check:  # fmt: skip
    """Accept ``code`` for ``member`` (their confirmed authenticator, or ``device`` being
    enrolled) unless a counter says wait; count it if it fails."""
    keys = _keys(member, origin)
    reservation = throttle.reserve(keys)
    if reservation.refused is not None:
        return Check(False, retry_at=reservation.refused.until)
    with transaction.atomic():
        accepted, by_recovery = _consume(member, code, device, allow_recovery)
        if accepted and by_recovery:
            record(
                actor=Actor.for_member(member, origin),
                organization=member.organization,
                event=EventType.TWOFACTOR_RECOVERY_USED,
                target=member,
                after={"left": RecoveryCode.objects.filter(member=member, used_at=None).count()},
            )
    if accepted:
        throttle.settle_success(keys)
        return Check(True, by_recovery=by_recovery)
    _note_failure(member, origin, EventType.TWOFACTOR_CODE_FAILED, {})
    for pause in throttle.pauses_after_failure(keys, reservation):
        _note_failure(
            member,
            origin,
            EventType.TWOFACTOR_PAUSED,
            {"scope": pause.key.rule.scope, "failures": pause.failures,
             "until": pause.until.isoformat()},
        )  # fmt: skip
        return Check(False, retry_at=pause.until)
    return Check(False)


def _consume(
    member: Member, code: str, device: TotpDevice | None, allow_recovery: bool
) -> tuple[bool, bool]:
    now = clock.now()
    locked = TotpDevice.objects.select_for_update().filter(member=member)
    found = (
        locked.filter(pk=device.pk).first()
        if device is not None
        else locked.filter(confirmed_at__isnull=False).first()
    )
    if found is None:
        return False, False
    if allow_recovery and totp.looks_like_recovery_code(code):
        spent = RecoveryCode.objects.filter(
            member=member, code_hash=sealing.code_digest(code), used_at=None
        ).update(used_at=now)
        return spent == 1, True
    secret = sealing.unseal(found.sealed_secret)
    step = totp.matching_step(secret, code, now) if secret else None
    if step is None or step <= found.last_step:  # a wrong code, or one already used
        return False, False
    found.last_step = step
    found.save(update_fields=["last_step"])
    return True, False


def _note_failure(member: Member, origin: Origin, event: EventType, details: dict) -> None:
    note(
        Occurrence(
            event=event,
            actor=Actor(
                kind="system",
                label="two-factor check",
                organization_id=member.organization_id,
                origin=origin,
            ),
            organization_id=member.organization_id,
            key=f"{event.value}|member:{member.pk}",
            target=member,
            details=details,
        )
    )
