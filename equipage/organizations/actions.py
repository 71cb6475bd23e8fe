"""Every write about organizations: creation (with its owner), settings, temporary password,
deletion."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext as _

from equipage.accounts.models import Member
from equipage.audit.events import EventType
from equipage.audit.record import record
from equipage.core import clock
from equipage.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from equipage.organizations.models import (
    DEFAULT_TEMP_PASSWORD,
    Feature,
    FirstPasswordPolicy,
    Language,
    Organization,
)
from equipage.permissions import Actor, Cap, as_actor, authorize

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

SETTINGS_FIELDS = {
    "name",
    "language",
    "invitation_lifetime_days",
    "first_password_policy",
    "members_can_edit_contact",
    "deactivation_notice",
    "daily_invitation_limit",
}


@dataclass
class CreatedOrganization:
    organization: Organization
    owner: Any
    set_password_link: str


def organization_create(
    *,
    actor: Actor,
    slug: str,
    name: str,
    owner_email: str,
    owner_first_name: str = "",
    owner_last_name: str = "",
    seats: int | None = None,
    language: str = Language.FR,
) -> CreatedOrganization:
    """Create an organization and its owner; the owner gets a single-use set-password link."""
    from equipage.accounts.actions.members import clean_email, refresh_search_text
    from equipage.accounts.actions.passwords import send_set_password_link
    from equipage.accounts.models import Member, MemberRole, MemberState, Role
    from equipage.accounts.snapshots import member_snapshot

    if actor.kind != "operator":
        raise PermissionDenied(_("Only the platform operator can create organizations."))
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        raise ValidationFailed(
            _("The slug must be lower-case letters, digits and dashes (e.g. “acme”)."), field="slug"
        )
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("A name is required."), field="name")
    if language not in Language.values:
        raise ValidationFailed(_("Language must be fr or en."), field="language")
    if seats is not None and seats < 1:
        raise ValidationFailed(
            _("An organization needs at least one seat for its owner."), field="seats"
        )
    owner_email = clean_email(owner_email)
    if not owner_email:
        raise ValidationFailed(_("The owner's e-mail address is required."), field="owner_email")

    with transaction.atomic():
        if Organization.objects.filter(slug=slug).exists():
            raise Conflict(
                _("An organization with the slug “%(s)s” already exists.") % {"s": slug},
                field="slug",
            )
        now = clock.now()
        org = Organization.objects.create(
            slug=slug,
            name=name,
            seats=seats,
            language=language,
            temp_password_hash=make_password(DEFAULT_TEMP_PASSWORD),
            created_at=now,
            updated_at=now,
        )
        local = owner_email.split("@")[0].lower()
        owner = Member(
            organization=org,
            login=local,
            email=owner_email,
            first_name=owner_first_name.strip() or local,
            last_name=owner_last_name.strip(),
            state=MemberState.ACTIVE,
            created_at=now,
            updated_at=now,
            activated_at=now,
        )
        owner.set_unusable_password()
        refresh_search_text(owner)
        owner.save()
        MemberRole.objects.bulk_create(
            [MemberRole(organization=org, member=owner, role=r) for r in (Role.OWNER, Role.ADMIN)]
        )
        record(
            actor=actor,
            organization=org,
            event=EventType.ORG_CREATED,
            target=org,
            after={
                "slug": slug,
                "name": name,
                "seats": seats,
                "language": language,
                "owner": owner_email,
            },
        )
        record(
            actor=actor,
            organization=org,
            event=EventType.MEMBER_CREATED,
            target=owner,
            after={**member_snapshot(owner), "roles": [Role.OWNER, Role.ADMIN]},
        )
        link = send_set_password_link(owner)
    return CreatedOrganization(org, owner, link)


def organization_update(
    *, actor: Actor | Member, organization: Organization, **changes: Any
) -> Organization:
    """Change settings (admins), seats (the owner or the operator) or features (the operator)."""
    actor = as_actor(actor)
    unknown = set(changes) - SETTINGS_FIELDS - {"seats", "features"}
    if unknown:
        raise ValidationFailed(_("Unknown setting: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if set(changes) & SETTINGS_FIELDS:
        authorize(actor, Cap.ORG_SETTINGS, organization)
    if "seats" in changes:
        authorize(actor, Cap.ORG_BILLING, organization)
    if "features" in changes and actor.kind != "operator":
        raise PermissionDenied(_("Features are switched on by the platform operator."))
    if "language" in changes and changes["language"] not in Language.values:
        raise ValidationFailed(_("Language must be fr or en."), field="language")
    if (
        "first_password_policy" in changes
        and changes["first_password_policy"] not in FirstPasswordPolicy.values
    ):
        raise ValidationFailed(_("Unknown first-password policy."), field="first_password_policy")
    if (
        "invitation_lifetime_days" in changes
        and not 1 <= int(changes["invitation_lifetime_days"]) <= 90
    ):
        raise ValidationFailed(
            _("The invitation lifetime is between 1 and 90 days."), field="invitation_lifetime_days"
        )
    if "features" in changes:
        bad = set(changes["features"]) - set(Feature.values)
        if bad:
            raise ValidationFailed(_("Unknown feature: %(f)s") % {"f": ", ".join(sorted(bad))})
    with transaction.atomic():
        from equipage.organizations.seats import lock_organization
        from equipage.organizations.selectors import seat_usage

        org = lock_organization(organization.pk)
        if "seats" in changes and changes["seats"] is not None:
            used = seat_usage(org).used
            if int(changes["seats"]) < used:
                raise ValidationFailed(
                    _("Seats cannot be set below the %(used)d seats in use.") % {"used": used},
                    field="seats",
                )
        if "features" in changes:
            changes["features"] = {**org.features, **changes["features"]}
        before = {k: getattr(org, k) for k in changes}
        for k, v in changes.items():
            setattr(org, k, v)
        after = {k: getattr(org, k) for k in changes}
        if before == after:
            return org
        org.updated_at = clock.now()
        org.save(update_fields=[*changes, "updated_at"])
        record(
            actor=actor,
            organization=org,
            event=EventType.ORG_UPDATED,
            target=org,
            before=before,
            after=after,
        )
    organization.refresh_from_db()
    return org


def organization_set_temp_password(
    *, actor: Actor | Member, organization: Organization, password: str
) -> None:
    """Change the shared temporary password (stored hashed, never shown again)."""
    actor = as_actor(actor)
    authorize(actor, Cap.ORG_SETTINGS, organization)
    if len(password or "") < 6:
        raise ValidationFailed(
            _("The temporary password needs at least 6 characters."), field="password"
        )
    with transaction.atomic():
        organization.temp_password_hash = make_password(password)
        organization.updated_at = clock.now()
        organization.save(update_fields=["temp_password_hash", "updated_at"])
        record(
            actor=actor,
            organization=organization,
            event=EventType.ORG_TEMP_PASSWORD_CHANGED,
            target=organization,
        )


def organization_delete(
    *, actor: Actor | Member, organization: Organization, confirm_slug: str
) -> None:
    """Delete the organization and everything in it, for good (the owner or the operator).

    The ``org.deleted`` audit event is written first; the organization's audit
    rows survive with ``organization`` cleared and ``organization_slug`` kept.
    Members, groups, labels, fields, invitations, tokens, webhooks, import jobs
    and queued e-mails go; members' sessions end because their accounts are gone.
    """
    from equipage.imports.models import ImportJob
    from equipage.organizations.deletion import delete_organization_rows
    from equipage.organizations.seats import lock_organization
    from equipage.organizations.selectors import organization_footprint

    actor = as_actor(actor)
    authorize(actor, Cap.ORG_DELETE, organization)
    if (confirm_slug or "").strip() != organization.slug:
        raise ValidationFailed(
            _("Type the organization's identifier “%(s)s” to confirm the deletion.")
            % {"s": organization.slug},
            field="confirm",
        )
    with transaction.atomic():
        try:
            org = lock_organization(organization.pk)
        except Organization.DoesNotExist:
            raise NotFound(_("Not found.")) from None
        if ImportJob.objects.filter(organization=org, lock=True).exists() and not _stale_import(
            org
        ):
            raise Conflict(
                _(
                    "An import is in progress for this organization; wait until it ends, "
                    "then delete the organization."
                ),
                code="import_in_progress",
            )
        files = [
            path
            for path in ImportJob.objects.filter(organization=org).values_list(
                "file_path", flat=True
            )
            if path
        ]
        footprint = organization_footprint(org)
        record(
            actor=actor,
            organization=org,
            event=EventType.ORG_DELETED,
            target=org,
            before={
                "slug": org.slug,
                "name": org.name,
                "members": footprint.members,
                "groups": footprint.groups,
                "queued_emails": footprint.queued_emails,
            },
        )
        delete_organization_rows(org.pk)
        transaction.on_commit(lambda: _remove_import_files(files))


def _stale_import(organization: Organization) -> bool:
    """Break an import lock whose process died, as the import itself does; True if freed."""
    from equipage.imports.actions import _break_stale_lock

    return _break_stale_lock(organization)


def _remove_import_files(paths: list[str]) -> None:
    """Remove the uploaded rosters of a deleted organization (personal data), only ours."""
    import contextlib
    from pathlib import Path

    from django.conf import settings

    root = (Path(settings.MEDIA_ROOT) / "imports").resolve()
    for raw in paths:
        path = Path(raw).resolve()
        if path.parent == root:
            with contextlib.suppress(OSError):
                path.unlink()


def organization_set_scim_accept_passwords(
    *, actor: Actor | Member, organization: Organization, accept: bool
) -> Organization:
    """Accept or ignore the passwords identity providers send over SCIM (SPEC §9, off by default).

    Okta sends a placeholder password on every create: accepted, it would
    become a login password nobody chose. Only an organization whose IdP
    really syncs passwords turns this on.
    """
    actor = as_actor(actor)
    authorize(actor, Cap.ORG_SETTINGS, organization)
    with transaction.atomic():
        from equipage.organizations.seats import lock_organization

        org = lock_organization(organization.pk)
        before = {"scim_accept_passwords": org.scim_accept_passwords}
        if before["scim_accept_passwords"] == bool(accept):
            return org
        org.scim_accept_passwords = bool(accept)
        org.updated_at = clock.now()
        org.save(update_fields=["scim_accept_passwords", "updated_at"])
        record(
            actor=actor,
            organization=org,
            event=EventType.ORG_UPDATED,
            target=org,
            before=before,
            after={"scim_accept_passwords": org.scim_accept_passwords},
        )
    organization.refresh_from_db()
    return org
