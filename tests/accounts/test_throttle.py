"""Login throttling: attacks on the login form, replayed, and the owner still gets in.

Each test writes the attack next to the proof. Time is the application clock,
frozen and moved by the tests (``frozen_clock``); a refused attempt answers 429.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from equipage.accounts import throttle
from equipage.accounts.devices import cookie_name
from equipage.accounts.models import LoginCounter

OWNER_PASSWORD = "owner-pass-123"
MEMBER_PASSWORD = "member-pass-123"


def attempt(client: Client, identifier: str, password: str, ip: str, slug: str = "acme") -> Any:
    return client.post(
        f"/o/{slug}/login", {"identifier": identifier, "password": password}, REMOTE_ADDR=ip
    )


def device_browser(owner: Any, ip: str = "192.0.2.10", password: str = OWNER_PASSWORD) -> Client:
    """Return a browser that has logged in to ``owner``'s account once (and logged out)."""
    browser = Client()
    assert attempt(browser, owner.login, password, ip).status_code == 302
    assert cookie_name(owner.pk) in browser.cookies
    browser.post("/o/acme/logout")
    return browser


def test_logging_into_ones_own_account_between_guesses_no_longer_resets_the_guesses(
    org: Any, owner: Any, other_org: Any, other_member: Any, frozen_clock: Any
) -> None:
    # The bypass of issue #13: 4 guesses on another organization's owner from address A,
    # a login into the attacker's own account from A (which used to wipe A's failures),
    # and again. Before: 60 guesses in 16 s. The attacker now waits whenever told to.
    attacker_ip = "203.0.113.7"
    guesses = waited = 0
    while guesses < 60:
        for _ in range(4):
            r = attempt(Client(), owner.login, f"guess-{guesses}", attacker_ip)
            if r.status_code == 429:
                pause = int(r["Retry-After"])
                frozen_clock.advance(seconds=pause)
                waited += pause
                continue
            assert r.status_code == 200
            guesses += 1
        own = attempt(Client(), other_member.login, MEMBER_PASSWORD, attacker_ip, "globex")
        assert own.status_code in (302, 429)
    assert waited > 8 * 3600, f"60 guesses took only {waited} s of waiting"
    # Meanwhile the owner's own (known) browser is never slowed.
    assert owner.check_password(OWNER_PASSWORD)


def test_the_attackers_own_success_clears_nothing_of_the_victims_account(
    org: Any, owner: Any, member: Any, frozen_clock: Any
) -> None:
    ip = "203.0.113.8"
    for i in range(5):
        assert attempt(Client(), owner.login, f"guess-{i}", ip).status_code == 200
    assert attempt(Client(), member.login, MEMBER_PASSWORD, ip).status_code == 302
    # The owner's account still has its five failures: the next guess waits.
    assert attempt(Client(), owner.login, "guess-5", "198.51.100.1").status_code == 429
    row = LoginCounter.objects.get(key=f"account:{owner.pk}")
    assert row.failures == 5


def test_one_wrong_attempt_every_30_seconds_does_not_keep_the_owner_out(
    org: Any, owner: Any, frozen_clock: Any
) -> None:
    browser = device_browser(owner)
    # The lockout-as-a-weapon attack: one wrong attempt every 30 s, for an hour, from
    # rotating addresses. Unknown browsers are paused on the account...
    for i in range(120):
        attempt(Client(), owner.login, f"wrong-{i}", f"203.0.113.{i % 200 + 1}")
        frozen_clock.advance(seconds=30)
    assert attempt(Client(), owner.login, OWNER_PASSWORD, "198.51.100.2").status_code == 429
    # ...but the owner's own browser logs in with the right password at once.
    r = attempt(browser, owner.login, OWNER_PASSWORD, "198.51.100.2")
    assert r.status_code == 302 and r["Location"] == "/o/acme/"
    # And once the attack stops, unknown browsers wait 15 minutes at most: never a lock.
    frozen_clock.advance(minutes=15)
    assert attempt(Client(), owner.login, OWNER_PASSWORD, "198.51.100.3").status_code == 302


def test_owners_browser_logs_in_during_an_attack_from_the_same_address(
    org: Any, owner: Any, frozen_clock: Any
) -> None:
    # Owner and attacker behind one NAT (or one proxy): the address is paused too.
    shared_ip = "192.0.2.50"
    browser = device_browser(owner, shared_ip)
    for i in range(30):
        attempt(Client(), owner.login, f"wrong-{i}", shared_ip)
        attempt(Client(), f"someone-{i}", "wrong", shared_ip)
    assert attempt(Client(), owner.login, OWNER_PASSWORD, shared_ip).status_code == 429
    assert attempt(browser, owner.login, OWNER_PASSWORD, shared_ip).status_code == 302


def test_failures_per_account_and_per_address_are_counted_independently(
    org: Any, owner: Any, member: Any, outsider: Any, frozen_clock: Any
) -> None:
    # Ten addresses fail on the member's account: the account waits, not the addresses.
    for i in range(10):
        attempt(Client(), member.login, "wrong", f"198.51.100.{i + 10}")
    assert attempt(Client(), member.login, MEMBER_PASSWORD, "198.51.100.10").status_code == 429
    assert attempt(Client(), outsider.login, MEMBER_PASSWORD, "198.51.100.10").status_code == 302
    # One address fails on many accounts: the address waits, not the accounts.
    for i in range(10):
        attempt(Client(), f"nobody-{i}", "wrong", "203.0.113.99")
    assert attempt(Client(), owner.login, OWNER_PASSWORD, "203.0.113.99").status_code == 429
    assert attempt(Client(), owner.login, OWNER_PASSWORD, "203.0.113.98").status_code == 302


def test_waits_double_after_the_free_failures_and_failures_are_forgiven_with_time(
    org: Any, member: Any, frozen_clock: Any
) -> None:
    waits = []
    for i in range(10):
        r = attempt(Client(), member.login, f"wrong-{i}", f"198.51.100.{i + 1}")
        if r.status_code == 429:
            waits.append(int(r["Retry-After"]))
            frozen_clock.advance(seconds=int(r["Retry-After"]))
            r = attempt(Client(), member.login, f"wrong-{i}", f"198.51.100.{i + 1}")
        assert r.status_code == 200
    assert waits == [1, 2, 4, 8, 16]
    assert [throttle.wait_after(n, throttle.ACCOUNT).total_seconds() for n in (4, 5, 20, 99)] == [
        0,
        1,
        900,
        900,
    ]
    # Ten hours later ten failures are forgiven: the member logs in from anywhere.
    frozen_clock.advance(hours=10)
    assert attempt(Client(), member.login, MEMBER_PASSWORD, "198.51.100.77").status_code == 302


def test_a_known_browser_counts_its_own_failures_apart(
    org: Any, owner: Any, frozen_clock: Any
) -> None:
    browser = device_browser(owner)
    for i in range(5):
        assert attempt(browser, owner.login, f"typo-{i}", "192.0.2.10").status_code == 200
    assert attempt(browser, owner.login, OWNER_PASSWORD, "192.0.2.10").status_code == 429
    # Its typos did not pause the account for anyone else.
    assert LoginCounter.objects.filter(key=f"account:{owner.pk}", failures__gt=0).count() == 0
    frozen_clock.advance(seconds=1)
    assert attempt(browser, owner.login, OWNER_PASSWORD, "192.0.2.10").status_code == 302


def test_a_device_cookie_of_another_account_forged_or_expired_is_no_device_cookie(
    org: Any, owner: Any, member: Any, frozen_clock: Any
) -> None:
    mine = device_browser(member, password=MEMBER_PASSWORD)
    mine_cookie = mine.cookies[cookie_name(member.pk)].value
    for i in range(6):
        attempt(Client(), owner.login, f"wrong-{i}", f"203.0.113.{i + 1}")
    # The attacker's own cookie, renamed for the owner's account, is not the owner's.
    stolen = Client()
    stolen.cookies[cookie_name(owner.pk)] = mine_cookie
    assert attempt(stolen, owner.login, OWNER_PASSWORD, "198.51.100.9").status_code == 429
    forged = Client()
    forged.cookies[cookie_name(owner.pk)] = mine_cookie.replace(str(member.pk), str(owner.pk))
    assert attempt(forged, owner.login, OWNER_PASSWORD, "198.51.100.9").status_code == 429
    frozen_clock.advance(minutes=15)
    browser = device_browser(owner)
    frozen_clock.advance(days=181)
    for i in range(6):
        attempt(Client(), owner.login, f"late-{i}", f"203.0.113.{i + 1}")
    assert attempt(browser, owner.login, OWNER_PASSWORD, "192.0.2.10").status_code == 429


@pytest.mark.django_db(transaction=True)  # the real worker sends the queued reset
def test_password_reset_link_lets_the_owner_in_while_the_attack_goes_on(
    org: Any, owner: Any, frozen_clock: Any
) -> None:
    from equipage.emails.models import OutboundEmail
    from tests.tasks import run_queued_tasks

    for i in range(8):
        attempt(Client(), owner.login, f"attacker-{i}", f"10.1.0.{i}")
    assert attempt(Client(), owner.login, OWNER_PASSWORD, "10.2.0.1").status_code == 429
    browser = Client(REMOTE_ADDR="10.2.0.1")
    browser.post("/o/acme/password/reset/", {"identifier": owner.email})
    run_queued_tasks()
    body = OutboundEmail.objects.get(kind="password_reset", member=owner).body_text
    path = "/o/acme/password/set/" + body.split("/password/set/")[1].split("/")[0] + "/"
    r = browser.post(path, {"new_password1": "Owner-back-2026", "new_password2": "Owner-back-2026"})
    assert r.status_code == 302
    # The attacker keeps guessing; the browser that used the link is known now.
    for i in range(8):
        attempt(Client(), owner.login, f"attacker-again-{i}", f"10.1.1.{i}")
    assert attempt(browser, owner.login, "Owner-back-2026", "10.2.0.1").status_code == 302


def test_first_login_with_the_shared_temporary_password_is_throttled_like_any(
    org: Any, owner: Any, admin: Any, frozen_clock: Any
) -> None:
    from equipage.accounts.actions import member_create
    from tests.accounts.test_login import TEMPORARY, choose_shared_policy

    choose_shared_policy(org, owner)
    newcomer = member_create(actor=admin, organization=org, first_name="New", last_name="Comer")
    assert newcomer.uses_temp_password
    for i in range(5):
        assert attempt(Client(), newcomer.login, f"guess-{i}", "203.0.113.5").status_code == 200
    r = attempt(Client(), newcomer.login, TEMPORARY, "198.51.100.5")
    assert r.status_code == 429  # refused unheard: the right answer tells nothing now
    frozen_clock.advance(seconds=1)
    r = attempt(Client(), newcomer.login, TEMPORARY, "198.51.100.5")
    assert r.status_code == 302 and r["Location"] == "/o/acme/password/change/"


def test_pause_answers_429_saying_when_to_retry_in_the_members_language(
    org: Any, member: Any, frozen_clock: Any
) -> None:
    for i in range(5):
        attempt(Client(), member.login, f"wrong-{i}", "203.0.113.1")
    r = attempt(Client(), member.login, "wrong-5", "203.0.113.1")
    assert r.status_code == 429 and r["Retry-After"] == "1"
    assert "Try again in 1 second" in r.content.decode()
    fr = Client(HTTP_ACCEPT_LANGUAGE="fr")
    fr.cookies["django_language"] = "fr"
    r = attempt(fr, member.login, "wrong-6", "203.0.113.1")
    assert r.status_code == 429
    assert "Réessayez dans 1 seconde" in r.content.decode()


def test_pauses_and_refusals_are_logged_and_audited_with_the_organization(
    org: Any, owner: Any, audit_events: Any, frozen_clock: Any, caplog: Any
) -> None:
    caplog.set_level(logging.INFO, logger="equipage.accounts.throttle")
    for i in range(5):
        attempt(Client(), owner.login, f"wrong-{i}", f"203.0.113.{i + 1}")
    for _ in range(3):
        assert attempt(Client(), owner.login, "again", "203.0.113.9").status_code == 429
    events = audit_events()
    assert events.count("login.paused") == 1
    assert events.count("login.refused") == 1  # one per pause, however many refusals
    from equipage.audit.models import AuditEvent

    paused = AuditEvent.objects.get(event_type="login.paused")
    assert paused.member_id == owner.pk and paused.after["scope"] == "account"
    assert paused.origin["ip"] == "203.0.113.5"
    lines = [r.getMessage() for r in caplog.records]
    assert sum("login paused" in line for line in lines) == 1
    assert sum("login refused" in line for line in lines) == 3
    assert all("wrong-" not in line for line in lines)


def test_ipv6_clients_are_counted_by_their_64_network() -> None:
    a = throttle.address_key("2001:db8:1:2::1")
    b = throttle.address_key("2001:db8:1:2:ffff::9")
    assert a.name == b.name == "address:2001:db8:1:2::/64"
    assert throttle.address_key("::ffff:192.0.2.1").name == "address:192.0.2.1"
    assert throttle.address_key("not an address").name == "address:unknown"


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_cannot_all_slip_through_the_free_failures(
    org: Any, owner: Any, frozen_clock: Any
) -> None:
    # Twenty guesses sent at the same moment from twenty addresses, on two database
    # connections' worth of threads: each is charged under a row lock before its
    # password is checked, so only the free five are heard.
    barrier = threading.Barrier(20)
    codes: list[int] = []

    def guess(i: int) -> None:
        barrier.wait()
        try:
            codes.append(
                attempt(Client(), owner.login, f"guess-{i}", f"203.0.113.{i + 1}").status_code
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(codes) == [200] * 5 + [429] * 15
    assert LoginCounter.objects.get(key=f"account:{owner.pk}").failures == 5


def test_idle_counters_are_forgotten_by_housekeeping(
    org: Any, member: Any, frozen_clock: Any
) -> None:
    for i in range(3):
        attempt(Client(), member.login, f"wrong-{i}", "203.0.113.1")
    assert LoginCounter.objects.count() == 2
    frozen_clock.advance(days=8)
    assert throttle.forget_idle_counters() == 2
    assert not LoginCounter.objects.exists()
