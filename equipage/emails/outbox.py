"""Queueing and delivering mails through the persistent outbox."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
import smtplib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import translation

from equipage.core import clock
from equipage.emails.leasing import Claim, LeasedQueue
from equipage.emails.models import MailKind, MailStatus, OutboundEmail
from equipage.instance.links import base_url

if TYPE_CHECKING:
    from equipage.accounts.models import Member
    from equipage.organizations.models import Organization

log = logging.getLogger(__name__)

MAX_BACKOFF = dt.timedelta(hours=1)
METADATA_KEY = "equipage_message_id"


def _one_line(text: str) -> str:
    # Names go into the subject: never let them add a header.
    return " ".join(str(text).split())


def render_mail(kind: MailKind, language: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Render subject, text and HTML bodies of a mail kind in ``language``."""
    with translation.override(language):
        subject = _one_line(render_to_string(f"emails/{kind}.subject.txt", context))
        text = render_to_string(f"emails/{kind}.txt", context)
        html = render_to_string(f"emails/{kind}.html", context)
    return subject, text, html


def queue_mail(
    *,
    kind: MailKind,
    to: str,
    organization: Organization | None,
    member: Member | None = None,
    language: str | None = None,
    context: dict[str, Any] | None = None,
) -> OutboundEmail:
    """Write the mail into the outbox now; the worker sends it after the commit.

    Called inside an action's transaction: if the action rolls back, the mail
    never existed; if SMTP is down, the mail waits.
    """
    lang = (
        language
        or (member.effective_language() if member else None)
        or (organization.language if organization else "en")
    )
    ctx = {"organization": organization, "member": member, "base_url": base_url()}
    ctx.update(context or {})
    subject, text, html = render_mail(kind, lang, ctx)
    email = _outbox_row(organization, member, kind, to, (subject, text, html), lang, clock.now())
    email.save(force_insert=True)
    transaction.on_commit(lambda: _enqueue(email.pk))
    return email


def _outbox_row(
    organization: Organization | None,
    member: Member | None,
    kind: MailKind,
    to: str,
    rendered: tuple[str, str, str],
    language: str,
    now: Any,
) -> OutboundEmail:
    """Return the unsaved outbox row of one rendered mail, due now, with its own Message-ID."""
    subject, text, html = rendered
    return OutboundEmail(
        organization=organization,
        member=member,
        kind=kind,
        to=to,
        subject=subject,
        body_text=text,
        body_html=html,
        language=language,
        message_id=f"<{secrets.token_hex(16)}@{settings.EQUIPAGE_MAIL_DOMAIN}>",
        next_attempt_at=now,
        created_at=now,
    )


# Stand-ins rendered in place of each recipient's values (never in real text: C0 controls).
_MARK = "\x02"
_STENCIL_MEMBER_FIELDS = ("first_name", "last_name", "login", "email")


def _stencil(
    kind: MailKind,
    language: str,
    organization: Organization,
    keys: list[str],
    counts: dict[str, int],
) -> Any:
    """Render a mail once with stand-ins for the member's fields and the per-mail values.

    ``counts`` (« expires in 1 day / 7 days ») are rendered as they are: a number picks
    the plural form, so a stand-in cannot hold its place.
    """
    from equipage.accounts.models import Member

    stand_in = Member(
        organization=organization,
        language=language,
        **{f: f"{_MARK}m.{f}{_MARK}" for f in _STENCIL_MEMBER_FIELDS},
    )
    context: dict[str, Any] = {k: f"{_MARK}c.{k}{_MARK}" for k in keys}
    context.update(counts)
    ctx = {"organization": organization, "member": stand_in, "base_url": settings.EQUIPAGE_BASE_URL}
    return render_mail(kind, language, {**ctx, **context})


def _fill(stencil: str, values: dict[str, str], escape: bool) -> str:
    """Put each recipient's values into a stencil, escaped as the template would for HTML."""
    from django.utils.html import conditional_escape

    parts = stencil.split(_MARK)
    # Stand-ins sit at odd positions: "text", "m.first_name", "text", "c.link", ...
    for i in range(1, len(parts), 2):
        value = values[parts[i]]
        parts[i] = str(conditional_escape(value)) if escape else value
    return "".join(parts)


def queue_mails(
    *,
    kind: MailKind,
    organization: Organization,
    recipients: Sequence[tuple[Member, dict[str, Any]]],
) -> list[int]:
    """Queue one mail per ``(member, context)`` at once: the bulk twin of ``queue_mail``.

    For a bulk action (an import mailing thousands of set-password links): each
    language's template is rendered once with stand-ins, then filled per
    recipient (the same text ``queue_mail`` would write), the rows are inserted
    in batches, and one delivery task per batch is enqueued after the commit.
    A recipient whose values the stencil cannot stand for (an empty name the
    template would replace, a control character) is rendered on its own.
    """
    now = clock.now()
    stencils: dict[tuple[str, tuple[tuple[str, int], ...]], Any] = {}
    rows: list[OutboundEmail] = []
    for member, context in recipients:
        lang = member.effective_language()
        values = {f"m.{f}": str(getattr(member, f)) for f in _STENCIL_MEMBER_FIELDS}
        counts = {k: v for k, v in context.items() if isinstance(v, int)}
        values.update({f"c.{k}": str(v) for k, v in context.items() if k not in counts})
        if all(v and _MARK not in v for v in values.values()):
            key = (lang, tuple(sorted(counts.items())))
            if key not in stencils:
                keys = sorted(set(context) - set(counts))
                stencils[key] = _stencil(kind, lang, organization, keys, counts)
            subject, text, html = (
                _fill(part, values, escape=(i == 2)) for i, part in enumerate(stencils[key])
            )
        else:
            ctx = {"organization": organization, "member": member}
            subject, text, html = render_mail(
                kind, lang, {**ctx, "base_url": settings.EQUIPAGE_BASE_URL, **context}
            )
        rows.append(
            _outbox_row(organization, member, kind, member.email, (subject, text, html), lang, now)
        )
    created = OutboundEmail.objects.bulk_create(rows, batch_size=1000)
    ids = [e.pk for e in created]
    if ids and ids[0] is None:  # a backend that does not return ids: read them back
        ids = list(
            OutboundEmail.objects.filter(message_id__in=[e.message_id for e in rows]).values_list(
                "pk", flat=True
            )
        )
    transaction.on_commit(lambda: _enqueue_batches(ids))
    return ids


DELIVERY_BATCH = 200


def _enqueue_batches(ids: list[int]) -> None:
    from equipage.emails.tasks import deliver_emails

    for start in range(0, len(ids), DELIVERY_BATCH):
        try:
            deliver_emails.enqueue(ids[start : start + DELIVERY_BATCH])
        except Exception:
            log.exception("could not enqueue a batch of mails; the sweep will retry")


def _enqueue(email_id: int, run_after: dt.datetime | None = None) -> None:
    from equipage.emails.tasks import deliver_email

    try:
        task = deliver_email.using(run_after=run_after) if run_after else deliver_email
        task.enqueue(email_id)
    except Exception:
        # The row is safe in the outbox; the worker's sweep will pick it up.
        log.exception("could not enqueue mail %s; the sweep will retry", email_id)


QUEUE = LeasedQueue(
    OutboundEmail,
    queued=MailStatus.QUEUED,
    sending=MailStatus.SENDING,
    done=MailStatus.SENT,
    max_backoff=MAX_BACKOFF,
)


def build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    """Build the mail exactly as the first time: same ``Message-ID``, so a re-send is a duplicate
    every receiving system can recognise."""
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.EQUIPAGE_FROM_EMAIL,
        to=[email.to],
        headers={"Message-ID": email.message_id, "Auto-Submitted": "auto-generated"},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    # With an anymail ESP backend, the provider echoes this back in its tracking events.
    message.metadata = {METADATA_KEY: email.message_id}  # type: ignore[attr-defined]
    return message


def _send(message: EmailMultiAlternatives, accepted: Callable[[], None]) -> None:
    """Hand ``message`` to the mailer and call ``accepted`` as soon as the server took it.

    Over SMTP that is right after the server's 250 to DATA, before QUIT: a
    worker dying in between is the only way the mail is sent twice.
    """
    backend = mail.mailers.default
    backend.open()
    try:
        if backend.send_messages([message]) != 1:
            raise smtplib.SMTPException("the mailer accepted no recipient")
        accepted()
    finally:
        with contextlib.suppress(Exception):  # QUIT failing changes nothing: the mail is out
            backend.close()


def deliver(email_id: int) -> bool:
    """Send one queued mail if it is due; on failure schedule the next try. Never raises."""
    claim = QUEUE.claim(email_id)
    if claim is None:
        return False
    email = OutboundEmail.objects.select_related("organization").get(pk=email_id)
    if _account_gone_inactive(email):
        claim.release(
            status=MailStatus.FAILED,
            last_error="not sent: the account was deactivated after this mail was queued",
        )
        return False
    where = _where(email)
    if claim.resumed:
        log.warning(
            "mail possibly sent by a vanished worker: sending it again with the same "
            "Message-ID (%s)",
            where,
            extra=_log_fields(email),
        )
    sent = handed = False

    def accepted() -> None:
        nonlocal sent, handed
        handed = True
        esp_id = getattr(getattr(message, "anymail_status", None), "message_id", None)
        sent = claim.succeed(
            attempts=F("attempts") + 1,
            sent_at=clock.now(),
            last_error="",
            esp_message_id=esp_id[:255] if isinstance(esp_id, str) else "",
        )

    message = build_message(email)
    try:
        with claim.heartbeat():
            _send(message, accepted)
    except Exception as exc:
        return _failed(claim, email, exc, maybe_sent=handed)
    return sent


def _failed(claim: Claim, email: OutboundEmail, exc: Exception, *, maybe_sent: bool) -> bool:
    attempts = email.attempts + 1
    next_at = clock.now() + QUEUE.backoff(attempts)
    error = f"{type(exc).__name__}: {exc}"[:2000]
    try:
        released = claim.release(
            status=MailStatus.QUEUED,
            attempts=attempts,
            next_attempt_at=next_at,
            last_error=error,
        )
    except Exception:
        # The database is away too: the lease lapses and another round retries the mail.
        log.exception("mail not sent and its failure not recorded (%s)", _where(email))
        return False
    log.warning(
        "%s (%s, attempt %d, next try at %s): %s",
        "mail sent but not recorded, to be sent again with the same Message-ID"
        if maybe_sent
        else "mail not sent",
        _where(email),
        attempts,
        next_at.isoformat(timespec="seconds"),
        error,
        extra={**_log_fields(email), "attempt": attempts},
    )
    if released:
        _enqueue(email.pk, run_after=next_at)
    return False


def _log_fields(email: OutboundEmail) -> dict[str, Any]:
    org = email.organization
    return {
        "organization": org.slug if org else None,
        "message_id": email.message_id,
        "mail_id": email.pk,
        "mail_kind": email.kind,
    }


def _where(email: OutboundEmail) -> str:
    fields = _log_fields(email)
    return (
        f"organization={fields['organization'] or '-'} message_id={email.message_id} "
        f"mail={email.pk} kind={email.kind}"
    )


# Mails that open an account: never sent to one deactivated meanwhile (issue #13.5).
_ACCOUNT_OPENING = frozenset({MailKind.SET_PASSWORD, MailKind.PASSWORD_RESET, MailKind.CREDENTIALS})


def _account_gone_inactive(email: OutboundEmail) -> bool:
    """Tell whether ``email`` would open an account that was deactivated since it was queued."""
    if email.kind not in _ACCOUNT_OPENING or email.member_id is None:
        return False
    from equipage.accounts.models import Member, MemberState

    return Member.objects.filter(pk=email.member_id, state=MemberState.DEACTIVATED).exists()


def due_ids(limit: int = 500) -> list[int]:
    """Return ids of mails that should be sent now (queued and due, or whose lease lapsed)."""
    return QUEUE.due_ids(limit)


def deliver_due(limit: int = 500) -> int:
    """Send every due mail now, in this process; returns how many went out."""
    return sum(1 for pk in due_ids(limit) if deliver(pk))
