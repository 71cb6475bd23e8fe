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
from equipage.core.errors import Conflict, NotFound, ValidationFailed
from equipage.core.text import clean_name
from equipage.organizations.models import (
    BIN_DAYS_MAX,
    BIN_DAYS_MIN,
    RETENTION_DAYS_MAX,
    RETENTION_DAYS_MIN,
    SESSION_IDLE_MINUTES_MAX,
    SESSION_IDLE_MINUTES_MIN,
    Feature,
    FirstPasswordPolicy,
    Language,
    Organization,
)
from equipage.organizations.retention import RETENTION_FIELDS
from equipage.permissions import Actor, Cap, as_actor, authorize, refuse

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

SETTINGS_FIELDS = {
    "name",
    "language",
    "invitation_lifetime_days",
    "first_password_policy",
    "members_can_edit_contact",
    "deactivation_notice",
    "daily_invitation_limit",
    "session_idle_minutes",
    # Deletion, the bin and erasure: the bin's days and how long each history is kept.
    "bin_days",
    *RETENTION_FIELDS,
    "password_min_length",
}


def _check_retention(changes: dict[str, Any]) -> None:
    """Refuse a bin period or a retention outside its bounds (organizations.models)."""
    bounds = {"bin_days": (BIN_DAYS_MIN, BIN_DAYS_MAX)}
    bounds.update((name, (RETENTION_DAYS_MIN, RETENTION_DAYS_MAX)) for name in RETENTION_FIELDS)
    for name, (low, high) in bounds.items():
        if name not in changes:
            continue
        try:
            days = int(changes[name])
        except (TypeError, ValueError):
            days = -1
        if not low <= days <= high:
            raise ValidationFailed(
                _("Choose a number of days from %(low)d to %(high)d.") % {"low": low, "high": high},
                field=name,
            )
        changes[name] = days


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
    from equipage.accounts.owner import clean_owner_email, owner_create

    if actor.kind != "operator":
        raise refuse(actor, _("Only the platform operator can create organizations."))
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        raise ValidationFailed(
            _("The slug must be lower-case letters, digits and dashes (e.g. “acme”)."), field="slug"
        )
    name = clean_name(name, field="name", max_length=200, required=True)
    if language not in Language.values:
        raise ValidationFailed(_("Language must be fr or en."), field="language")
    if seats is not None and seats < 1:
        raise ValidationFailed(
            _("An organization needs at least one seat for its owner."), field="seats"
        )
    owner_email = clean_owner_email(owner_email)
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
            first_password_policy=FirstPasswordPolicy.LINK,
            created_at=now,
            updated_at=now,
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
        owner = owner_create(
            actor=actor,
            organization=org,
            email=owner_email,
            first_name=owner_first_name,
            last_name=owner_last_name,
            now=now,
        )
    return CreatedOrganization(org, owner.member, owner.link)


def organization_update(
    *, actor: Actor | Member, organization: Organization, **changes: Any
) -> Organization:
    """Change settings (admins), seats (the owner or the operator) or features (the operator).

    ``temporary_password`` (write-only) sets the shared policy's password: it is
    checked, stored hashed and audited as changed, never written in clear. The
    shared policy cannot be chosen without one; going back to ``link`` forgets it.
    """
    actor = as_actor(actor)
    unknown = set(changes) - SETTINGS_FIELDS - {"seats", "features", "temporary_password"}
    if unknown:
        raise ValidationFailed(_("Unknown setting: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if set(changes) & (SETTINGS_FIELDS | {"temporary_password"}):
        authorize(actor, Cap.ORG_SETTINGS, organization)
    if "seats" in changes:
        authorize(actor, Cap.ORG_BILLING, organization)
    if "features" in changes and actor.kind != "operator":
        raise refuse(actor, _("Features are switched on by the platform operator."))
    _check_settings(changes)
    with transaction.atomic():
        from equipage.organizations.seats import lock_organization

        org = lock_organization(organization.pk)
        if changes.get("seats") is not None:
            _check_seats(org, int(changes["seats"]))
        if "features" in changes:
            changes["features"] = {**org.features, **changes["features"]}
        _apply_first_password(org, changes)
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
            before=_audit_view(before),
            after=_audit_view(after, after=True),
        )
    organization.refresh_from_db()
    return org


def _check_settings(changes: dict[str, Any]) -> None:
    """Refuse settings of the wrong shape, before anything is locked."""
    _check_retention(changes)
    if "name" in changes:
        changes["name"] = clean_name(changes["name"], field="name", max_length=200, required=True)
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
    _check_session_idle(changes)
    if "password_min_length" in changes:
        from equipage.organizations.password_policy import check_min_length

        changes["password_min_length"] = check_min_length(changes["password_min_length"])
    if changes.get("seats") is not None and int(changes["seats"]) < 1:
        raise ValidationFailed(
            _("An organization needs at least one seat for its owner."), field="seats"
        )
    if "features" in changes:
        bad = set(changes["features"]) - set(Feature.values)
        if bad:
            raise ValidationFailed(_("Unknown feature: %(f)s") % {"f": ", ".join(sorted(bad))})


def _check_seats(org: Organization, seats: int) -> None:
    """Refuse a paid seat count below what is in use, naming the numbers."""
    from equipage.organizations.selectors import seat_usage

    usage = seat_usage(org)
    if seats < usage.used:
        raise ValidationFailed(
            _(
                "Seats cannot be set to %(seats)d: seats in use: %(used)d "
                "(active accounts: %(active)d, pending invitations: %(pending)d)."
            )
            % {
                "seats": seats,
                "used": usage.used,
                "active": usage.active,
                "pending": usage.pending_invitations,
            },
            field="seats",
        )


def _apply_first_password(org: Organization, changes: dict[str, Any]) -> None:
    """Turn ``temporary_password`` into ``temp_password_hash``; check the policy has what it needs."""
    from equipage.organizations.first_password import validate_temporary_password

    policy = changes.get("first_password_policy", org.first_password_policy)
    password = changes.pop("temporary_password", None)
    if policy == FirstPasswordPolicy.LINK:
        if password:
            raise ValidationFailed(
                _("A temporary password is only used with the shared policy."),
                field="temporary_password",
            )
        if org.temp_password_hash:
            changes["temp_password_hash"] = ""
        return
    if password is None and org.temp_password_hash:
        return
    validate_temporary_password(password or "", org)
    changes["temp_password_hash"] = make_password(password)


def _audit_view(values: dict[str, Any], *, after: bool = False) -> dict[str, Any]:
    """Return settings as audited: never the temporary password's hash, only whether one is held."""
    out = {k: v for k, v in values.items() if k != "temp_password_hash"}
    if "temp_password_hash" in values:
        held = bool(values["temp_password_hash"])
        out["temporary_password"] = ("new" if after else "set") if held else "none"
    return out


def _check_session_idle(changes: dict[str, Any]) -> None:
    """Refuse an idle session timeout outside its bounds (30 min to 12 h)."""
    if "session_idle_minutes" not in changes:
        return
    try:
        minutes = int(changes["session_idle_minutes"])
    except (TypeError, ValueError):
        minutes = 0
    if not SESSION_IDLE_MINUTES_MIN <= minutes <= SESSION_IDLE_MINUTES_MAX:
        raise ValidationFailed(
            _("The idle session timeout is between %(lo)d minutes and %(hi)d hours.")
            % {"lo": SESSION_IDLE_MINUTES_MIN, "hi": SESSION_IDLE_MINUTES_MAX // 60},
            field="session_idle_minutes",
        )
    changes["session_idle_minutes"] = minutes


def organization_set_temp_password(
    *, actor: Actor | Member, organization: Organization, password: str
) -> None:
    """Change the shared policy's temporary password (checked, stored hashed, never shown)."""
    organization_update(actor=actor, organization=organization, temporary_password=password)


def organization_delete(
    *, actor: Actor | Member, organization: Organization, confirm_slug: str
) -> None:
    """Delete the organization and everything in it, for good (the owner or the operator).

    The ``org.deleted`` audit event is written first; the organization's audit
    rows survive with ``organization`` cleared and ``organization_slug`` kept.
    Members, groups, labels, fields, invitations, tokens, webhooks, import jobs
    and queued e-mails go; members' sessions end because their accounts are gone.
    """
    from equipage.organizations.deletion import delete_organization_rows, refuse_unsafe_deletion
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
        refuse_unsafe_deletion(org)
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
        # The import jobs' files and reports are rows of theirs: they go with them.
        delete_organization_rows(org.pk)


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
