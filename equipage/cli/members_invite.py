"""``equipage members invite EMAILS --org SLUG [--role R] [--group G]``: one line per address."""

from __future__ import annotations

import argparse
import json
from typing import Any

from equipage.cli.bootstrap import CommandError, cli_actor, group_parser, organization, out
from equipage.core.ids import parse_id


def register(sub: Any, groups: dict[str, Any]) -> None:
    members = group_parser(sub, groups, "members", "list, import, export and invite members")
    parser = members.add_parser(
        "invite",
        help="invite people by e-mail (addresses separated by commas, semicolons or spaces)",
    )
    parser.add_argument("emails", nargs="+", metavar="EMAILS")
    parser.add_argument("--org", required=True, metavar="SLUG")
    parser.add_argument(
        "--role", action="append", default=[], choices=["admin", "user_admin", "member"]
    )
    parser.add_argument("--group", action="append", default=[], help="group name or id")
    parser.add_argument("--lang", choices=["fr", "en"], default="", help="language of the mail")
    parser.add_argument("--json", action="store_true", help="print one JSON array")
    parser.set_defaults(handler=invite)


def _group_ids(org: Any, names: list[str]) -> list[int]:
    from equipage.groups.models import Group

    ids: list[int] = []
    for name in names:
        qs = Group.objects.filter(organization=org)
        pk = parse_id(name)
        group = qs.filter(pk=pk).first() if pk is not None else None
        group = group or qs.filter(name=name).first()
        if group is None:
            raise CommandError(f"unknown group: {name}")
        ids.append(group.pk)
    return ids


def invite(args: argparse.Namespace) -> int:
    from equipage.invitations.actions import InviteStatus, invitations_create

    org = organization(args.org)
    actor = cli_actor()
    actor.organization_id = org.pk
    outcomes = invitations_create(
        actor=actor,
        organization=org,
        emails=" ".join(args.emails),
        roles=args.role or ["member"],
        group_ids=_group_ids(org, args.group),
        language=args.lang,
    )
    if args.json:
        out(json.dumps([o.as_dict() for o in outcomes], ensure_ascii=False))
    else:
        for o in outcomes:
            out(f"{o.email}: {o.status} — {o.message}")
    failed = {InviteStatus.INVALID, InviteStatus.REFUSED}
    return 1 if any(o.status in failed for o in outcomes) else 0
