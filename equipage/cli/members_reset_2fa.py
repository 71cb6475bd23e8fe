"""``equipage members reset-2fa IDENTIFIER --org SLUG``: the operator's last resort.

For an owner (or anyone) who lost both their phone and their recovery codes,
when no admin of the organization may reset it for them: audited as the
operator's act.
"""

from __future__ import annotations

import argparse
from typing import Any

from equipage.cli.bootstrap import CommandError, cli_actor, group_parser, organization, out


def register(sub: Any, groups: dict[str, Any]) -> None:
    members = group_parser(sub, groups, "members", "list, import, export and invite members")
    parser = members.add_parser(
        "reset-2fa",
        help="remove a member's second factor (they log in with their password alone)",
    )
    parser.add_argument("identifier", metavar="IDENTIFIER", help="login or e-mail")
    parser.add_argument("--org", required=True, metavar="SLUG")
    parser.set_defaults(handler=reset_2fa)


def reset_2fa(args: argparse.Namespace) -> int:
    from equipage.accounts.selectors import member_by_identifier
    from equipage.core.errors import DomainError
    from equipage.twofactor.actions import twofactor_reset

    org = organization(args.org)
    member = member_by_identifier(org, args.identifier)
    if member is None:
        raise CommandError(f"no member {args.identifier!r} in {org.slug}")
    actor = cli_actor()
    actor.organization_id = org.pk
    try:
        twofactor_reset(actor=actor, member=member)
    except DomainError as exc:
        raise CommandError(str(exc)) from exc
    out(f"{member.login}: second factor removed; they log in with their password alone.")
    return 0
