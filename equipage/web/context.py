"""Template context shared by every page: the organization, mail status and the navigation."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy as _

from equipage.permissions import Cap, can


@functools.lru_cache(maxsize=4096)
def _resolves(path: str) -> bool:
    """Tell whether another app serves ``path`` (pages built by other issues appear when ready).

    Kept per process: the URL conf does not change once loaded (six resolutions a page).
    """
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def navigation(request: HttpRequest) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Return the nav entries the current actor may use, and links to optional pages."""
    org = getattr(request, "organization", None)
    actor = getattr(request, "actor", None)
    if org is None or actor is None:
        return [], {}
    base = f"/o/{org.slug}"
    optional = {
        "import": f"{base}/members/import",
        "export": f"{base}/members/export",
        "invitations": f"{base}/invitations/",
        "invite": f"{base}/invitations/new",
        "webhooks": f"{base}/webhooks/",
        "tokens": f"{base}/tokens/",
    }
    links = {k: v for k, v in optional.items() if _resolves(v)}
    entries: list[dict[str, Any]] = []

    def add(key: str, label: Any, url: str, cap: Cap | None = None) -> None:
        if cap is None or can(actor, cap, org):
            entries.append({"key": key, "label": label, "url": url})

    add("members", _("Members"), f"{base}/members", Cap.MEMBER_VIEW)
    if "invitations" in links:
        add("invitations", _("Invitations"), links["invitations"], Cap.MEMBER_INVITE)
    add("groups", _("Groups"), f"{base}/groups/", Cap.GROUP_MANAGE)
    add("labels", _("Labels"), f"{base}/labels/", Cap.LABEL_MANAGE)
    add("fields", _("Custom fields"), f"{base}/fields/", Cap.CUSTOM_FIELD_MANAGE)
    add("settings", _("Settings"), f"{base}/settings/", Cap.ORG_SETTINGS)
    if "webhooks" in links:
        add("webhooks", _("Webhooks"), links["webhooks"], Cap.WEBHOOK_MANAGE)
    if "tokens" in links:
        add("tokens", _("API tokens"), links["tokens"], Cap.TOKEN_MANAGE)
    add("audit", _("Audit log"), f"{base}/audit/", Cap.AUDIT_LOG)
    add("me", _("My profile"), f"{base}/me/")
    return entries, links


def _banner_facts(request: HttpRequest) -> tuple[bool, int, bool]:
    """Return what the banners of every console page ask, in one statement: whether a
    pending ownership transfer concerns the viewer, how many mails wait after a failed
    try, and whether the viewer dismissed the mail notice.

    The same conditions as ``accounts.selectors.pending_transfer(org, party=…)``, the
    backlog count and ``web.actions.dismissed``; three ORM queries, compiled on every
    page, were a tenth of the directory's CPU (#20).
    """
    from equipage.accounts.models import OwnershipTransfer, TransferStatus
    from equipage.emails.models import MailStatus, OutboundEmail
    from equipage.web.models import Notice, NoticeDismissal

    org = getattr(request, "organization", None)
    user = getattr(request, "user", None)
    actor = getattr(request, "actor", None)
    if org is None:
        return False, 0, False
    member_id = user.pk if user is not None and user.is_authenticated else None
    sees = actor is not None and can(actor, Cap.MEMBER_VIEW, org)
    viewer = actor.member if sees and actor is not None else None
    q = connection.ops.quote_name
    transfers, mails, dismissals = (
        q(m._meta.db_table) for m in (OwnershipTransfer, OutboundEmail, NoticeDismissal)
    )
    # Table names quoted, every value bound.
    parts: list[str] = []
    params: list[Any] = []
    if member_id is not None:
        parts.append(
            f"EXISTS (SELECT 1 FROM {transfers} WHERE organization_id = %s"  # noqa: S608
            " AND status = %s AND (to_member_id = %s OR from_member_id = %s))"
        )
        params += [org.pk, TransferStatus.PENDING, member_id, member_id]
    if sees:
        parts.append(
            f"(SELECT COUNT(*) FROM {mails} WHERE organization_id = %s"  # noqa: S608
            " AND status = %s AND attempts > 0)"
        )
        params += [org.pk, MailStatus.QUEUED]
    if viewer is not None:
        parts.append(f"EXISTS (SELECT 1 FROM {dismissals} WHERE member_id = %s AND notice = %s)")  # noqa: S608
        params += [viewer.pk, Notice.MAIL_UNCONFIGURED]
    if not parts:
        return False, 0, False
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = list(cursor.fetchone())
    offer = bool(row.pop(0)) if member_id is not None else False
    backlog = int(row.pop(0)) if sees else 0
    dismissed = bool(row.pop(0)) if row else False
    return offer, backlog, dismissed


def mail_notices(request: HttpRequest, backlog: int, dismissed: bool) -> dict[str, Any]:
    """Tell the organization's admins that mail is off, or that mails wait for the SMTP server."""
    org = getattr(request, "organization", None)
    actor = getattr(request, "actor", None)
    if org is None or actor is None or not can(actor, Cap.MEMBER_VIEW, org):
        return {"mail_unconfigured_notice": False, "mail_backlog": 0}
    return {
        # An operator's problem: told to those who run the organization, not to every admin.
        # Shown once: « Masquer » remembers it per member; the settings page keeps it.
        "mail_unconfigured_notice": not settings.EQUIPAGE_MAIL_CONFIGURED
        and actor.member is not None
        and can(actor, Cap.ORG_SETTINGS, org)
        and not dismissed,
        "mail_backlog": backlog,
    }


def ownership_offer(request: HttpRequest, pending: bool) -> dict[str, Any]:
    """The pending ownership transfer that concerns the viewer: offered to them, or by them."""
    org = getattr(request, "organization", None)
    user = getattr(request, "user", None)
    if not pending or org is None or user is None or not user.is_authenticated:
        return {}
    from equipage.accounts.selectors import pending_transfer

    transfer = pending_transfer(org, party=user)
    return {"ownership_offer": transfer} if transfer else {}


def equipage(request: HttpRequest) -> dict[str, Any]:
    entries, links = navigation(request)
    pending, backlog, dismissed = _banner_facts(request)
    return {
        **ownership_offer(request, pending),
        "organization": getattr(request, "organization", None),
        "mail_configured": settings.EQUIPAGE_MAIL_CONFIGURED,
        **mail_notices(request, backlog, dismissed),
        "nav_entries": entries,
        "links": links,
    }
