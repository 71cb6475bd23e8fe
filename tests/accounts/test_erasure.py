"""Erasure that erases (SPEC §1, issue #19.3): no trace of an erased member in any table.

The search below reads every text, JSON and binary column of every installed
model (``apps.get_models()``), so a table added later is searched without
touching this test: if it keeps an erased member's identifiers, this fails.
"""

from __future__ import annotations

import contextlib
import json
import re
import zlib
from typing import Any

import pyotp
import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from equipage.accounts.actions import member_delete, member_update
from equipage.accounts.erasure import erase_members, pseudonym
from equipage.accounts.housekeeping import empty_bins
from equipage.accounts.models import Member
from equipage.audit.models import AuditEvent
from equipage.core import clock
from equipage.core.erasure import SCRUBBERS, ErasedMember, Erasure
from equipage.emails.models import OutboundEmail
from equipage.emails.outbox import deliver_due
from equipage.imports.jobs import job_confirm, job_create, run_apply, run_preview
from equipage.imports.models import ImportChunk, ImportJob
from equipage.permissions import Origin, as_actor
from equipage.webhooks.models import WebhookDelivery
from tests.imports.helpers import EN_HEADER, csv_bytes

# Distinctive, so that finding one anywhere can only be a leftover of this member.
LOGIN = "zephyrine.quixotlwa"
EMAIL = "zq.unique7731@quixotl-mail.test"
FIRST = "Zéphyrine"
LAST = "Quixotlwà"
PHONE = "+33 6 98 76 54 31"
EXTERNAL = "EXT-QX-99817"
JOB = "Cryogéniste principale"
# The address they moved to through the verified flow, and the one they asked for next.
EMAIL_NOW = "zq.moved8842@quixotl-mail.test"
EMAIL_ASKED = "zq.pending5519@quixotl-mail.test"
SSO_SUBJECT = "quixotl-idp-subject-66120"
IDENTIFIERS = (LOGIN, EMAIL, EMAIL_NOW, EMAIL_ASKED, SSO_SUBJECT, FIRST, LAST, PHONE, EXTERNAL, JOB)
CONFIRM_LINK = re.compile(r"/email/confirm/([^/\s]+)/")


def _variants(term: str) -> set[str]:
    """The forms a value takes once stored: as is, JSON-escaped (SQLite), case-folded."""
    return {term.casefold(), json.dumps(term)[1:-1].casefold()}


def _as_text(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bytes | memoryview):
        raw = bytes(value)
        texts = [raw.decode(enc, errors="ignore") for enc in ("utf-8", "utf-16", "cp1252")]
        with contextlib.suppress(zlib.error):  # a report's lines are compressed
            texts.append(zlib.decompress(raw).decode("utf-8", errors="ignore"))
        return texts
    if isinstance(value, dict | list):
        return [json.dumps(value), json.dumps(value, ensure_ascii=False)]
    return [str(value)]


def traces_of(*terms: str) -> list[str]:
    """Return "<table>.<column>: <term>" for every stored value holding one of ``terms``."""
    wanted = {v for t in terms for v in _variants(t)}
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(
                f, models.CharField | models.TextField | models.JSONField | models.BinaryField
            )
        ]
        if not columns:
            continue
        for row in model._base_manager.values_list(*columns).iterator():
            for name, value in zip(columns, row, strict=True):
                for text in _as_text(value):
                    low = text.casefold()
                    found += [f"{model._meta.db_table}.{name}: {w}" for w in wanted if w in low]
    return sorted(set(found))


@pytest.fixture
def traced(org: Any, admin: Any, owner: Any, member: Any, frozen_clock: Any) -> Member:
    """A member made by an import, who then leaves traces everywhere: audit events (their
    own changes, their login, actions they did), mails sent to them, webhook deliveries
    about them, the import's reports, a session."""
    from equipage.accounts.actions import member_send_password_link, member_set_roles
    from equipage.webhooks.actions import webhook_create

    webhook_create(
        actor=admin,
        organization=org,
        url="https://hooks.example.com/in",
        events=["member.created", "member.updated", "member.deleted"],
    )
    data = csv_bytes([[LOGIN, LAST, FIRST, EMAIL, "", "Active"]], header=EN_HEADER, delimiter=",")
    job = job_create(
        actor=as_actor(admin), organization=org, data=data, filename="roster.csv", mode="upsert"
    )
    run_preview(job.pk)
    job.refresh_from_db()
    job_confirm(actor=as_actor(admin), job=job, confirm_mass_deactivation=False)
    run_apply(job.pk)
    traced = Member.objects.get(organization=org, login=LOGIN)
    member_update(actor=admin, member=traced, phone=PHONE, external_id=EXTERNAL, job_title=JOB)
    member_set_roles(actor=owner, member=traced, roles=["user_admin"])
    traced.refresh_from_db()
    member_send_password_link(actor=admin, member=traced)
    assert deliver_due() >= 1  # sent, through the test's mail backend
    traced.set_password("Correct-horse-42")
    traced.save(update_fields=["password"])
    client = Client()
    response = client.post(
        f"/o/{org.slug}/login", {"identifier": LOGIN, "password": "Correct-horse-42"}
    )
    assert response.status_code == 302, response.content[:500]
    # An action of theirs, with their name as the actor's label.
    traced.refresh_from_db()
    member_update(actor=traced, member=member, job_title="Vendeuse")
    _leave_account_traces(org, traced, client)
    traced.refresh_from_db()
    return traced


def _leave_account_traces(org: Any, traced: Member, client: Client) -> None:
    """What the tables of issue #18 keep: a verified change of address (the old one stays
    in the trail and in the outbox: the notice went there), a pending one, a console
    session, an SSO link and a refused SSO login naming the old address, an
    authenticator, a failed login, and a download of their data."""
    from equipage.accounts.actions.emailchange import email_change_request
    from equipage.accounts.data_export import member_data_export
    from equipage.accounts.models import ConsoleSession
    from equipage.sso.actions import sso_refusal_record
    from equipage.sso.models import SsoLink
    from equipage.twofactor.actions import totp_enrolment_confirm, totp_enrolment_start

    email_change_request(actor=traced, member=traced, new_email=EMAIL_NOW)
    confirm = OutboundEmail.objects.filter(to=EMAIL_NOW).latest("id")
    found = CONFIRM_LINK.search(confirm.body_text)
    assert found, confirm.body_text
    assert Client().post(f"/o/{org.slug}/email/confirm/{found.group(1)}/").status_code == 302
    traced.refresh_from_db()
    assert traced.email == EMAIL_NOW
    email_change_request(actor=traced, member=traced, new_email=EMAIL_ASKED)
    assert client.get(f"/o/{org.slug}/me/").status_code == 200
    assert ConsoleSession.objects.filter(member=traced).exists()
    SsoLink.objects.create(
        organization=org,
        member=traced,
        issuer="https://idp.quixotl.test",
        subject=SSO_SUBJECT,
        created_at=clock.now(),
    )
    refused = Origin("web", "192.0.2.5")
    sso_refusal_record(organization=org, reason="no_match", origin=refused, subject=EMAIL)
    # A provider that gave no e-mail: the refusal names the subject, tied to them by the link.
    sso_refusal_record(organization=org, reason="not_active", origin=refused, subject=SSO_SUBJECT)
    secret = totp_enrolment_start(actor=traced, member=traced)
    totp_enrolment_confirm(actor=traced, member=traced, code=pyotp.TOTP(secret).at(clock.now()))
    failed = Client().post(f"/o/{org.slug}/login", {"identifier": LOGIN, "password": "wrong-1"})
    assert failed.status_code == 200
    assert AuditEvent.objects.filter(event_type="member.login_failed", member=traced).exists()
    "".join(member_data_export(actor=traced, member=traced))
    assert deliver_due() >= 1


def test_an_erased_member_leaves_no_identifier_in_any_table_of_any_model(
    org: Any, admin: Any, traced: Member, frozen_clock: Any
) -> None:
    before = traces_of(*IDENTIFIERS)
    # The traces are there to begin with: the search is able to find them.
    tables = {t.split(".")[0] for t in before}
    assert {
        "accounts_member",
        "audit_auditevent",
        "emails_outboundemail",
        "webhooks_webhookdelivery",
        "imports_importjob",
        "imports_importchunk",
        "accounts_emailchange",
        "sso_ssolink",
    } <= tables, before
    old_address = {t for t in before if t.endswith(EMAIL.casefold())}
    assert {t.split(":")[0] for t in old_address} >= {
        "audit_auditevent.before",
        "audit_auditevent.target_label",
        "emails_outboundemail.to",
    }, old_address
    member_delete(actor=admin, member=traced)
    frozen_clock.advance(days=org.bin_days + 1)
    assert empty_bins() == 1
    assert traces_of(*IDENTIFIERS) == []
    # What remains is enough to count and to follow the trail, under one pseudonym.
    alias = pseudonym(org.pk, traced.pk, org.language)
    assert AuditEvent.objects.filter(event_type="member.erased", target_label=alias).count() == 1
    assert AuditEvent.objects.filter(actor_label=alias).exists()  # what they did
    assert AuditEvent.objects.filter(target_label=alias).count() >= 4  # what was done to them
    assert OutboundEmail.objects.filter(to=alias).exists()  # that mail was sent to them
    assert WebhookDelivery.objects.filter(organization=org).count() >= 2
    job = ImportJob.objects.get(organization=org)
    assert job.result is not None and not ImportChunk.objects.filter(job=job, part="upload")


def test_erasure_keeps_other_members_data_whole(
    org: Any, admin: Any, member: Any, traced: Member
) -> None:
    snapshot = Member.objects.filter(pk=member.pk).values().get()
    events = list(
        AuditEvent.objects.filter(member_id=member.pk).values_list("before", "after", "event_type")
    )
    erase_members(org, [traced.pk])
    assert Member.objects.filter(pk=member.pk).values().get() == snapshot
    after = list(
        AuditEvent.objects.filter(member_id=member.pk).values_list("before", "after", "event_type")
    )
    # The other member's events keep their content; only the erased actor's label changed.
    assert after == events


def test_a_former_address_now_anothers_is_left_to_them(
    org: Any, admin: Any, member: Any, traced: Member
) -> None:
    """The erased member's old address, given since to another member, is that member's
    data: the erasure searches for the other former identifiers, not for it."""
    from equipage.accounts.erasure import former_identifiers

    assert ("email", EMAIL) in former_identifiers(org, [traced])[traced.pk]
    member_update(actor=admin, member=member, email=EMAIL)
    assert ("email", EMAIL) not in former_identifiers(org, [traced])[traced.pk]
    assert ("email", EMAIL_ASKED) in former_identifiers(org, [traced])[traced.pk]
    erase_members(org, [traced.pk])
    member.refresh_from_db()
    assert member.email == EMAIL
    [change] = AuditEvent.objects.filter(member_id=member.pk, after__email=EMAIL)
    assert change.event_type == "member.updated"
    assert OutboundEmail.objects.filter(member_id=member.pk).exists()


def test_an_ordinary_word_login_is_replaced_only_in_rows_tied_to_the_member(org: Any) -> None:
    """A login like "admin" is not searched for across the organization: it would erase the
    word from everyone's rows; in the member's own rows, every personal value goes."""
    erasure = Erasure(
        org, [ErasedMember(pk=99, pseudonym="P#1", login="admin", first_name="Ana", last_name="B")]
    )
    assert erasure.scrub_text("roles: admin, member") == "roles: admin, member"
    assert erasure.scrub_text("Ana B was here") == "P#1 was here"
    snapshot = {"login": "admin", "first_name": "Ana", "roles": ["admin"]}
    assert erasure.scrub_json(snapshot) == {"login": "P#1", "first_name": "P#1", "roles": ["admin"]}
    assert erasure.scrub_json({"login": "someone", "roles": ["admin"]}) == {
        "login": "someone",
        "roles": ["admin"],
    }


def test_every_app_with_traces_registers_its_scrubber() -> None:
    names = {f"{fn.__module__}.{fn.__name__}" for fn in SCRUBBERS}
    assert {
        "equipage.audit.erasure.scrub_audit_trail",
        "equipage.emails.erasure.scrub_outbox",
        "equipage.webhooks.erasure.scrub_webhook_deliveries",
        "equipage.imports.erasure.scrub_import_history",
        "equipage.sso.erasure.scrub_refused_subjects",
    } <= names


def test_erasing_is_all_or_nothing(org: Any, traced: Member) -> None:
    def broken(erasure: Erasure) -> None:
        raise RuntimeError("disk full")

    SCRUBBERS.append(broken)
    try:
        with pytest.raises(RuntimeError):
            erase_members(org, [traced.pk])
    finally:
        SCRUBBERS.remove(broken)
    assert Member.objects.filter(pk=traced.pk, login=LOGIN).exists()
    assert AuditEvent.objects.filter(target_label__contains=LAST).exists()


def test_a_preview_waiting_that_names_the_member_is_cancelled(
    org: Any, admin: Any, traced: Member
) -> None:
    data = csv_bytes([[LOGIN, LAST, FIRST, EMAIL, "", "Active"]], header=EN_HEADER, delimiter=",")
    job = job_create(
        actor=as_actor(admin), organization=org, data=data, filename="again.csv", mode="upsert"
    )
    run_preview(job.pk)
    erase_members(org, [traced.pk])
    job.refresh_from_db()
    assert job.status == "cancelled" and not ImportChunk.objects.filter(job=job).exists()


def test_pseudonym_is_stable_and_says_nothing_personal(org: Any, traced: Member) -> None:
    first = pseudonym(org.pk, traced.pk, "fr")
    assert first == pseudonym(org.pk, traced.pk, "fr") != pseudonym(org.pk, traced.pk + 1, "fr")
    assert first.startswith("Membre effacé #") and LOGIN not in first
    assert pseudonym(org.pk, traced.pk, "en").startswith("Erased member #")


def test_searching_for_many_members_at_once_stays_within_the_databases_limits(
    org: Any, admin: Any, member: Any
) -> None:
    """A batch of erased members is searched a few identifiers per query: one OR of
    thousands of conditions would exceed SQLite's expression depth (1000)."""
    from equipage.core.erasure import scrub_matching

    many = [
        ErasedMember(
            pk=10_000 + i,
            pseudonym=f"P#{i}",
            login=f"someone.{i}",
            email=f"someone{i}@example.test",
            first_name=f"First{i}",
            last_name=f"Last{i}",
        )
        for i in range(400)
    ]
    many.append(ErasedMember(pk=member.pk, pseudonym="P#mia", email=member.email))
    erasure = Erasure(org, many)
    assert len(erasure.strong_terms()) > 1000
    assert scrub_matching(erasure, AuditEvent.objects.filter(organization=org), ["after"]) >= 1
    assert not AuditEvent.objects.filter(after__icontains=member.email).exists()


def test_former_addresses_of_a_whole_batch_are_checked_within_the_databases_limits(
    org: Any, member: Any
) -> None:
    """An erasure batch brings hundreds of former addresses: checking which one another
    member holds now runs a few hundred per query (SQLite's expression depth is 1000)."""
    from equipage.accounts.erasure import _held_by_others

    found: dict[int, set[Any]] = {
        10_000 + i: {("email", f"gone{i}@example.test")} for i in range(1200)
    }
    found[10_000].add(("email", member.email.upper()))
    assert _held_by_others(org, found) == {("email", member.email.casefold())}
