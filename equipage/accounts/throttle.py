"""Login throttling: failures counted per account, per client address and per trusted device.

The rules (documented in the README, "Accounts, roles and security"), after
OWASP's "Slow Down Online Guessing Attacks with Device Cookies":

- A browser that has logged in to an account before carries a device cookie
  for it (``equipage.accounts.devices``); its attempts on that account count
  against that device only, so nobody else's failures slow it down.
- Every other attempt counts against the account and against the client
  address, two counters that never touch each other.
- A counter's first ``free`` failures cost nothing; after ``n`` failures the
  next attempt waits ``1 s × 2^(n − free)``, at most 15 minutes, after the
  previous one. Failures are forgiven one at a time (``forgive_every``).
- An attempt that comes too early is refused unheard (its password is not
  checked, so a pause reveals nothing) and is not counted.
- A success clears the failures of the account (or of the device) it opened
  and takes back its own charge on the address; it never clears another
  account's failures nor the address's (that was the django-axes bypass).

Each attempt is charged before the password is checked, under row locks in
one transaction, so parallel requests cannot all slip through the free ones.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F

from equipage.accounts.models import LoginCounter
from equipage.audit.attempts import hashed_identifier
from equipage.core import clock
from equipage.organizations.models import Organization

FIRST_WAIT = dt.timedelta(seconds=1)
LONGEST_WAIT = dt.timedelta(minutes=15)
# A counter nobody touched for this long is forgotten altogether.
FORGET_AFTER = dt.timedelta(days=7)


@dataclass(frozen=True)
class Rule:
    """How one kind of counter slows down: free failures, then doubling waits."""

    scope: str
    free: int
    forgive_every: dt.timedelta


ACCOUNT = Rule("account", free=5, forgive_every=dt.timedelta(hours=1))
# An address may be a whole office behind one NAT: more free failures, forgiven sooner.
ADDRESS = Rule("address", free=10, forgive_every=dt.timedelta(minutes=5))
DEVICE = Rule("device", free=5, forgive_every=dt.timedelta(hours=1))


@dataclass(frozen=True)
class Key:
    """One counter an attempt is charged to; ``label`` names it in logs and audit."""

    name: str
    rule: Rule
    label: str


@dataclass(frozen=True)
class Pause:
    """A counter that makes the next attempt wait until ``until``."""

    key: Key
    failures: int
    until: dt.datetime
    first_refusal: bool = False


def account_key(organization: Organization, member: Any, identifier: str) -> Key:
    """Return the counter of the account named by ``identifier`` (existing or not).

    An unknown name is counted too, under a hash (what was typed may be a
    password typed in the wrong field): guessing looks the same either way.
    """
    if member is not None:
        return Key(f"account:{member.pk}", ACCOUNT, member.login)
    # Keyed (equipage.audit.attempts): a table dump does not give what was typed back.
    typed = hashed_identifier(organization.pk, identifier)
    return Key(f"account:?{typed}", ACCOUNT, "unknown account")


def address_key(address: str) -> Key:
    """Return the counter of a client address; IPv6 clients count by /64 (one subscriber)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return Key("address:unknown", ADDRESS, "unknown address")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.version == 6:
        network = ipaddress.ip_network(f"{ip}/64", strict=False)
        return Key(f"address:{network}", ADDRESS, str(network))
    return Key(f"address:{ip}", ADDRESS, str(ip))


def device_key(nonce: str, label: str) -> Key:
    return Key(f"device:{nonce}", DEVICE, f"device of {label}")


def _failures_now(row: LoginCounter, rule: Rule, now: dt.datetime) -> int:
    """Return the row's failures minus those forgiven since its last attempt."""
    if row.failures == 0:
        return 0
    forgiven = int((now - row.last_at) / rule.forgive_every) if now > row.last_at else 0
    return max(0, row.failures - forgiven)


def wait_after(failures: int, rule: Rule) -> dt.timedelta:
    """Return how long the attempt after ``failures`` failures waits after the previous one."""
    if failures < rule.free:
        return dt.timedelta(0)
    doublings = min(failures - rule.free, 20)
    return min(FIRST_WAIT * 2**doublings, LONGEST_WAIT)


def _locked_rows(keys: Sequence[Key], now: dt.datetime) -> dict[str, LoginCounter]:
    names = sorted({k.name for k in keys})  # one order for every process: no deadlock
    LoginCounter.objects.bulk_create(
        [LoginCounter(key=n, failures=0, last_at=now) for n in names], ignore_conflicts=True
    )
    rows = LoginCounter.objects.select_for_update().filter(key__in=names).order_by("key")
    return {row.key: row for row in rows}


@dataclass(frozen=True)
class Reservation:
    """The outcome of ``reserve``: refused (with the longest pause) or charged."""

    refused: Pause | None
    charged: dict[str, int]  # key name -> failures counting this attempt


def reserve(keys: Sequence[Key]) -> Reservation:
    """Refuse the attempt if any counter says wait; otherwise charge it to every counter."""
    now = clock.now()
    with transaction.atomic():
        rows = _locked_rows(keys, now)
        pauses = []
        for key in keys:
            row = rows[key.name]
            failures = _failures_now(row, key.rule, now)
            until = row.last_at + wait_after(failures, key.rule)
            if failures >= key.rule.free and now < until:
                pauses.append((key, row, failures, until))
        if pauses:
            key, row, failures, until = max(pauses, key=lambda p: p[3])
            first = row.noted_at is None or row.noted_at < row.last_at
            if first:
                row.noted_at = now
                row.save(update_fields=["noted_at"])
            return Reservation(Pause(key, failures, until, first), {})
        charged = {}
        for key in keys:
            row = rows[key.name]
            row.failures = _failures_now(row, key.rule, now) + 1
            row.last_at = now
            row.save(update_fields=["failures", "last_at"])
            charged[key.name] = row.failures
    return Reservation(None, charged)


def pauses_after_failure(keys: Sequence[Key], reservation: Reservation) -> list[Pause]:
    """Return the counters that this (counted) failure leaves waiting."""
    now = clock.now()
    found = []
    for key in keys:
        failures = reservation.charged.get(key.name, 0)
        wait = wait_after(failures, key.rule)
        if wait:
            found.append(Pause(key, failures, now + wait))
    return found


def settle_success(keys: Sequence[Key]) -> None:
    """Clear the opened account's (or device's) failures; take back the address's charge."""
    cleared = [k.name for k in keys if k.rule is not ADDRESS]
    refunded = [k.name for k in keys if k.rule is ADDRESS]
    LoginCounter.objects.filter(key__in=cleared).update(failures=0, noted_at=None)
    LoginCounter.objects.filter(key__in=refunded, failures__gt=0).update(failures=F("failures") - 1)


def clear_failures(organization: Organization, member: Any) -> None:
    """Forget the account's failures: its owner proved they hold its mailbox (a reset)."""
    LoginCounter.objects.filter(key=account_key(organization, member, "").name).update(
        failures=0, noted_at=None
    )


def forget_idle_counters() -> int:
    """Delete counters untouched for a week whose failures are all forgiven by now."""
    before = clock.now() - FORGET_AFTER
    deleted = 0
    for prefix, rule in (("account:", ACCOUNT), ("address:", ADDRESS), ("device:", DEVICE)):
        deleted += LoginCounter.objects.filter(
            key__startswith=prefix,
            last_at__lt=before,
            failures__lte=FORGET_AFTER // rule.forgive_every,
        ).delete()[0]
    return deleted
