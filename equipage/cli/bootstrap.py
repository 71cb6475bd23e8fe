"""Starting Django for a command: settings, database created and migrated on first use."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


class CommandError(Exception):
    """A command failed for a reason the user can fix; printed as one line."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def setup_django(migrate: bool = True) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "equipage.settings")
    import django

    from equipage.conf import ConfigError

    try:
        django.setup()
    except ConfigError as exc:
        raise CommandError(str(exc), 2) from None
    if migrate:
        migrate_if_needed()


def migrate_if_needed() -> None:
    """Create and migrate the database when it is new or behind the code.

    Reading the plan takes no lock (the common case: nothing to do); applying
    it goes through ``equipage migrate``'s lock, so processes started at once
    on an empty or an old database wait for one another instead of racing.
    """
    from equipage.cli.migrate import migrate_under_lock, pending_migrations

    if pending_migrations():
        migrate_under_lock()


def show_lifecycle_logs() -> None:
    """Let long-running commands log what their supervision does (at INFO and up).

    The root logger shows warnings only unless ``EQUIPAGE_LOG_LEVEL`` says
    otherwise; a worker's start, reconnections and hand-backs, and the tasks it
    runs, are worth a line each in the service's journal.
    """
    import logging

    if os.environ.get("EQUIPAGE_LOG_LEVEL"):
        return
    from django_tasks_db.compat import TASKS_LOGGER

    for name in ("equipage.cli", "django_tasks_db", TASKS_LOGGER):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)


def run(args: argparse.Namespace) -> int:
    handler = args.handler
    if getattr(args, "needs_django", True):
        setup_django()
    from equipage.core.errors import DomainError

    try:
        result: Any = handler(args)
    except DomainError as exc:
        raise CommandError(str(exc), 1) from None
    return int(result or 0)


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def cli_actor() -> Any:
    """The platform operator acting from the command line."""
    import getpass

    from equipage.permissions import Actor, Origin

    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return Actor.operator(label=f"cli:{user}", origin=Origin(channel="cli"))


def organization(slug: str) -> Any:
    from equipage.core.errors import NotFound
    from equipage.organizations.selectors import organization_by_slug

    try:
        return organization_by_slug(slug)
    except NotFound as exc:
        raise CommandError(str(exc), 1) from None


def group_parser(sub: Any, groups: dict[str, Any], name: str, help_text: str) -> Any:
    """Return the sub-command table of ``equipage NAME ...``, created once."""
    if name not in groups:
        parser = sub.add_parser(name, help=help_text)
        groups[name] = parser.add_subparsers(
            dest=f"{name}_command", metavar="COMMAND", required=True
        )
    return groups[name]
