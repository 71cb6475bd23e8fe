"""``equipage token create``: a new API or SCIM token, printed once on the last line."""

from __future__ import annotations

import argparse
from typing import Any

from equipage.cli.bootstrap import cli_actor, group_parser, organization, out


def register(sub: Any, groups: dict[str, Any]) -> None:
    token = group_parser(sub, groups, "token", "manage API and SCIM tokens")
    create = token.add_parser("create", help="create a token and print it once")
    create.add_argument("--org", required=True, help="organization slug")
    create.add_argument(
        "--scope",
        required=True,
        action="append",
        choices=["scim", "api", "api:read", "api:write"],
        help="scim, api (read and write) or api:read; repeat for several",
    )
    create.add_argument("--name", default="", help="a name to recognise the token by")
    create.set_defaults(handler=create_token)


def create_token(args: argparse.Namespace) -> int:
    from equipage.core import clock
    from equipage.tokens.actions import token_create

    org = organization(args.org)
    name = args.name or f"{'+'.join(args.scope)} {clock.now():%Y-%m-%d %H:%M}"
    created = token_create(actor=cli_actor(), organization=org, name=name, scopes=args.scope)
    out(f"Token “{created.token.name}” created for {org.slug} ({', '.join(created.token.scopes)}).")
    out("It acts for the organization's owner with at most an admin's powers.")
    out("Copy it now, it will not be shown again:")
    out(created.raw)
    return 0
