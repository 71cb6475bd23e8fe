"""Creating, editing, deactivating, reactivating and deleting members; their roles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from equipage.accounts import rules
from equipage.accounts.actions.customfields import apply_creation_extras, clean_creation_extras
from equipage.accounts.builder import build_member, holds_seat, save_new_member
from equipage.accounts.bulk import (
    BulkRun,
    bulk_action,
    eligible_ids,
    load_members,
    moved_rows,
    triage_by_rule,
)
from equipage.accounts.console_sessions import end_sessions_of
from equipage.accounts.deactivation import deactivate_members, queue_deactivation_notices
from equipage.accounts.logins import free_login_for
from equipage.accounts.models import ROLE_RANK, EmailChange, Member, MemberRole, MemberState, Role
from equipage.accounts.rules import Refusal
from equipage.accounts.selectors import owner_id as owner_id_of
from equipage.accounts.sendmodes import SendMode
from equipage.accounts.snapshots import diff, member_snapshot
from equipage.audit.events import EventType
from equipage.audit.record import RowTuple, record
from equipage.core import clock
from equipage.core.bulk import BulkResult
from equipage.core.errors import Conflict, InvariantViolation, ValidationFailed
from equipage.core.idlist import id_list
from equipage.core.text import clean_name, search_key
from equipage.organizations.models import FirstPasswordPolicy, Organization
from equipage.organizations.seats import ensure_seats, lock_organization
from equipage.permissions import (
    Actor,
    Cap,
    as_actor,
    authorize,
    grantable_roles,
    holds_org_wide,
    refuse,
)
from equipage.permissions.policy import authorize_groups
from equipage.tokens.actions import may_hold_tokens, tokens_revoke_for_creators
from equipage.tokens.models import RevokedReason

UPDATABLE_FIELDS = (
    "login",
    "email",
    "first_name",
    "last_name",
    "phone",
    "job_title",
    "language",
    "contact_roles",
    "auto_delete_on",
    "external_id",
)
# What a member may change on their own profile when the organization allows it (seed 004).
SELF_CONTACT_FIELDS = frozenset({"email", "phone", "job_title"})
SELF_ALWAYS_FIELDS = frozenset({"language"})


def refresh_search_text(member: Member) -> None:
    member.search_text = search_key(member.first_name, member.last_name, member.login, member.email)


# Text fields a member's profile holds, checked the same way whichever edge wrote them.
TEXT_FIELDS = ("login", "first_name", "last_name", "phone", "job_title", "external_id")


def clean_text(name: str, value: Any) -> str:
    """Return ``value`` stripped, or refuse invisible characters and over-long text.

    The rule is ``core.text.clean_name``'s, the same whichever edge wrote the
    value (console, API, SCIM, import, CLI): a NUL stored on SQLite would break
    the name order, PostgreSQL refuses it outright, and a bidirectional control
    makes a name read as another.
    """
    limit = getattr(Member._meta.get_field(name), "max_length", None)
    return clean_name(value, field=name, max_length=limit)


def clean_contact_roles(roles: Iterable[Any] | None) -> list[str]:
    """Return contact roles cleaned as names, empty ones dropped; a comma is refused.

    The profile and the import both write them as one comma-separated text:
    a role holding a comma would come back as two.
    """
    cleaned = [clean_name(r, field="contact_roles", max_length=None) for r in roles or ()]
    if any("," in r for r in cleaned):
        raise ValidationFailed(_("A contact role cannot contain a comma."), field="contact_roles")
    return [r for r in cleaned if r]


def clean_email(email: str) -> str:
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationFailed(
                _("“%(email)s” is not a valid e-mail address.") % {"email": email}, field="email"
            ) from None
    return email


def ensure_email_free(organization_id: int, email: str, exclude_pk: int | None = None) -> None:
    if not email:
        return
    qs = Member.objects.filter(organization_id=organization_id, email__iexact=email)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    holder = qs.only("state").first()
    if holder is None:
        return
    if rules.in_bin(holder.state):
        raise Conflict(bin_holds(_("the e-mail address %(v)s") % {"v": email}), field="email")
    raise Conflict(
        _("Another member already uses the e-mail address %(email)s.") % {"email": email},
        field="email",
    )


def ensure_login_free(organization_id: int, login: str, exclude_pk: int | None = None) -> None:
    qs = Member.objects.filter(organization_id=organization_id, login=login)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    holder = qs.only("state").first()
    if holder is None:
        return
    if rules.in_bin(holder.state):
        raise Conflict(bin_holds(_("the login “%(v)s”") % {"v": login}), field="login")
    raise Conflict(_("The login “%(login)s” is already taken.") % {"login": login}, field="login")


def bin_holds(what: str) -> str:
    """Say that a deleted member in the bin still holds ``what`` (a login, an address)."""
    return _(
        "A deleted member in the bin still holds %(what)s: restore them from the bin,"
        " or wait until the bin erases them."
    ) % {"what": what}


def check_grantable(actor: Actor, roles: Iterable[str]) -> list[str]:
    """Return ``roles`` deduplicated, refusing owner and anything above the actor's rank."""
    roles = list(dict.fromkeys(roles))
    if rules.ownership_refusal((), roles):
        raise refuse(actor, rules.message(Refusal.OWNERSHIP_BY_TRANSFER))
    unknown = [r for r in roles if r not in ROLE_RANK]
    if unknown:
        raise ValidationFailed(_("Unknown role: %(role)s.") % {"role": ", ".join(unknown)})
    refused = rules.ungrantable_roles(roles, grantable_roles(actor))
    if refused:
        raise refuse(actor, rules.message(Refusal.ROLE_NOT_GRANTABLE, role=", ".join(refused)))
    return roles


def member_create(
    *,
    actor: Actor | Member,
    organization: Organization,
    first_name: str,
    last_name: str,
    email: str = "",
    login: str = "",
    roles: Sequence[str] = (Role.MEMBER,),
    group_ids: Sequence[int] = (),
    password: str | None = None,
    state: MemberState = MemberState.ACTIVE,
    language: str = "",
    phone: str = "",
    job_title: str = "",
    external_id: str = "",
    send: SendMode | str = SendMode.NONE,
    custom_values: Mapping[int, str] = {},  # custom field id → value (read only)
    deletion_date: dt.date | None = None,
) -> Member:
    """Create a member directly (seed 002), active and billable at once unless ``state`` says.

    ``send`` is a ``SendMode``: none, credentials (a random password is generated
    and mailed), notification (a mail saying the account exists) or link (a
    single-use set-password link). Without a password, the organization's
    first-password policy decides (shared temporary password or link).
    ``custom_values`` (custom field id → value) and ``deletion_date`` are the
    profile's own fields, checked by its rules and set only by who may edit the profile.
    """
    actor = as_actor(actor)
    authorize(actor, Cap.MEMBER_CREATE, organization)
    extras = clean_creation_extras(organization.pk, custom_values, deletion_date)
    first_name, last_name = clean_text("first_name", first_name), clean_text("last_name", last_name)
    if not first_name or not last_name:
        raise ValidationFailed(_("First name and last name are required."))
    login, phone = clean_text("login", login), clean_text("phone", phone)
    job_title, external_id = (
        clean_text("job_title", job_title),
        clean_text("external_id", external_id),
    )
    email = clean_email(email)
    roles = check_grantable(actor, roles or [Role.MEMBER])
    authorize_groups(actor, list(group_ids))
    if send in (SendMode.CREDENTIALS, SendMode.NOTIFICATION, SendMode.LINK) and not email:
        raise ValidationFailed(_("This member has no e-mail address to send to."), field="email")
    if password:
        _validate_password(password, organization=organization)

    with transaction.atomic():
        org = lock_organization(organization.pk)
        if holds_seat(state):
            ensure_seats(org, 1)
        ensure_email_free(org.pk, email)
        login = login.strip()
        if login:
            ensure_login_free(org.pk, login)
        else:
            login = free_login_for(org.pk, first_name, last_name, email)
        generated = None
        if send == SendMode.CREDENTIALS:
            from django.utils.crypto import get_random_string

            from equipage.organizations.password_policy import min_length_of

            generated = password = get_random_string(max(14, min_length_of(organization)))
        member = build_member(
            organization=org,
            login=login,
            email=email,
            first_name=first_name,
            last_name=last_name,
            state=state,
            now=clock.now(),
            password=password,
            shared=send != SendMode.LINK and uses_shared_password(org),
            language=language,
            phone=phone,
            job_title=job_title,
            external_id=external_id,
        )
        save_new_member(member, roles)
        if group_ids:
            from equipage.groups.memberships import add_memberships

            add_memberships(actor=actor, member=member, group_ids=list(group_ids))
        record(
            actor=actor,
            organization=org,
            event=EventType.MEMBER_CREATED,
            target=member,
            after={**member_snapshot(member), "roles": roles, "groups": list(group_ids)},
        )
        apply_creation_extras(
            actor=actor, member=member, values=extras, deletion_date=deletion_date
        )
        _send_welcome(member, send, generated, org)
    return member


def _send_welcome(
    member: Member, send: SendMode | str, generated: str | None, org: Organization
) -> None:
    from equipage.emails.models import MailKind
    from equipage.emails.outbox import queue_mail

    if not member.email:
        return
    if send == SendMode.CREDENTIALS:
        queue_mail(
            kind=MailKind.CREDENTIALS,
            to=member.email,
            organization=org,
            member=member,
            context={"password": generated, "login_url": _login_url(org)},
        )
    elif send == SendMode.NOTIFICATION:
        queue_mail(
            kind=MailKind.NOTIFICATION,
            to=member.email,
            organization=org,
            member=member,
            context={"login_url": _login_url(org)},
        )
    elif send == SendMode.LINK or (
        member.state == MemberState.ACTIVE
        and not member.has_usable_password()
        and not member.uses_temp_password
    ):
        from equipage.accounts.actions.passwords import send_set_password_link

        send_set_password_link(member)


def _login_url(org: Organization) -> str:
    from equipage.instance.links import base_url

    return f"{base_url()}/o/{org.slug}/login"


def _validate_password(
    password: str, member: Member | None = None, organization: Organization | None = None
) -> None:
    """Refuse a password the organization's policy refuses (``organizations.password_policy``)."""
    from equipage.organizations.password_policy import validate_member_password

    org = organization or (member.organization if member is not None else None)
    validate_member_password(password, org, member)


def uses_shared_password(org: Organization) -> bool:
    """Tell whether new accounts without a password get the organization's temporary one."""
    return org.first_password_policy == FirstPasswordPolicy.SHARED and bool(org.temp_password_hash)


def member_update(
    *, actor: Actor | Member, member: Member, notify_old_address: bool = True, **changes: Any
) -> Member:
    """Change a member's profile fields; members may edit their own contact details if allowed.

    A member's own new e-mail address is not applied here: it becomes a pending
    change confirmed from the new mailbox (``emailchange.email_change_request``).
    An admin's change applies at once and, unless ``notify_old_address`` is off
    (SCIM: the identity provider renames addresses in bulk), tells the old address.
    """
    actor = as_actor(actor)
    requested_email: str | None = None
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown field: %(f)s") % {"f": ", ".join(sorted(unknown))})
    is_self = actor.member is not None and actor.member.pk == member.pk
    if is_self and not _can_admin(actor, member):
        allowed = set(SELF_ALWAYS_FIELDS)
        if member.organization.members_can_edit_contact:  # type: ignore[union-attr]
            allowed |= SELF_CONTACT_FIELDS
        refused = set(changes) - allowed
        if refused:
            raise refuse(
                actor, _("You cannot change these details yourself; ask an administrator.")
            )
        if member.organization_id != actor.organization_id:
            raise refuse(actor, _("You do not have permission to do this."))
        if "email" in changes:
            wanted = clean_email(changes.pop("email"))
            if wanted.lower() != member.email.lower():
                requested_email = wanted
    else:
        authorize(actor, Cap.MEMBER_UPDATE, member)
    if "email" in changes:
        changes["email"] = clean_email(changes["email"])
    for name in TEXT_FIELDS:
        if name in changes:
            changes[name] = clean_text(name, changes[name])
    if "contact_roles" in changes:
        changes["contact_roles"] = clean_contact_roles(changes["contact_roles"])
    for name in ("first_name", "last_name"):
        if name in changes and not changes[name]:
            raise ValidationFailed(_("First name and last name are required."), field=name)
    if "login" in changes and not changes["login"]:
        raise ValidationFailed(_("The login cannot be empty."), field="login")
    if "language" in changes and changes["language"] not in ("", "fr", "en"):
        raise ValidationFailed(_("Language must be fr or en."), field="language")
    if requested_email is not None:
        from equipage.accounts.actions.emailchange import email_change_request

        email_change_request(actor=actor, member=member, new_email=requested_email)

    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if "auto_delete_on" in changes and rules.deletion_date_refusal(
            member.pk == owner_id_of(member.org_id), changes["auto_delete_on"]
        ):
            raise InvariantViolation(
                rules.message(Refusal.OWNER_NO_DELETION_DATE), field="auto_delete_on"
            )
        before = member_snapshot(member)
        if "email" in changes:
            ensure_email_free(member.organization_id, changes["email"], exclude_pk=member.pk)  # type: ignore[arg-type]
        if "login" in changes and changes["login"] != member.login:
            ensure_login_free(member.organization_id, changes["login"], exclude_pk=member.pk)  # type: ignore[arg-type]
        for name, value in changes.items():
            setattr(member, name, value)
        refresh_search_text(member)
        b, a = diff(before, member_snapshot(member))
        if not a:
            return member
        member.updated_at = clock.now()
        member.save(update_fields=[*changes, "search_text", "updated_at"])
        record(
            actor=actor,
            organization=member.organization,
            event=EventType.MEMBER_UPDATED,
            target=member,
            before=b,
            after=a,
        )
        if "email" in a:
            _email_set_by_admin(member, str(before.get("email") or ""), notify_old_address)
    return member


def _email_set_by_admin(member: Member, old_email: str, notify: bool) -> None:
    """An admin set the address: a pending self-service change is void; the old address is told."""
    from equipage.accounts.actions.emailchange import notify_old_address
    from equipage.accounts.models import EmailChange

    EmailChange.objects.filter(member_id=member.pk).delete()
    if notify:
        notify_old_address(member, old_email)


def _can_admin(actor: Actor, member: Member) -> bool:
    from equipage.permissions import can

    return can(actor, Cap.MEMBER_UPDATE, member) and holds_org_wide(actor, Cap.MEMBER_UPDATE)


# What the bulk actions read of each target: enough to decide, name it and mail it.
_BULK_COLUMNS = (
    "id",
    "organization_id",
    "login",
    "email",
    "first_name",
    "last_name",
    "language",
    "state",
)


def _load(organization_id: int, ids: list[int]) -> list[Member]:
    """Load the bulk targets with only the columns the bulk actions use (50k rows stay cheap)."""
    return load_members(organization_id, ids, _BULK_COLUMNS)


# The rule of a bulk member action: (member, owner id, actor's own id, allowed) → refusal.
_Rule = Callable[[Member, int | None, int | None, bool], Refusal | None]


def _triage(run: BulkRun, cap: Cap, rule: _Rule, *, protects: bool = True) -> list[Member]:
    """Sort the targets of a bulk member action into the ones to change and the skipped.

    ``rule`` is the action's member rule (``accounts.rules``), asked with
    whether the permission module lets the actor use ``cap`` on the member;
    ``protects``: the rule looks at the owner and the actor themselves.
    """
    owner_id = owner_id_of(run.organization.pk) if protects else None
    self_id = run.actor.member.pk if run.actor.member is not None else None
    eligible = eligible_ids(run.actor, cap, run.ids)
    return triage_by_rule(
        _load(run.organization.pk, run.ids),
        lambda m: rule(m, owner_id, self_id, m.pk in eligible),
        run.result,
    )


def members_deactivate(
    *, actor: Actor | Member, organization: Organization, members: Iterable[Member | int]
) -> BulkResult:
    """Deactivate many members at once: they cannot log in and their sessions end now.

    Nothing of their history is deleted (seed 003). The owner, the actor
    themselves and members outside the actor's reach are skipped with a reason.
    """

    def select(run: BulkRun) -> list[Member]:
        return _triage(
            run,
            Cap.MEMBER_DEACTIVATE,
            lambda m, owner_id, self_id, allowed: rules.deactivation_refusal(
                m.pk, m.state, owner_id=owner_id, self_id=self_id, allowed=allowed
            ),
        )

    def apply(run: BulkRun, todo: list[Member]) -> list[RowTuple]:
        org = run.organization
        ids = [m.pk for m in todo]
        deactivate_members(actor=run.actor, organization=org, member_ids=ids, now=clock.now())
        queue_deactivation_notices(org, todo)
        return moved_rows(EventType.MEMBER_DEACTIVATED, todo, MemberState.DEACTIVATED)

    return bulk_action(actor, organization, members, Cap.MEMBER_VIEW, select, apply)


def member_deactivate(*, actor: Actor | Member, member: Member) -> Member:
    """Deactivate one member, or raise with the reason it cannot be done."""
    result = members_deactivate(actor=actor, organization=member.organization, members=[member])  # type: ignore[arg-type]
    result.raise_for_single()
    member.refresh_from_db()
    return member


def members_reactivate(
    *, actor: Actor | Member, organization: Organization, members: Iterable[Member | int]
) -> BulkResult:
    """Reactivate deactivated members; refused as a whole if the seats do not suffice."""

    def select(run: BulkRun) -> list[Member]:
        return _triage(
            run,
            Cap.MEMBER_REACTIVATE,
            lambda m, _owner, _self, allowed: rules.reactivation_refusal(m.state, allowed=allowed),
            protects=False,
        )

    def apply(run: BulkRun, todo: list[Member]) -> list[RowTuple]:
        ensure_seats(run.organization, len(todo))
        now = clock.now()
        Member.objects.filter(pk__in=id_list([m.pk for m in todo])).update(
            state=MemberState.ACTIVE, deactivated_at=None, updated_at=now, activated_at=now
        )
        return moved_rows(EventType.MEMBER_REACTIVATED, todo, MemberState.ACTIVE)

    return bulk_action(actor, organization, members, Cap.MEMBER_VIEW, select, apply)


def member_reactivate(*, actor: Actor | Member, member: Member) -> Member:
    result = members_reactivate(actor=actor, organization=member.organization, members=[member])  # type: ignore[arg-type]
    result.raise_for_single()
    member.refresh_from_db()
    return member


def members_delete(
    *, actor: Actor | Member, organization: Organization, members: Iterable[Member | int]
) -> BulkResult:
    """Delete members: they go to the bin (``accounts.bin``), restorable until it is emptied.

    In the bin they cannot log in (their sessions and password links end with the
    state and session version), take no seat and are hidden from every list;
    their roles, groups and labels stay, for ``members_restore``. Erasure
    (``accounts.erasure``) comes when the organization's bin period ends.
    """

    def select(run: BulkRun) -> list[Member]:
        return _triage(
            run,
            Cap.MEMBER_DELETE,
            lambda m, owner_id, self_id, allowed: rules.deletion_refusal(
                m.pk, owner_id=owner_id, self_id=self_id, allowed=allowed
            ),
        )

    def apply(run: BulkRun, todo: list[Member]) -> list[RowTuple]:
        todo_ids = [m.pk for m in todo]
        _revoke_tokens(run.actor, run.organization, todo_ids, RevokedReason.CREATOR_DELETED)
        now = clock.now()
        for start in range(0, len(todo_ids), 5000):
            ids = todo_ids[start : start + 5000]
            chunk = id_list(ids)
            Member.objects.filter(pk__in=chunk).update(
                binned_from=F("state"),
                state=MemberState.BINNED,
                binned_at=now,
                updated_at=now,
                session_version=F("session_version") + 1,
            )
            # Their sessions fail the session hash; their records and pending address
            # change go too (a restored member signs in and asks again).
            end_sessions_of(run.organization.pk, ids)
            EmailChange.objects.filter(
                organization_id=run.organization.pk, member_id__in=id_list(ids)
            ).delete()
        return moved_rows(EventType.MEMBER_DELETED, todo, MemberState.BINNED)

    return bulk_action(actor, organization, members, Cap.MEMBER_VIEW, select, apply)


def members_restore(
    *, actor: Actor | Member, organization: Organization, members: Iterable[Member | int]
) -> BulkResult:
    """Take members out of the bin, in the state they were deleted from, with their roles,
    groups and labels (never taken away); refused as a whole if the seats do not suffice."""

    def select(run: BulkRun) -> list[Member]:
        self_id = run.actor.member.pk if run.actor.member is not None else None
        eligible = bin_eligible_ids(run.actor, run.ids)
        return triage_by_rule(
            load_members(run.organization.pk, run.ids, (*_BULK_COLUMNS, "binned_from")),
            lambda m: rules.restore_refusal(m.state, allowed=m.pk in eligible and m.pk != self_id),
            run.result,
        )

    def apply(run: BulkRun, todo: list[Member]) -> list[RowTuple]:
        back = {m.pk: rules.state_after_bin(m.binned_from) for m in todo}
        ensure_seats(run.organization, sum(1 for s in back.values() if holds_seat(s)))
        now = clock.now()
        rows = []
        for state in set(back.values()):
            ids = [pk for pk, s in back.items() if s == state]
            for start in range(0, len(ids), 5000):
                Member.objects.filter(pk__in=id_list(ids[start : start + 5000])).update(
                    state=state, binned_at=None, binned_from=None, updated_at=now
                )
            group = [m for m in todo if back[m.pk] == state]
            rows.extend(moved_rows(EventType.MEMBER_RESTORED, group, state))
        return rows

    return bulk_action(actor, organization, members, Cap.MEMBER_VIEW, select, apply)


def bin_eligible_ids(actor: Actor, ids: Sequence[int]) -> set[int]:
    """Return which of ``ids`` (members in the bin) the actor may restore: those they could
    delete, were they not in the bin."""
    from equipage.permissions.policy import members_manageable_by

    if not ids:
        return set()
    qs = members_manageable_by(actor, Cap.MEMBER_DELETE, in_bin=True).filter(pk__in=id_list(ids))
    return set(qs.values_list("pk", flat=True))


def member_restore(*, actor: Actor | Member, member: Member) -> Member:
    """Restore one member from the bin, or raise with the reason it cannot be done."""
    result = members_restore(actor=actor, organization=member.organization, members=[member])  # type: ignore[arg-type]
    result.raise_for_single()
    member.refresh_from_db()
    return member


def _revoke_tokens(actor: Actor, org: Organization, ids: list[int], reason: RevokedReason) -> None:
    """Revoke the API tokens these members created: they were deactivated, deleted or demoted."""
    tokens_revoke_for_creators(actor=actor, organization=org, member_ids=set(ids), reason=reason)


def member_delete(*, actor: Actor | Member, member: Member) -> None:
    result = members_delete(actor=actor, organization=member.organization, members=[member])  # type: ignore[arg-type]
    result.raise_for_single()


def member_set_roles(*, actor: Actor | Member, member: Member, roles: Sequence[str]) -> list[str]:
    """Replace a member's organization roles; the owner keeps ownership, nobody grants above themselves."""
    actor = as_actor(actor)
    authorize(actor, Cap.MEMBER_VIEW, member)
    is_owner = MemberRole.objects.filter(member=member, role=Role.OWNER).exists()
    if rules.ownership_refusal([Role.OWNER] if is_owner else [], roles) is (
        Refusal.OWNER_KEEPS_OWNERSHIP
    ):
        raise InvariantViolation(rules.message(Refusal.OWNER_KEEPS_OWNERSHIP))
    authorize(actor, Cap.MEMBER_SET_ROLES, member)
    wanted = [r for r in dict.fromkeys(roles) if r != Role.OWNER] or [Role.MEMBER]
    with transaction.atomic():
        lock_organization(member.organization_id)  # type: ignore[arg-type]
        current = set(MemberRole.objects.filter(member=member).values_list("role", flat=True))
        keep_owner = Role.OWNER in current
        if rules.ownership_refusal(current, roles) is Refusal.OWNERSHIP_BY_TRANSFER:
            raise refuse(actor, rules.message(Refusal.OWNERSHIP_BY_TRANSFER))
        added = set(wanted) - current
        removed = (current - set(wanted)) - {Role.OWNER}
        if keep_owner and Role.ADMIN in removed:
            removed.discard(Role.ADMIN)
        check_grantable(actor, added | removed)
        is_self = actor.member is not None and actor.member.pk == member.pk
        if rules.own_roles_refusal(is_self, removed):
            raise InvariantViolation(rules.message(Refusal.OWN_ROLES))
        if not added and not removed:
            return sorted(current)
        MemberRole.objects.filter(member=member, role__in=removed).delete()
        MemberRole.objects.bulk_create(
            [MemberRole(organization_id=member.org_id, member=member, role=r) for r in added]
        )
        after = sorted((current - removed) | added)
        if not may_hold_tokens(after):
            org = member.organization
            assert org is not None
            _revoke_tokens(actor, org, [member.pk], RevokedReason.CREATOR_DEMOTED)
        record(
            actor=actor,
            organization=member.organization,
            event=EventType.MEMBER_ROLES_CHANGED,
            target=member,
            before={"roles": sorted(current)},
            after={"roles": after},
        )
    return after
