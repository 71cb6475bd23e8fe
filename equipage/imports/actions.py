"""The roster import: read, validate, diff, then apply all or nothing in one transaction.

``roster_import`` is the one write path of the import, for the CLI, the web
page and the background task alike. It checks the permission and the
organization's feature switch, computes the plan under the organization's
lock, checks the seats, then writes everything with bulk statements and one
audit event per changed member — or nothing at all.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from equipage.accounts.models import (
    CustomField,
    CustomFieldValue,
    Member,
    MemberRole,
    MemberState,
)
from equipage.audit.events import EventType
from equipage.audit.record import Entry, record, record_many
from equipage.core import clock
from equipage.core.errors import Conflict, PermissionDenied, SeatLimitExceeded, ValidationFailed
from equipage.core.text import search_key
from equipage.imports.diff import ACTIVE, DEACTIVATED, Change, Plan, compute_plan, settle_passwords
from equipage.imports.models import ImportJob, ImportMode, ImportStatus
from equipage.imports.reader import Problem, read_table
from equipage.imports.selectors import (
    current_members,
    custom_field_specs,
    import_scope,
)
from equipage.imports.validate import Validated, validate_table
from equipage.organizations.models import Feature, Organization
from equipage.organizations.seats import ensure_seats, lock_organization
from equipage.permissions import Actor, Cap, as_actor, authorize

Progress = Callable[[str, int, int], None]
BATCH = 2000
# A lock older than this whose process cannot be checked is considered abandoned.
STALE_LOCK_SECONDS = 6 * 3600


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do); SPEC §9's JSON is ``as_dict``."""

    added: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    applied: bool = False
    dry_run: bool = False
    mode: str = ImportMode.SYNC
    confirmation_required: bool = False
    rows: int = 0

    def as_dict(self, with_changes: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "added": self.added,
            "updated": self.updated,
            "deactivated": self.deactivated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "errors": self.errors,
            "applied": self.applied,
            "dry_run": self.dry_run,
            "mode": self.mode,
            "rows": self.rows,
            "confirmation_required": self.confirmation_required,
            "warnings": self.warnings,
        }
        if with_changes:
            out["changes"] = self.changes
        return out

    @property
    def clean(self) -> bool:
        return not self.errors


def ensure_import_enabled(organization: Organization) -> None:
    """Refuse when the platform operator has not switched import/export on (seed 000)."""
    if not organization.has_feature(Feature.IMPORT_EXPORT):
        raise PermissionDenied(
            _(
                "Import / export is not enabled for your organization. Ask your account "
                "manager or the platform operator to turn it on."
            )
        )


def _report(validated: Validated, plan: Plan | None, mode: str, dry_run: bool) -> ImportReport:
    report = ImportReport(mode=str(mode), dry_run=dry_run, rows=validated.total_lines)
    problems = list(validated.problems)
    report.warnings = [p.as_dict() for p in validated.warnings]
    if plan is not None:
        problems.extend(plan.errors)
        report.added = plan.count("added")
        report.updated = plan.count("updated")
        report.deactivated = plan.count("deactivated")
        report.unchanged = plan.unchanged
        report.skipped = [s.as_dict() for s in plan.skipped]
        report.changes = [c.as_dict() for c in plan.changes]
        report.confirmation_required = plan.needs_mass_confirmation
    problems.sort(key=lambda p: (p.line, p.column))
    report.errors = [p.as_dict() for p in problems]
    return report


def _file_error(report: ImportReport, message: str) -> ImportReport:
    report.errors.insert(0, Problem(0, "", message).as_dict())
    report.applied = False
    return report


def _plan(
    actor: Actor, organization: Organization, validated: Validated, mode: str, progress: Progress
) -> Plan:
    progress("compare", 0, len(validated.rows))
    current = current_members(organization, validated.has)
    scope = import_scope(actor, organization, mode)
    plan = compute_plan(validated.rows, current, scope, validated.columns)
    if plan.password_checks:
        from equipage.imports.passwords import check_passwords

        stored = dict(
            Member.objects.filter(pk__in=[c.pk for c in plan.password_checks]).values_list(
                "pk", "password"
            )
        )
        pairs = [(c.row.password or "", stored.get(c.pk, "")) for c in plan.password_checks]  # type: ignore[union-attr]
        same = {
            c.pk
            for c, ok in zip(plan.password_checks, check_passwords(pairs), strict=True)
            if ok and c.pk is not None
        }
        settle_passwords(plan, same)
    progress("compare", len(validated.rows), len(validated.rows))
    return plan


def _mass_message(plan: Plan) -> str:
    return _(
        "This sync would deactivate %(n)d of the %(m)d active members. If that is what you "
        "want, confirm the mass deactivation (--confirm-mass-deactivation)."
    ) % {"n": plan.deactivating_active, "m": plan.active_before}


def roster_import(
    *,
    actor: Actor | Member,
    organization: Organization,
    data: bytes,
    filename: str = "",
    mode: str = ImportMode.SYNC,
    dry_run: bool = False,
    confirm_mass_deactivation: bool = False,
    progress: Progress | None = None,
    job: ImportJob | None = None,
) -> ImportReport:
    """Preview (``dry_run``) or apply a roster file, all or nothing.

    A file with any error changes nothing; so does a crash mid-apply (one
    transaction). A second import of the same organization while one runs is
    refused. ``job`` is the web page's job, which already holds the lock.
    """
    actor = as_actor(actor)
    authorize(actor, Cap.MEMBER_IMPORT, organization)
    ensure_import_enabled(organization)
    if mode not in ImportMode.values:
        raise ValidationFailed(_("The mode must be sync or upsert."), field="mode")
    progress = progress or _no_progress
    progress("read", 0, 0)
    table = read_table(data, filename)
    validated = validate_table(table, custom_field_specs(organization))
    progress("read", len(table.rows), len(table.rows))

    if dry_run:
        plan = _plan(actor, organization, validated, mode, progress)
        report = _report(validated, plan, mode, dry_run=True)
        if report.clean:
            try:
                ensure_seats(organization, plan.seats_needed())
            except SeatLimitExceeded as exc:
                _file_error(report, str(exc))
        return report

    holder = job if job is not None else _acquire_lock(actor, organization, filename, mode)
    try:
        report = _apply(
            actor, organization, validated, mode, confirm_mass_deactivation, progress, holder
        )
    finally:
        if job is None:
            _release_lock(holder, report if "report" in locals() else None)
    return report


class _Rollback(Exception):
    """Raised inside the transaction to undo it and hand back the report."""

    def __init__(self, report: ImportReport):
        super().__init__("import refused")
        self.report = report


def _apply(
    actor: Actor,
    organization: Organization,
    validated: Validated,
    mode: str,
    confirm: bool,
    progress: Progress,
    job: ImportJob,
) -> ImportReport:
    try:
        with transaction.atomic():
            org = lock_organization(organization.pk)
            plan = _plan(actor, org, validated, mode, progress)
            report = _report(validated, plan, mode, dry_run=False)
            if not report.clean:
                raise _Rollback(report)
            if plan.needs_mass_confirmation and not confirm:
                raise _Rollback(_file_error(report, _mass_message(plan)))
            try:
                ensure_seats(org, plan.seats_needed())
            except SeatLimitExceeded as exc:
                raise _Rollback(_file_error(report, str(exc))) from None
            _write(actor, org, plan, validated, progress, job)
            report.applied = True
            report.confirmation_required = False
    except _Rollback as stop:
        return stop.report
    return report


def _acquire_lock(actor: Actor, organization: Organization, filename: str, mode: str) -> ImportJob:
    """Create a running job holding the organization's import lock, or refuse."""
    now = clock.now()
    job = ImportJob(
        organization=organization,
        actor_member=actor.member,
        actor_label=actor.label[:200],
        file_name=os.path.basename(filename)[:255],
        mode=mode,
        status=ImportStatus.RUNNING,
        lock=True,
        pid=os.getpid(),
        host=socket.gethostname()[:255],
        created_at=now,
        updated_at=now,
    )
    for _attempt in range(2):
        try:
            with transaction.atomic():
                job.save()
            return job
        except IntegrityError:
            if not _break_stale_lock(organization):
                break
    raise Conflict(
        _("An import is in progress for this organization; wait until it ends, then try again."),
        code="import_in_progress",
    )


def take_lock(job: ImportJob) -> None:
    """Move a previewed web job into the queue, holding the lock, or raise "import in progress"."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEWED).update(
                    status=ImportStatus.QUEUED, lock=True, updated_at=clock.now()
                )
            if not updated:
                raise Conflict(_("This import was already confirmed or has expired."))
            job.status, job.lock = ImportStatus.QUEUED, True
            return
        except IntegrityError:
            if not _break_stale_lock(job.organization):
                break
    raise Conflict(
        _("An import is in progress for this organization; wait until it ends, then try again."),
        code="import_in_progress",
    )


def _break_stale_lock(organization: Organization) -> bool:
    """Release a lock whose process died (same host, pid gone) or that is very old."""
    holder = ImportJob.objects.filter(organization=organization, lock=True).first()
    if holder is None:
        return True
    dead = False
    if holder.pid and holder.host == socket.gethostname():
        try:
            os.kill(holder.pid, 0)
        except ProcessLookupError:
            dead = True
        except PermissionError:
            dead = False
    age = (clock.now() - holder.updated_at).total_seconds()
    if not dead and age < STALE_LOCK_SECONDS:
        return False
    ImportJob.objects.filter(pk=holder.pk, lock=True).update(
        lock=None,
        status=ImportStatus.FAILED,
        finished_at=clock.now(),
        result={"errors": [{"line": 0, "column": "", "message": "interrupted"}]},
    )
    return True


def _release_lock(job: ImportJob, report: ImportReport | None) -> None:
    status = ImportStatus.APPLIED if report is not None and report.applied else ImportStatus.FAILED
    ImportJob.objects.filter(pk=job.pk).update(
        lock=None,
        status=status,
        finished_at=clock.now(),
        updated_at=clock.now(),
        result=report.as_dict(with_changes=False) if report is not None else None,
    )


def _unusable_passwords(n: int) -> list[str]:
    # Same shape as Django's set_unusable_password(), without one call per row.
    blob = os.urandom(20 * n).hex()
    return [f"!{blob[i * 40 : i * 40 + 40]}" for i in range(n)]


def _write(
    actor: Actor,
    org: Organization,
    plan: Plan,
    validated: Validated,
    progress: Progress,
    job: ImportJob,
) -> None:
    """Write the plan in bulk; runs inside the import's transaction."""
    now = clock.now()
    total = len(plan.changes)
    added = [c for c in plan.changes if c.pk is None]
    updated = [c for c in plan.changes if c.pk is not None]
    progress("write", 0, total)
    new_members = _create_members(org, added, now, progress, total)
    progress("write", len(added), total)
    _update_members(org, updated, now)
    progress("write", total, total)
    _write_relations(org, added, updated, new_members)
    entries: list[Entry] = []
    for change, member in zip(added, new_members, strict=True):
        entries.append(
            Entry(
                EventType.MEMBER_CREATED,
                target=member,
                after=_after(change),
                extra={"import": job.pk},
            )
        )
    targets = _targets(org, updated)
    for change in updated:
        event = EventType.MEMBER_UPDATED
        state = change.fields.get("state")
        if state:
            event = (
                EventType.MEMBER_DEACTIVATED
                if state[1] == DEACTIVATED
                else EventType.MEMBER_REACTIVATED
            )
        entries.append(
            Entry(
                event,
                target=targets[change.pk],  # type: ignore[index]
                before={k: v[0] for k, v in change.fields.items()},
                after={k: v[1] for k, v in change.fields.items()},
                extra={"import": job.pk},
            )
        )
    record_many(actor=actor, organization=org, entries=entries)
    record(
        actor=actor,
        organization=org,
        event=EventType.IMPORT_APPLIED,
        target=job,
        after={
            "added": len(added),
            "updated": plan.count("updated"),
            "deactivated": plan.count("deactivated"),
            "unchanged": plan.unchanged,
            "skipped": len(plan.skipped),
            "mode": job.mode,
            "file": job.file_name,
        },
    )
    _queue_mails(org, added, new_members, updated, targets)


def _after(change: Change) -> dict[str, Any]:
    return {k: v[1] for k, v in change.fields.items()}


def _create_members(
    org: Organization, added: list[Change], now: Any, progress: Progress, total: int
) -> list[Member]:
    if not added:
        return []
    from equipage.imports.passwords import hash_passwords

    given = [c for c in added if c.row is not None and c.row.password]
    hashes = dict(
        zip(
            [id(c) for c in given],
            hash_passwords([c.row.password for c in given]),  # type: ignore[union-attr, misc]
            strict=True,
        )
    )
    unusable = iter(_unusable_passwords(len(added) - len(given)))
    shared = org.first_password_policy == "shared"
    members: list[Member] = []
    for c in added:
        row = c.row
        assert row is not None
        active = row.active
        login = c.login
        hashed = hashes.get(id(c))
        members.append(
            Member(
                organization_id=org.pk,
                login=login,
                email=row.email,
                first_name=row.first_name,
                last_name=row.last_name,
                state=MemberState.ACTIVE if active else MemberState.DEACTIVATED,
                password=hashed or next(unusable),
                must_change_password=bool(hashed) or (active and shared),
                uses_temp_password=not hashed and active and shared,
                search_text=search_key(row.first_name, row.last_name, login, row.email),
                created_at=now,
                updated_at=now,
                activated_at=now if active else None,
                deactivated_at=None if active else now,
            )
        )
    for start in range(0, len(members), BATCH):
        fast_insert(Member, members[start : start + BATCH])
        progress("write", min(start + BATCH, len(members)), total)
    # One read gives back every new primary key (the organization is locked: nobody else writes).
    logins = {m.login: m for m in members}
    for login, pk in Member.objects.filter(organization_id=org.pk, created_at=now).values_list(
        "login", "pk"
    ):
        if login in logins:
            logins[login].pk = logins[login].id = pk
            logins[login]._state.adding = False
    return members


def fast_insert(model: Any, objs: list[Any]) -> None:
    """Insert model instances with one ``executemany``: the ORM's per-value SQL compiling
    dominated the import's time; values are adapted the way the backend expects."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    ops = connection.ops
    converters: list[Any] = []
    for f in fields:
        kind = f.get_internal_type()
        if kind == "DateTimeField":
            converters.append(ops.adapt_datetimefield_value)
        elif kind in ("JSONField", "DateField", "DecimalField"):
            converters.append(lambda v, f=f: f.get_db_prep_save(v, connection))
        else:
            converters.append(None)
    attnames = [f.attname for f in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    rows = []
    for obj in objs:
        values = []
        for name, conv in zip(attnames, converters, strict=True):
            value = getattr(obj, name)
            values.append(conv(value) if conv is not None and value is not None else value)
        rows.append(values)
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608


def _targets(org: Organization, updated: list[Change]) -> dict[int, Member]:
    """Load the members to update (all fields: they are saved back and audited)."""
    ids = [c.pk for c in updated if c.pk is not None]
    found: dict[int, Member] = {}
    for start in range(0, len(ids), 5000):
        for m in Member.objects.filter(organization=org, pk__in=ids[start : start + 5000]):
            found[m.pk] = m
    return found


def _update_members(org: Organization, updated: list[Change], now: Any) -> None:
    if not updated:
        return
    from equipage.imports.passwords import hash_passwords

    deactivate = [c.pk for c in updated if c.fields.get("state", [None, None])[1] == DEACTIVATED]
    reactivate = [c.pk for c in updated if c.fields.get("state", [None, None])[1] == ACTIVE]
    profile = [
        c for c in updated if {"first_name", "last_name", "email", "password"} & set(c.fields)
    ]
    for start in range(0, len(deactivate), 5000):
        chunk = deactivate[start : start + 5000]
        Member.objects.filter(organization=org, pk__in=chunk).update(
            state=MemberState.DEACTIVATED,
            deactivated_at=now,
            updated_at=now,
            session_version=F("session_version") + 1,
        )
        from equipage.invitations.models import Invitation, InvitationStatus

        Invitation.objects.filter(member_id__in=chunk, status=InvitationStatus.PENDING).update(
            status=InvitationStatus.CANCELLED, decided_at=now
        )
    for start in range(0, len(reactivate), 5000):
        Member.objects.filter(organization=org, pk__in=reactivate[start : start + 5000]).update(
            state=MemberState.ACTIVE, deactivated_at=None, activated_at=now, updated_at=now
        )
    if not profile:
        return
    with_password = [c for c in profile if "password" in c.fields]
    hashes = dict(
        zip(
            [c.pk for c in with_password],
            hash_passwords([c.row.password for c in with_password]),  # type: ignore[union-attr, misc]
            strict=True,
        )
    )
    targets = _targets(org, profile)
    objs: list[Member] = []
    for c in profile:
        m = targets[c.pk]  # type: ignore[index]
        row = c.row
        assert row is not None
        m.first_name, m.last_name = row.first_name, row.last_name
        if "email" in c.fields:
            m.email = row.email
        if c.pk in hashes:
            m.password = hashes[c.pk]
            m.must_change_password = True
            m.uses_temp_password = False
        m.search_text = search_key(m.first_name, m.last_name, m.login, m.email)
        m.updated_at = now
        objs.append(m)
    fields = ["first_name", "last_name", "email", "search_text", "updated_at"]
    if hashes:
        fields += ["password", "must_change_password", "uses_temp_password"]
    # E-mails may move between members of the file: free them first, then set them.
    email_changes = [c.pk for c in profile if "email" in c.fields]
    for start in range(0, len(email_changes), 5000):
        Member.objects.filter(pk__in=email_changes[start : start + 5000]).update(email="")
    Member.objects.bulk_update(objs, fields, batch_size=500)


def _write_relations(
    org: Organization, added: list[Change], updated: list[Change], new_members: list[Member]
) -> None:
    from equipage.groups.models import GroupMembership, GroupRole, MemberLabel

    pk_of = {id(c): m.pk for c, m in zip(added, new_members, strict=True)}
    roles: list[MemberRole] = []
    memberships: list[GroupMembership] = []
    labels: list[MemberLabel] = []
    values: list[CustomFieldValue] = []
    fields = {f.key: f.pk for f in CustomField.objects.filter(organization=org)}
    for c in added:
        pk = pk_of[id(c)]
        for role in c.fields["roles"][1]:
            roles.append(MemberRole(organization_id=org.pk, member_id=pk, role=role))
        for gid in c.add_groups:
            memberships.append(
                GroupMembership(
                    organization_id=org.pk, group_id=gid, member_id=pk, role=GroupRole.MEMBER
                )
            )
        for lid in c.add_labels:
            labels.append(MemberLabel(organization_id=org.pk, member_id=pk, label_id=lid))
        for key, value in (c.row.custom or {}).items() if c.row else ():
            if value:
                values.append(
                    CustomFieldValue(
                        organization_id=org.pk, member_id=pk, field_id=fields[key], value=value
                    )
                )
    remove_roles: list[tuple[int, str]] = []
    remove_groups: list[tuple[int, int]] = []
    remove_labels: list[tuple[int, int]] = []
    custom_changes: list[tuple[int, str, str]] = []
    for c in updated:
        pk = c.pk
        assert pk is not None
        if "roles" in c.fields:
            before, after = set(c.fields["roles"][0]), set(c.fields["roles"][1])
            roles.extend(
                MemberRole(organization_id=org.pk, member_id=pk, role=r) for r in after - before
            )
            remove_roles.extend((pk, r) for r in before - after)
        memberships.extend(
            GroupMembership(organization_id=org.pk, group_id=g, member_id=pk, role=GroupRole.MEMBER)
            for g in c.add_groups
        )
        remove_groups.extend((pk, g) for g in c.remove_groups)
        labels.extend(
            MemberLabel(organization_id=org.pk, member_id=pk, label_id=lid) for lid in c.add_labels
        )
        remove_labels.extend((pk, lid) for lid in c.remove_labels)
        for name, (_before, after) in c.fields.items():
            if name.startswith("custom:"):
                custom_changes.append((pk, name[7:], after))
    for pk, role in remove_roles:
        MemberRole.objects.filter(organization=org, member_id=pk, role=role).delete()
    for pk, gid in remove_groups:
        GroupMembership.objects.filter(organization=org, member_id=pk, group_id=gid).delete()
    for pk, lid in remove_labels:
        MemberLabel.objects.filter(organization=org, member_id=pk, label_id=lid).delete()
    for pk, key, value in custom_changes:
        CustomFieldValue.objects.filter(member_id=pk, field_id=fields[key]).delete()
        if value:
            values.append(
                CustomFieldValue(
                    organization_id=org.pk, member_id=pk, field_id=fields[key], value=value
                )
            )
    fast_insert(MemberRole, roles)
    fast_insert(GroupMembership, memberships)
    MemberLabel.objects.bulk_create(labels, batch_size=BATCH)
    CustomFieldValue.objects.bulk_create(values, batch_size=BATCH)


def _queue_mails(
    org: Organization,
    added: list[Change],
    new_members: list[Member],
    updated: list[Change],
    targets: dict[int, Member],
) -> None:
    """Queue set-password links (policy ``link``) and deactivation notices, in the transaction."""
    if org.first_password_policy == "link":
        from equipage.accounts.actions.passwords import send_set_password_link

        for change, member in zip(added, new_members, strict=True):
            wants_link = change.row is not None and not change.row.password
            if member.email and member.state == MemberState.ACTIVE and wants_link:
                member.organization = org
                send_set_password_link(member)
    if org.deactivation_notice:
        from equipage.emails.models import MailKind
        from equipage.emails.outbox import queue_mail

        for change in updated:
            if change.kind == "deactivated":
                m = targets.get(change.pk)  # type: ignore[arg-type]
                if m is not None and m.email:
                    queue_mail(
                        kind=MailKind.DEACTIVATION_NOTICE, to=m.email, organization=org, member=m
                    )


def roster_export(
    *, actor: Actor | Member, organization: Organization, fmt: str = "csv", language: str = ""
) -> Any:
    """Authorise and audit an export, then return the file as an iterator of byte chunks.

    The rows are read lazily, batch by batch, so memory stays bounded however
    many members the organization has.
    """
    from equipage.imports.export import csv_chunks, xlsx_chunks
    from equipage.imports.selectors import export_custom_fields, export_rows

    actor = as_actor(actor)
    authorize(actor, Cap.MEMBER_EXPORT, organization)
    ensure_import_enabled(organization)
    if fmt not in ("csv", "xlsx"):
        raise ValidationFailed(_("The format must be csv or xlsx."), field="format")
    language = language or organization.language
    if language not in ("fr", "en"):
        raise ValidationFailed(_("Language must be fr or en."), field="language")
    with transaction.atomic():
        record(
            actor=actor,
            organization=organization,
            event=EventType.EXPORT_DOWNLOADED,
            after={"format": fmt, "language": language},
        )
    custom = [(f.key, f.name) for f in export_custom_fields(organization)]
    rows = export_rows(organization, actor)
    return (xlsx_chunks if fmt == "xlsx" else csv_chunks)(rows, language, custom)
