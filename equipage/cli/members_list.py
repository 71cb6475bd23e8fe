"""``equipage members list``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from equipage.cli.bootstrap import cli_actor, group_parser, organization, out


def register(sub: Any, groups: dict[str, Any]) -> None:
    members = group_parser(sub, groups, "members", "list, import, export and invite members")
    parser = members.add_parser("list", help="list the members of an organization")
    parser.add_argument("--org", required=True, metavar="SLUG")
    parser.add_argument("--search", default="")
    parser.add_argument("--group", default=None)
    parser.add_argument(
        "--state", choices=["created", "invited", "active", "deactivated"], default=""
    )
    parser.add_argument("--json", action="store_true", help="print one JSON array")
    parser.set_defaults(handler=list_members)


def list_members(args: argparse.Namespace) -> int:
    from equipage.directory.listing import filter_members, member_facts, member_query

    org = organization(args.org)
    actor = cli_actor()
    actor.organization_id = org.pk
    query = member_query(actor, search=args.search, group=args.group, state=args.state)
    qs = filter_members(actor, query)
    rows: list[dict[str, Any]] = []
    batch: list[Any] = []
    for member in qs.iterator(chunk_size=2000):
        batch.append(member)
        if len(batch) == 2000:
            rows.extend(member_facts(batch))
            batch = []
    rows.extend(member_facts(batch))
    if args.json:
        out(json.dumps(rows, ensure_ascii=False))
        return 0
    for r in rows:
        out(
            f"{r['login']:<28} {r['last_name'] + ' ' + r['first_name']:<32} {r['email'] or '-':<34} "
            f"{r['state']:<12} {r['guide']:<12} {','.join(r['roles'])}"
        )
    out(f"{len(rows)} member(s)")
    return 0
