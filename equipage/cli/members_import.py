"""``equipage members import FILE --org SLUG [--dry-run] [--mode sync|upsert] [--json]``."""

from __future__ import annotations

import argparse
import json
import sys
from itertools import islice
from pathlib import Path
from typing import Any

from equipage.cli.bootstrap import CommandError, cli_actor, group_parser, organization, out


def register(sub: Any, groups: dict[str, Any]) -> None:
    members = group_parser(sub, groups, "members", "list, import, export and invite members")
    parser = members.add_parser(
        "import", help="import a roster file (CSV, XLSX or ODS): add, update, deactivate"
    )
    parser.add_argument("file", metavar="FILE", help="the CSV, XLSX or ODS file ('-' for stdin)")
    parser.add_argument("--org", required=True, metavar="SLUG")
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would change, change nothing"
    )
    parser.add_argument("--mode", choices=["sync", "upsert"], default="sync")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--confirm-mass-deactivation",
        action="store_true",
        help="allow a sync that deactivates more than half of the active members",
    )
    parser.set_defaults(handler=import_members)


class _Progress:
    """Draw a one-line progress display on stderr, only for a human at a terminal."""

    LABELS = {"read": "reading", "compare": "comparing", "write": "writing"}

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.last = ""

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        label = self.LABELS.get(phase, phase)
        # While reading, the number of lines is known only once they are all read.
        count = f"{done}/{total}" if total else f"{done}…" if done else "…"
        text = f"{label} {count}" if total or done else f"{label}…"
        if total:
            width = 30
            filled = int(width * done / total) if total else 0
            text = f"[{'#' * filled}{'.' * (width - filled)}] {text}"
        if text != self.last:
            sys.stderr.write("\r\033[K" + text)
            sys.stderr.flush()
            self.last = text

    def end(self) -> None:
        if self.enabled and self.last:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def import_members(args: argparse.Namespace) -> int:
    from django.utils import translation

    from equipage.core.errors import DomainError
    from equipage.imports.actions import roster_import
    from equipage.organizations.first_password import first_password_notice

    org = organization(args.org)
    data: bytes | Path
    if args.file == "-":
        data, name = sys.stdin.buffer.read(), "stdin.csv"
    else:
        # The import reads the file itself, and lets its bytes go once they are checked.
        data, name = Path(args.file), Path(args.file).name
        try:
            with data.open("rb"):
                pass
        except OSError as exc:
            raise CommandError(f"cannot read {args.file}: {exc.strerror}") from None
    actor = cli_actor()
    actor.organization_id = org.pk
    progress = _Progress(enabled=not args.json and sys.stderr.isatty())
    with translation.override(org.language):
        try:
            report = roster_import(
                actor=actor,
                organization=org,
                data=data,
                filename=name,
                mode=args.mode,
                dry_run=args.dry_run,
                confirm_mass_deactivation=args.confirm_mass_deactivation,
                progress=progress,
            )
        except DomainError as exc:
            progress.end()
            if args.json:
                out(
                    json.dumps(
                        {
                            "added": 0,
                            "updated": 0,
                            "deactivated": 0,
                            "unchanged": 0,
                            "skipped": [],
                            "errors": [{"line": 0, "column": "", "message": str(exc)}],
                            "applied": False,
                        },
                        ensure_ascii=False,
                    )
                )
                return 1
            raise CommandError(str(exc)) from None
        progress.end()
        if args.json:
            report.write_json(sys.stdout, with_changes=args.dry_run)  # a change at a time
            out()
        else:
            _print_human(report)
            out(first_password_notice(org))
    return 0 if report.clean and (report.applied or args.dry_run) else 1


def _print_human(report: Any) -> None:
    for e in report.errors:
        where = f"line {e['line']}" if e["line"] else "file"
        column = f", {e['column']}" if e["column"] else ""
        out(f"error: {where}{column}: {e['message']}")
    for w in report.warnings:
        out(f"warning: line {w['line']}, {w['column']}: {w['message']}")
    if report.dry_run and report.clean:
        for c in islice(report.iter_changes(), 200):
            line = f"line {c['line']}" if c["line"] else "absent"
            fields = ", ".join(
                f"{k}: {v['before'] if v['before'] is not None else ''} → {v['after']}"
                for k, v in c["fields"].items()
            )
            out(f"{c['change']:<12} {c['login']:<28} ({line}) {fields}")
        if report.change_count > 200:
            out(f"… and {report.change_count - 200} more changes (use --json for all)")
    for s in report.skipped:
        out(f"skipped: {s['login']}: {s['reason']}")
    verb = "would be" if report.dry_run else "were"
    out(
        f"{report.added} added, {report.updated} updated, {report.deactivated} deactivated, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped, "
        f"{len(report.errors)} error(s)"
    )
    if report.applied:
        out("Applied.")
    elif report.dry_run:
        if report.confirmation_required:
            out(
                "This sync deactivates more than half of the active members: the apply "
                "will need --confirm-mass-deactivation."
            )
        out(f"Dry run: nothing was changed; these changes {verb} made by the import.")
    else:
        out("Nothing was changed.")
