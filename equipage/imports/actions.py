"""The roster import: read, validate, diff, then apply all or nothing in one transaction.

``roster_import`` is the one write path of the import, for the CLI, the web
page and the background task alike. It checks the permission and the
organization's feature switch, computes the plan under the organization's
lock, checks the seats, then writes everything with bulk statements and one
audit event per changed member — or nothing at all.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any, TextIO

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min
from django.utils.translation import gettext as _

from equipage.accounts.builder import MEMBER_COLUMNS, member_row
from equipage.accounts.models import (
    CustomField,
    CustomFieldValue,
    Member,
    MemberRole,
    MemberState,
)
from equipage.audit.events import EventType
from equipage.audit.record import AuditJson, RowTuple, record, record_rows
from equipage.core import clock
from equipage.core.errors import Conflict, PermissionDenied, SeatLimitExceeded, ValidationFailed
from equipage.imports import columns as C
from equipage.imports.bulk import (
    execute_many,
    insert_rows,
    roomy_page_cache,
    search_index_deferred,
    search_index_refreshed,
    search_key_maker,
    update_rows,
)
from equipage.imports.columns import CONTACT_COLUMNS
from equipage.imports.model import ACTIVE, DEACTIVATED, Change, NewMemberChange, Plan
from equipage.imports.models import ImportJob, ImportMode, ImportStatus
from equipage.imports.plan import compute_plan, screen_passwords, settle_passwords
from equipage.imports.reader import Problem
from equipage.imports.selectors import (
    current_members,
    custom_field_specs,
    import_scope,
)
from equipage.imports.validate import CustomFieldSpec, Row, Validated, stream_file
from equipage.organizations.models import Feature, FirstPasswordPolicy, Organization
from equipage.organizations.password_policy import min_length_of
from equipage.organizations.seats import ensure_seats, lock_organization
from equipage.permissions import Actor, Cap, as_actor, authorize

Progress = Callable[[str, int, int], None]
BATCH = 5000
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
    # A dry run's planned changes, each turned into its dict only when read: a million-line
    # preview as a million dicts cost a gigabyte at once.
    planned: Sequence[Any] = field(default=(), repr=False)
    applied: bool = False
    dry_run: bool = False
    mode: str = ImportMode.SYNC
    confirmation_required: bool = False
    rows: int = 0

    @property
    def changes(self) -> list[dict[str, Any]]:
        """Return every change as a dict (all at once: ``iter_changes`` for a big preview)."""
        return list(self.iter_changes())

    def iter_changes(self) -> Iterator[dict[str, Any]]:
        """Yield each change's dict, made as it is read."""
        for change in self.planned:
            yield change.as_dict()

    @property
    def change_count(self) -> int:
        return len(self.planned)

    def write_json(self, out: TextIO, with_changes: bool = True) -> None:
        """Write ``as_dict()`` as JSON to ``out``, the changes one at a time."""
        head = json.dumps(self.as_dict(with_changes=False), ensure_ascii=False)
        if not with_changes:
            out.write(head)
            return
        out.write(head[:-1] + ', "changes": [')
        encode = json.JSONEncoder(ensure_ascii=False).encode
        texts: list[str] = []
        written = False
        for change in chain(self.iter_changes(), [None]):
            if change is not None:
                texts.append(encode(change))
            if texts and (change is None or len(texts) == 1000):  # a thousand per write
                out.write((", " if written else "") + ", ".join(texts))
                texts, written = [], True
        out.write("]}")

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
        if dry_run:  # the list of changes is the preview's; an apply only reports counts
            report.planned = plan.changes
        report.confirmation_required = plan.needs_mass_confirmation
    problems.sort(key=lambda p: (p.line, p.column))
    report.errors = [p.as_dict() for p in problems]
    return report


def _file_error(report: ImportReport, message: str) -> ImportReport:
    report.errors.insert(0, Problem(0, "", message).as_dict())
    report.applied = False
    return report


def _plan(
    actor: Actor,
    organization: Organization,
    validated: Validated,
    rows: Iterable[Row],
    mode: str,
    progress: Progress,
) -> Plan:
    """Compare the file's rows, as they are read, with the members; settle the given passwords.

    The members are loaded first; a row that changes nothing is let go once
    compared, so a big sync holds its members and its changes, not its file.
    """
    current = current_members(organization, validated.has)
    scope = import_scope(actor, organization, mode)
    refused: list[Problem] = []
    if C.PASSWORD in validated.columns:
        rows = screen_passwords(
            rows, min_length_of(organization), validated.columns[C.PASSWORD], refused
        )
    plan = compute_plan(_counted(rows, progress), current, scope, validated.columns)
    plan.errors.extend(refused)
    lines = validated.total_lines
    progress("read", lines, lines)
    if plan.password_checks:
        from equipage.imports.passwords import check_passwords

        progress("compare", 0, len(plan.password_checks))
        stored = dict(
            Member.objects.filter(pk__in=[c.pk for c in plan.password_checks]).values_list(
                "pk", "password"
            )
        )
        pairs = [
            (c.row.password or "" if c.row else "", stored.get(c.pk or 0, ""))
            for c in plan.password_checks
        ]
        same = {
            c.pk
            for c, ok in zip(plan.password_checks, check_passwords(pairs), strict=True)
            if ok and c.pk is not None
        }
        settle_passwords(plan, same)
        progress("compare", len(pairs), len(pairs))
    return plan


def _counted(rows: Iterable[Row], progress: Progress, every: int = 20_000) -> Iterator[Row]:
    """Yield the rows, telling ``progress`` how many lines were read every ``every`` rows."""
    done = 0
    for done, row in enumerate(rows, 1):
        if not done % every:
            progress("read", done, 0)
        yield row


def _mass_message(plan: Plan) -> str:
    return _(
        "This sync would deactivate %(n)d of the %(m)d active members. If that is what you "
        "want, confirm the mass deactivation (--confirm-mass-deactivation)."
    ) % {"n": plan.deactivating_active, "m": plan.active_before}


def roster_import(
    *,
    actor: Actor | Member,
    organization: Organization,
    data: bytes | Path,
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

    ``data`` is the file's bytes, or its path: a CSV file's lines are then read
    from the disk as they are compared, so a big file's bytes are not held
    while the import compares and writes (a million lines: 80 MB).
    """
    actor = as_actor(actor)
    authorize(actor, Cap.MEMBER_IMPORT, organization)
    ensure_import_enabled(organization)
    if mode not in ImportMode.values:
        raise ValidationFailed(_("The mode must be sync or upsert."), field="mode")
    with _collector_paused():
        return _import(
            actor,
            organization,
            data,
            filename,
            mode,
            dry_run,
            confirm_mass_deactivation,
            progress or _no_progress,
            job,
        )


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the import runs.

    The import builds a few objects per row and frees them by reference
    counting; the collector's repeated scans of those live objects cost about
    a third of a 100k-row import. It is switched back on (if it was) at the end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import(
    actor: Actor,
    organization: Organization,
    data: bytes | Path,
    filename: str,
    mode: str,
    dry_run: bool,
    confirm_mass_deactivation: bool,
    progress: Progress,
    job: ImportJob | None,
) -> ImportReport:
    progress("read", 0, 0)
    specs = custom_field_specs(organization)
    if dry_run:
        # Read and checked a chunk of lines at a time, each row compared as it comes.
        validated, rows = stream_file(data, filename, specs)
        plan = _plan(actor, organization, validated, rows, mode, progress)
        report = _report(validated, plan, mode, dry_run=True)
        if report.clean:
            try:
                ensure_seats(organization, plan.seats_needed())
            except SeatLimitExceeded as exc:
                _file_error(report, str(exc))
        return report

    if job is not None:  # the background job: its task publishes its progress and heartbeat
        return _apply(
            actor,
            organization,
            (data, filename, specs),
            mode,
            confirm_mass_deactivation,
            progress,
            job,
        )
    from equipage.imports.pulse import Pulse

    holder = _acquire_lock(actor, organization, filename, mode)
    try:
        with Pulse(holder.pk, forward=progress) as pulse:
            report = _apply(
                actor,
                organization,
                (data, filename, specs),
                mode,
                confirm_mass_deactivation,
                pulse,
                holder,
            )
    finally:
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
    source: tuple[bytes | Path, str, list[CustomFieldSpec]],
    mode: str,
    confirm: bool,
    progress: Progress,
    job: ImportJob,
) -> ImportReport:
    """Read, compare and write the file in one transaction, under the organization's lock.

    ``source`` is the file (bytes or path), its name and the custom fields:
    the file is read once, inside the transaction, as the members it is
    compared with are the ones written.
    """
    try:
        with transaction.atomic():
            org = lock_organization(organization.pk)
            validated, rows = stream_file(*source)
            plan = _plan(actor, org, validated, rows, mode, progress)
            report = _report(validated, plan, mode, dry_run=False)
            if not report.clean:
                raise _Rollback(report)
            if plan.needs_mass_confirmation and not confirm:
                raise _Rollback(_file_error(report, _mass_message(plan)))
            try:
                ensure_seats(org, plan.seats_needed())
            except SeatLimitExceeded as exc:
                raise _Rollback(_file_error(report, str(exc))) from None
            with roomy_page_cache():
                _write(actor, org, plan, progress, job)
            report.applied = True
            report.confirmation_required = False
    except _Rollback as stop:
        return stop.report
    return report


def _acquire_lock(actor: Actor, organization: Organization, filename: str, mode: str) -> ImportJob:
    """Create a running job holding the organization's import lock, or refuse."""
    from equipage.imports.jobs import new_job

    now = clock.now()
    job = new_job(
        actor,
        organization,
        filename,
        mode,
        now,
        status=ImportStatus.RUNNING,
        lock=True,
        pid=os.getpid(),
        host=socket.gethostname()[:255],
        heartbeat_at=now,
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
    """Free the organization's lock if its holder's worker vanished; True if it is free.

    A holder that beats (``pulse``) is judged by its heartbeat, as
    housekeeping does; one without a heartbeat (queued, or from an older
    version) only when its process is gone from this machine or it is very old.
    """
    from equipage.imports.jobs import end_interrupted, vanished

    holder = (
        ImportJob.objects.filter(organization=organization, lock=True)
        .select_related("organization", "actor_member")
        .first()
    )
    if holder is None:
        return True
    if holder.heartbeat_at is not None:
        return vanished(holder) and end_interrupted(holder)
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
    from equipage.imports.jobs import log_outcome, summarised
    from equipage.imports.pulse import forget_side

    status = ImportStatus.APPLIED if report is not None and report.applied else ImportStatus.FAILED
    # The caller has the whole report; the job's row keeps its counts and first lines.
    result = summarised(report.as_dict(with_changes=False)) if report is not None else None
    now = clock.now()
    ImportJob.objects.filter(pk=job.pk).update(
        lock=None,
        status=status,
        progress_phase="",
        finished_at=now,
        updated_at=now,
        result=result,
    )
    forget_side(job.pk)
    errors = (result or {}).get("errors") or [{"message": "interrupted"}]
    reason = "" if status == ImportStatus.APPLIED else str(errors[0].get("message", ""))
    log_outcome(job, status, result, (now - job.created_at).total_seconds(), reason)


def _unusable_passwords(n: int) -> Iterator[str]:
    # Same shape as Django's set_unusable_password(), without one call per row.
    for start in range(0, n, BATCH):
        size = min(BATCH, n - start)
        blob = os.urandom(20 * size).hex()
        for i in range(size):
            yield f"!{blob[i * 40 : i * 40 + 40]}"


class _RolesOf:
    """Return ``NewMemberChange.roles()`` for a row's roles; the few distinct answers are kept.

    The lists returned are shared: callers only read them.
    """

    __slots__ = ("known",)

    def __init__(self) -> None:
        self.known: dict[tuple[str, ...] | None, list[str]] = {}

    def __call__(self, roles: tuple[str, ...] | None) -> list[str]:
        found = self.known.get(roles)
        if found is None:
            found = self.known[roles] = sorted(set(roles or ()) or {"member"})
        return found


def _label(first_name: str, last_name: str, login: str) -> str:
    """Return what ``str(member)`` says (the audit's target label), without a model object."""
    return f"{first_name} {last_name}".strip() or login


def _write(
    actor: Actor,
    org: Organization,
    plan: Plan,
    progress: Progress,
    job: ImportJob,
) -> None:
    """Write the plan in bulk; runs inside the import's transaction."""
    now = clock.now()
    total = len(plan.changes)
    added = [c for c in plan.changes if isinstance(c, NewMemberChange)]
    updated = [c for c in plan.changes if isinstance(c, Change)]
    progress("write", 0, total)
    added, new_ids = _create_members(org, added, now, progress, total)
    progress("write", len(added), total)
    _update_members(actor, org, updated, now)
    _write_contacts(added, new_ids, updated, now)
    progress("write", total, total)
    # From here on, in member id order (the new members come back in it): the roles,
    # memberships and audit rows then refer to (and check their foreign keys against)
    # the members' table in order, not at random.
    updated.sort(key=_pk_of)
    _write_relations(org, added, updated, new_ids)
    record_rows(actor=actor, organization=org, rows=_audit_rows(added, new_ids, updated, job.pk))
    _revoke_tokens(actor, org, updated)
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
    _queue_mails(org, added, new_ids, updated)


def _revoke_tokens(actor: Actor, org: Organization, updated: list[Change]) -> None:
    """Revoke the API tokens of members this import takes token roles from.

    Those of the members it deactivates went with their deactivation
    (``accounts.deactivation``).
    """
    from equipage.tokens.actions import may_hold_tokens, tokens_revoke_for_creators
    from equipage.tokens.models import RevokedReason

    demoted: set[int] = set()
    for c in updated:
        if c.pk is None or c.fields.get("state", (None, None))[1] == DEACTIVATED:
            continue
        if "roles" in c.fields:
            before, after = c.fields["roles"]
            if may_hold_tokens(before) and not may_hold_tokens(after):
                demoted.add(c.pk)
    tokens_revoke_for_creators(
        actor=actor, organization=org, member_ids=demoted, reason=RevokedReason.CREATOR_DEMOTED
    )


def _audit_rows(
    added: list[NewMemberChange], new_ids: Sequence[int], updated: list[Change], job_id: int
) -> Iterator[RowTuple]:
    """Yield one audit row per changed member: what ``record_many`` would write for it."""
    roles = _RolesOf()
    roles_json: dict[tuple[str, ...] | None, str] = {}
    text = encode_basestring_ascii  # what json.dumps writes for a string
    states = {True: json.dumps(ACTIVE), False: json.dumps(DEACTIVATED)}
    created = EventType.MEMBER_CREATED
    for change, pk in zip(added, new_ids, strict=True):
        row = change.row
        assert row is not None and isinstance(change, NewMemberChange)
        first, last, login = row.first_name, row.last_name, change.login
        label = f"{first} {last}".strip() or login
        if not change.extra:
            # NewMemberChange.values() as json.dumps writes it (the same keys, the same
            # order), without a dict per member: a million members spend seconds on those.
            held = roles_json.get(row.roles)
            if held is None:
                held = roles_json[row.roles] = json.dumps(roles(row.roles))
            after_text = AuditJson(
                f'{{"login": {text(login)}, "last_name": {text(last)}, "first_name":'
                f' {text(first)}, "email": {text(row.email)}, "state": {states[bool(row.active)]},'
                f' "roles": {held}, "import": {job_id}}}'
            )
            yield (created, pk, "member", str(pk), label, None, after_text)
            continue
        after: dict[str, Any] = {
            "login": login,
            "last_name": last,
            "first_name": first,
            "email": row.email,
            "state": ACTIVE if row.active else DEACTIVATED,
            "roles": roles(row.roles),
        }
        after.update(change.extra)
        after["import"] = job_id
        yield (created, pk, "member", str(pk), label, None, after)
    for upd in updated:
        event = EventType.MEMBER_UPDATED
        state = upd.fields.get("state")
        if state:
            event = (
                EventType.MEMBER_DEACTIVATED
                if state[1] == DEACTIVATED
                else EventType.MEMBER_REACTIVATED
            )
        m = upd.current
        assert m is not None and upd.pk is not None
        names = upd.row or m
        label = _label(names.first_name, names.last_name, m.login)
        before = {k: v[0] for k, v in upd.fields.items()}
        after = {k: v[1] for k, v in upd.fields.items()}
        after["import"] = job_id
        yield (event, upd.pk, "member", str(upd.pk), label, before, after)


def _last(values: tuple[Any, ...]) -> Any:
    return values[-1]


def _pk_of(change: Change) -> int:
    return change.pk or 0


def _login_of(change: NewMemberChange) -> str:
    return change.login


def _create_members(
    org: Organization, added: list[NewMemberChange], now: Any, progress: Progress, total: int
) -> tuple[list[NewMemberChange], Sequence[int]]:
    """Insert the new members with one prepared statement per batch.

    Return the changes in id order and their ids (ascending).
    """
    if not added:
        return [], []
    from django.db import connection

    from equipage.imports.passwords import hash_passwords

    given = [c for c in added if c.row is not None and c.row.password]
    hashes = dict(
        zip(
            [id(c) for c in given],
            hash_passwords([c.row.password for c in given]),  # type: ignore[union-attr, misc]
            strict=True,
        )
    )
    unusable = _unusable_passwords(len(added) - len(given)).__next__
    from equipage.accounts.actions.members import uses_shared_password

    shared = uses_shared_password(org)
    stamp = connection.ops.adapt_datetimefield_value(now)
    active, inactive = str(MemberState.ACTIVE), str(MemberState.DEACTIVATED)
    org_id = org.pk
    search_key = search_key_maker()
    # In login order: the indexes (the collated name index above all) are filled
    # with far fewer cache misses than in the file's order (100k on SQLite: -1 s).
    ordered = sorted(added, key=_login_of)
    del added

    def rows() -> Iterator[tuple[Any, ...]]:
        hashed = None
        for done, c in enumerate(ordered, start=1):
            row = c.row
            assert row is not None
            login, email, first, last = c.login, row.email, row.first_name, row.last_name
            if hashes:
                hashed = hashes.get(id(c))
            yield member_row(
                org_id, login, email, first, last, active if row.active else inactive,
                hashed or unusable(), bool(hashed), shared, stamp, search_key,
            )  # fmt: skip
            if done % BATCH == 0:
                progress("write", done, total)

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(Member._meta.db_table)}"  # noqa: S608
        )
        before = int(cursor.fetchone()[0])
    with search_index_deferred(Member._meta.db_table, len(ordered)):
        insert_rows(Member, MEMBER_COLUMNS, rows())
    return ordered, _new_ids(org, ordered, now, before)


def _new_ids(
    org: Organization, ordered: list[NewMemberChange], now: Any, before: int
) -> Sequence[int]:
    """Return the ids the members just inserted (in ``ordered``'s order) were given.

    Ids grow with each insert, and the organization is locked (nobody else adds
    to it): when this import's ``n`` rows hold ``n`` consecutive ids, they were
    handed out in insertion order, and one aggregate proves it. Otherwise
    (another organization's members inserted meanwhile on PostgreSQL) the ids
    are read back by login.
    """
    n = len(ordered)
    mine = Member.objects.filter(organization_id=org.pk, created_at=now, pk__gt=before)
    low, high, count = mine.aggregate(low=Min("pk"), high=Max("pk"), count=Count("pk")).values()
    if count == n and high - low + 1 == n:
        return range(low, high + 1)  # not a list: a million ids as objects cost 40 MB
    ids = dict(mine.values_list("login", "pk").iterator(BATCH))
    pairs = sorted((ids[c.login], i) for i, c in enumerate(ordered))
    ordered[:] = [ordered[i] for _pk, i in pairs]
    return [pk for pk, _i in pairs]


def _update_members(actor: Actor, org: Organization, updated: list[Change], now: Any) -> None:
    if not updated:
        return
    from django.db import connection

    from equipage.accounts.deactivation import deactivate_members
    from equipage.imports.passwords import hash_passwords

    ids = [(c.pk, c.fields.get("state", [None, None])[1]) for c in updated if c.pk is not None]
    deactivate = [pk for pk, state in ids if state == DEACTIVATED]
    reactivate = [pk for pk, state in ids if state == ACTIVE]
    profile = [
        c for c in updated if {"first_name", "last_name", "email", "password"} & set(c.fields)
    ]
    deactivate_members(actor=actor, organization=org, member_ids=deactivate, now=now)
    for start in range(0, len(reactivate), BATCH):
        Member.objects.filter(organization=org, pk__in=reactivate[start : start + BATCH]).update(
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
    # E-mails may move between members of the file: free them first, then set them (only
    # needed when an address one of them gives up is taken by one of them).
    moving = [c for c in profile if "email" in c.fields and c.pk is not None]
    given_up = {c.current.email.lower() for c in moving if c.current and c.current.email}
    taken_up = {c.row.email.lower() for c in moving if c.row and c.row.email}
    email_changes = [c.pk or 0 for c in moving] if given_up & taken_up else []
    del moving, given_up, taken_up
    for start in range(0, len(email_changes), BATCH):
        Member.objects.filter(pk__in=email_changes[start : start + BATCH]).update(email="")
    stamp = connection.ops.adapt_datetimefield_value(now)
    search_key = search_key_maker()
    plain: list[tuple[Any, ...]] = []
    secret: list[tuple[Any, ...]] = []
    for c in profile:
        m, row = c.current, c.row
        assert m is not None and row is not None
        email = row.email if "email" in c.fields else m.email
        values = (
            row.first_name,
            row.last_name,
            email,
            search_key(row.first_name, row.last_name, m.login, email),
            stamp,
        )
        if c.pk in hashes:
            secret.append((*values, hashes[c.pk], True, False, c.pk))
        else:
            plain.append((*values, c.pk))
    plain.sort(key=_last)  # by id: the table's pages are visited in order
    secret.sort(key=_last)
    names = ["first_name", "last_name", "email", "search_text", "updated_at"]
    with search_index_refreshed(Member._meta.db_table, [c.pk for c in profile if c.pk]):
        update_rows(Member, names, plain)
        secrets = ["password", "must_change_password", "uses_temp_password"]
        update_rows(Member, names + secrets, secret)


def _write_contacts(
    added: list[NewMemberChange], new_ids: Sequence[int], updated: list[Change], now: Any
) -> None:
    """Write the phone, job title and contact roles the file's contact columns change."""
    from django.db import connection

    stamp = connection.ops.adapt_datetimefield_value(now)
    names = list(CONTACT_COLUMNS)
    rows: list[tuple[Any, ...]] = []
    for new, pk in zip(added, new_ids, strict=True):
        contact = new.row.contact if new.row is not None else None
        if contact and any(contact.values()):
            rows.append((*_contact_values(contact, {}), stamp, pk))
    for c in updated:
        if c.pk is not None and c.row is not None and c.row.contact and _touches_contact(c.fields):
            held = c.current.contact if c.current is not None else None
            rows.append((*_contact_values(c.row.contact, held or {}), stamp, c.pk))
    rows.sort(key=_last)
    update_rows(Member, [*names, "updated_at"], rows)


def _touches_contact(fields: dict[str, Any]) -> bool:
    """Tell whether a change's fields touch a contact column."""
    return any(key in fields for key in CONTACT_COLUMNS)


def _contact_values(given: dict[str, Any], held: dict[str, Any]) -> tuple[Any, ...]:
    """Return (phone, job title, contact roles as JSON text): the file's, else the held ones."""
    phone, job_title, roles = (
        given[key] if key in given else held.get(key) for key in CONTACT_COLUMNS
    )
    return (phone or "", job_title or "", json.dumps(list(roles or ())))


def _write_relations(
    org: Organization, added: list[NewMemberChange], updated: list[Change], new_ids: Sequence[int]
) -> None:
    """Write roles, group memberships, labels and custom values with one statement per batch."""
    from django.db import connection

    from equipage.groups.models import GroupMembership, GroupRole, MemberLabel

    org_id = org.pk
    member_role = str(GroupRole.MEMBER)
    roles: list[tuple[int, int, str]] = []
    memberships: list[tuple[int, int, int, str]] = []
    labels: list[tuple[int, int, int]] = []
    values: list[tuple[int, int, int, str]] = []
    fields = {f.key: f.pk for f in CustomField.objects.filter(organization=org)}
    roles_of = _RolesOf()

    def new_roles() -> Iterator[tuple[int, int, str]]:
        # One row per role of each new member, made as they are written (a million
        # members' tuples are never all held at once).
        for c, new_pk in zip(added, new_ids, strict=True):
            assert c.row is not None
            for role in roles_of(c.row.roles):
                yield (org_id, new_pk, role)

    for new, new_pk in zip(added, new_ids, strict=True):
        assert isinstance(new, NewMemberChange)
        row = new.row
        assert row is not None
        if new.add_groups:
            for gid in new.add_groups:
                memberships.append((org_id, gid, new_pk, member_role))
        if new.add_labels:
            for lid in new.add_labels:
                labels.append((org_id, new_pk, lid))
        if row.custom:
            for key, value in row.custom.items():
                if value:
                    values.append((org_id, new_pk, fields[key], value))
    remove_roles: list[tuple[int, int, str]] = []
    remove_groups: list[tuple[int, int, int]] = []
    remove_labels: list[tuple[int, int, int]] = []
    remove_values: list[tuple[int, int]] = []
    for c in updated:
        pk = c.pk
        assert pk is not None
        if "roles" in c.fields:
            before, after = set(c.fields["roles"][0]), set(c.fields["roles"][1])
            roles.extend((org_id, pk, r) for r in sorted(after - before))
            remove_roles.extend((org_id, pk, r) for r in sorted(before - after))
        memberships.extend((org_id, g, pk, member_role) for g in c.add_groups)
        remove_groups.extend((org_id, pk, g) for g in c.remove_groups)
        labels.extend((org_id, pk, lid) for lid in c.add_labels)
        remove_labels.extend((org_id, pk, lid) for lid in c.remove_labels)
        for name, (_before, after_value) in c.fields.items():
            if name.startswith("custom:"):
                remove_values.append((pk, fields[name[7:]]))
                if after_value:
                    values.append((org_id, pk, fields[name[7:]], after_value))

    def table(model: Any) -> str:
        return str(connection.ops.quote_name(model._meta.db_table))

    # Removals first (a custom value is replaced by delete + insert), then insertions.
    execute_many(
        f"DELETE FROM {table(MemberRole)} WHERE organization_id = %s"  # noqa: S608
        " AND member_id = %s AND role = %s",
        remove_roles,
    )
    execute_many(
        f"DELETE FROM {table(GroupMembership)} WHERE organization_id = %s"  # noqa: S608
        " AND member_id = %s AND group_id = %s",
        remove_groups,
    )
    execute_many(
        f"DELETE FROM {table(MemberLabel)} WHERE organization_id = %s"  # noqa: S608
        " AND member_id = %s AND label_id = %s",
        remove_labels,
    )
    execute_many(
        f"DELETE FROM {table(CustomFieldValue)} WHERE member_id = %s AND field_id = %s",  # noqa: S608
        remove_values,
    )
    insert_rows(MemberRole, ("organization_id", "member_id", "role"), chain(new_roles(), roles))
    insert_rows(GroupMembership, ("organization_id", "group_id", "member_id", "role"), memberships)
    insert_rows(MemberLabel, ("organization_id", "member_id", "label_id"), labels)
    insert_rows(CustomFieldValue, ("organization_id", "member_id", "field_id", "value"), values)


def _queue_mails(
    org: Organization, added: list[NewMemberChange], new_ids: Sequence[int], updated: list[Change]
) -> None:
    """Queue set-password links (policy ``link``) and deactivation notices, in the transaction."""
    if org.first_password_policy == FirstPasswordPolicy.LINK:
        from equipage.accounts.actions.passwords import send_set_password_links

        wanted = [
            pk
            for change, pk in zip(added, new_ids, strict=True)
            if change.row is not None
            and not change.row.password
            and change.row.email
            and change.row.active
        ]
        batch: list[Member] = []
        for member in _members(org, wanted):
            member.organization = org
            batch.append(member)
            if len(batch) == BATCH:
                send_set_password_links(org, batch)
                batch = []
        send_set_password_links(org, batch)
    if org.deactivation_notice:
        from equipage.accounts.deactivation import queue_deactivation_notices

        gone = [c.pk for c in updated if c.kind == "deactivated" and c.pk is not None]
        queue_deactivation_notices(org, _members(org, gone))


def _members(org: Organization, ids: list[int]) -> Iterator[Member]:
    """Yield the members with these ids, in that order, loaded a batch at a time."""
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        found = Member.objects.filter(organization=org, pk__in=chunk).in_bulk()
        for pk in chunk:
            if pk in found:
                yield found[pk]


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
