"""``equipage members export --org SLUG [--format csv|xlsx] [--lang fr|en] [-o FILE]``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from equipage.cli.bootstrap import CommandError, cli_actor, group_parser, organization


def register(sub: Any, groups: dict[str, Any]) -> None:
    members = group_parser(sub, groups, "members", "list, import, export and invite members")
    parser = members.add_parser("export", help="export the roster as CSV or XLSX")
    parser.add_argument("--org", required=True, metavar="SLUG")
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--lang", choices=["fr", "en"], default=None)
    parser.add_argument("-o", "--output", default="-", metavar="FILE", help="default: stdout")
    parser.set_defaults(handler=export_members)


def export_members(args: argparse.Namespace) -> int:
    from equipage.imports.actions import roster_export

    org = organization(args.org)
    actor = cli_actor()
    actor.organization_id = org.pk
    language = args.lang or org.language
    if args.output == "-":
        if args.format == "xlsx" and sys.stdout.isatty():
            raise CommandError("refusing to write XLSX to a terminal; use -o FILE")
        sink = sys.stdout.buffer
        for chunk in roster_export(
            actor=actor, organization=org, fmt=args.format, language=language
        ):
            sink.write(chunk)
        sink.flush()
        return 0
    try:
        with open(args.output, "wb") as fh:
            for chunk in roster_export(
                actor=actor, organization=org, fmt=args.format, language=language
            ):
                fh.write(chunk)
    except OSError as exc:
        raise CommandError(f"cannot write {args.output}: {exc.strerror}") from None
    return 0
