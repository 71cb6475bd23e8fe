"""The ``equipage`` command: one entry point, one module per command group.

Each command module exposes ``register(subparsers)``; adding a command is
adding its module to ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS = [
    "equipage.cli.serve",
    "equipage.cli.worker",
    "equipage.cli.migrate",
    "equipage.cli.org",
    "equipage.cli.members_list",
    "equipage.cli.members_invite",
    "equipage.cli.members_password_link",
    "equipage.cli.members_import",
    "equipage.cli.members_export",
    "equipage.cli.demo",
    "equipage.cli.token",
    "equipage.cli.backup",
    "equipage.cli.members_reset_2fa",  # two-factor (#18.5)
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="equipage", description="Equipage: member management for organizations."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    groups: dict[str, argparse._SubParsersAction] = {}
    for name in COMMANDS:
        importlib.import_module(name).register(sub, groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from equipage.cli.bootstrap import CommandError, run

    try:
        return run(args)
    except CommandError as exc:
        print(f"equipage: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
