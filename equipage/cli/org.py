"""``equipage org create``, ``org update``, ``org reassign-owner`` and ``org delete``."""

from __future__ import annotations

import argparse
from typing import Any

from equipage.cli.bootstrap import CommandError, cli_actor, group_parser, organization, out
from equipage.organizations.policy import FirstPasswordPolicy


def register(sub: Any, groups: dict[str, Any]) -> None:
    org = group_parser(sub, groups, "org", "manage organizations (platform operator)")
    create = org.add_parser("create", help="create an organization and its owner")
    create.add_argument("slug")
    create.add_argument("--name", required=True)
    create.add_argument("--owner-email", required=True)
    create.add_argument("--owner-first-name", default="")
    create.add_argument("--owner-last-name", default="")
    create.add_argument("--seats", type=int, default=None)
    create.add_argument("--lang", choices=["fr", "en"], default="fr")
    create.set_defaults(handler=create_org)

    update = org.add_parser(
        "update", help="change an organization's name, seats, language or first-password policy"
    )
    update.add_argument("slug")
    update.add_argument("--name")
    seats = update.add_mutually_exclusive_group()
    seats.add_argument("--seats", type=int, metavar="N")
    seats.add_argument("--unlimited-seats", action="store_true")
    update.add_argument("--lang", choices=["fr", "en"])
    update.add_argument(
        "--first-password",
        choices=[str(p) for p in FirstPasswordPolicy],
        help="link: a single-use set-password link by e-mail; shared: the temporary password",
    )
    update.add_argument(
        "--temporary-password",
        metavar="PASSWORD",
        help="the shared policy's temporary password (common or published ones are refused)",
    )
    update.set_defaults(handler=update_org)

    reassign = org.add_parser(
        "reassign-owner", help="give ownership to another member, with a reason"
    )
    reassign.add_argument("slug")
    reassign.add_argument("--to", required=True, help="login or e-mail of the new owner")
    reassign.add_argument("--reason", required=True)
    reassign.set_defaults(handler=reassign_owner)

    delete = org.add_parser("delete", help="delete an organization and everything in it, for good")
    delete.add_argument("slug")
    delete.add_argument(
        "--confirm", required=True, metavar="SLUG", help="the organization's slug, typed again"
    )
    delete.set_defaults(handler=delete_org)


def create_org(args: argparse.Namespace) -> int:
    from equipage.organizations.actions import organization_create

    created = organization_create(
        actor=cli_actor(),
        slug=args.slug,
        name=args.name,
        owner_email=args.owner_email,
        owner_first_name=args.owner_first_name,
        owner_last_name=args.owner_last_name,
        seats=args.seats,
        language=args.lang,
    )
    org, owner = created.organization, created.owner
    seats = "unlimited" if org.seats is None else str(org.seats)
    out(f"Organization {org.slug} created: {org.name} ({org.language}, seats: {seats}).")
    out(f"Owner: {owner.login} <{owner.email}>; a set-password link was mailed to them.")
    if not (owner.first_name and owner.last_name):
        out("The link's page asks the owner for their first and last name too.")
    out("Single-use link for the owner to set their password:")
    out(created.set_password_link)
    return 0


def update_org(args: argparse.Namespace) -> int:
    from equipage.organizations.actions import organization_update

    org = organization(args.slug)
    changes: dict[str, Any] = {}
    if args.name is not None:
        changes["name"] = args.name
    if args.unlimited_seats:
        changes["seats"] = None
    elif args.seats is not None:
        changes["seats"] = args.seats
    if args.lang:
        changes["language"] = args.lang
    if args.first_password:
        changes["first_password_policy"] = args.first_password
    if args.temporary_password is not None:
        if args.first_password != FirstPasswordPolicy.SHARED:
            raise CommandError("--temporary-password goes with --first-password shared")
        changes["temporary_password"] = args.temporary_password
    elif args.first_password == FirstPasswordPolicy.SHARED and not org.temp_password_hash:
        raise CommandError("--first-password shared needs --temporary-password PASSWORD")
    if not changes:
        raise CommandError("nothing to change: give --name, --seats, --lang or --first-password")
    org = organization_update(actor=cli_actor(), organization=org, **changes)
    seats = "unlimited" if org.seats is None else str(org.seats)
    out(
        f"Organization {org.slug} updated: {org.name} ({org.language}, seats: {seats}, "
        f"first password: {org.first_password_policy})."
    )
    return 0


def reassign_owner(args: argparse.Namespace) -> int:
    from equipage.accounts.actions import ownership_reassign
    from equipage.accounts.selectors import member_by_identifier

    org = organization(args.slug)
    member = member_by_identifier(org, args.to)
    if member is None:
        raise CommandError(f"no member “{args.to}” in {org.slug}")
    ownership_reassign(actor=cli_actor(), organization=org, to_member=member, reason=args.reason)
    out(f"{member.login} is now the owner of {org.slug}.")
    return 0


def delete_org(args: argparse.Namespace) -> int:
    from equipage.organizations.actions import organization_delete
    from equipage.organizations.selectors import organization_footprint

    org = organization(args.slug)
    footprint = organization_footprint(org)
    organization_delete(actor=cli_actor(), organization=org, confirm_slug=args.confirm)
    out(
        f"Organization {org.slug} deleted: {footprint.members} members, "
        f"{footprint.groups} groups, {footprint.queued_emails} unsent e-mails dropped; "
        "its audit log is kept."
    )
    return 0
