"""``equipage members password-link IDENTIFIER --org SLUG [--show-link]``: mail a member a link."""

from __future__ import annotations

import argparse
from typing import Any

from equipage.cli.bootstrap import CommandError, cli_actor, group_parser, organization, out


def register(sub: Any, groups: dict[str, Any]) -> None:
    members = group_parser(sub, groups, "members", "list, import, export and invite members")
    parser = members.add_parser(
        "password-link",
        help="mail a member a single-use link to choose a new password (older links stop working)",
    )
    parser.add_argument("identifier", metavar="IDENTIFIER", help="the member's login or e-mail")
    parser.add_argument("--org", required=True, metavar="SLUG")
    parser.add_argument(
        "--show-link",
        action="store_true",
        help="also print the link as the last line, to hand it over yourself",
    )
    parser.set_defaults(handler=password_link)


def password_link(args: argparse.Namespace) -> int:
    """Mail the link through the same action as the console; print it only when asked.

    The operator may read the database anyway, so printing the link gives them
    nothing new; it stays off by default to keep a live secret out of terminal
    logs and CI output.
    """
    from equipage.accounts.actions import member_send_password_link
    from equipage.accounts.actions.passwords import SET_LINK_LIFETIME
    from equipage.accounts.selectors import member_by_identifier

    org = organization(args.org)
    member = member_by_identifier(org, args.identifier)
    if member is None:
        raise CommandError(f"no member “{args.identifier}” in {org.slug}")
    actor = cli_actor()
    actor.organization_id = org.pk
    link = member_send_password_link(actor=actor, member=member)
    out(
        f"A single-use set-password link was mailed to {member.login} <{member.email}>; "
        f"it works once, for {SET_LINK_LIFETIME.days} days, and voids the older ones."
    )
    if args.show_link:
        out(link)
    return 0
