"""The package's floors: ``core`` imports no domain, and no module imports upward unannounced.

Layers, lowest first (see the README's "Development" map):

0. ``core`` (and ``conf``): clock, errors, base models, registries.
1. the schema: every ``<pkg>.models`` — Django models point at each other by
   foreign key, so they share one floor above ``core``.
2. ``instance``.
3. ``permissions``, ``organizations``, ``audit``, ``emails`` (the outbox is
   infrastructure every action queues into).
4. ``accounts``, ``tokens``.
5. ``groups``, ``invitations``, ``directory``, ``webhooks``, ``ops``.
6. ``imports``, ``scim``, ``api``.
7. the edges: ``web``, ``cli`` and every ``views`` / ``forms`` / ``urls`` module.

A module may import its own package and anything on its floor or below. An
import upward must be listed in ``ALLOWED_UPWARD`` with the reason it stays;
a new one fails here until it is removed (by a registry or a move) or listed.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "equipage"

FLOORS: dict[str, int] = {
    "core": 0,
    "conf": 0,
    "instance": 2,
    "permissions": 3,
    "organizations": 3,
    "audit": 3,
    "emails": 3,
    "accounts": 4,
    "tokens": 4,
    "groups": 5,
    "invitations": 5,
    "directory": 5,
    "webhooks": 5,
    "ops": 5,
    "twofactor": 5,
    "imports": 6,
    "scim": 6,
    "api": 6,
    "web": 7,
    "cli": 7,
}
SCHEMA = 1
EDGE = 7
EDGE_MODULES = {"views", "forms", "urls"}

# (importing module, imported module) → why it stays.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {
    ("equipage.accounts.actions.customfields", "equipage.imports.columns"): (
        "a custom field may not take the name of one of the spreadsheet's standard columns"
    ),
    ("equipage.accounts.actions.members", "equipage.groups.memberships"): (
        "member_create puts the new member in their groups; the membership writer is groups'"
    ),
    ("equipage.organizations.actions", "equipage.accounts.owner"): (
        "creating an organization creates its owner, and every account belongs to an organization"
    ),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def floor(module: str) -> int | None:
    """Return ``module``'s floor, or None for what is not layered (settings, urls, …)."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "equipage" or parts[1] not in FLOORS:
        return None
    if FLOORS[parts[1]] == 0:
        return 0
    if len(parts) > 2 and parts[2] == "models":
        return SCHEMA
    if parts[-1] in EDGE_MODULES:
        return EDGE
    return FLOORS[parts[1]]


def imports_of(path: Path) -> set[str]:
    """Return every ``equipage.*`` module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("equipage.")}


def package_sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def upward_imports() -> set[tuple[str, str]]:
    """Return (importer, imported) pairs that go to a higher floor of another package."""
    found: set[tuple[str, str]] = set()
    for path in package_sources():
        source = module_name(path)
        source_floor = floor(source)
        if source_floor is None:
            continue
        for target in imports_of(path):
            target_floor = floor(target)
            if target_floor is None or target.split(".")[1] == source.split(".")[1]:
                continue
            if target_floor > source_floor:
                found.add((source, target))
    return found


def test_core_imports_no_domain_package() -> None:
    offenders = [
        f"{module_name(path)} imports {target}"
        for path in sorted((PACKAGE / "core").rglob("*.py"))
        if "migrations" not in path.parts
        for target in sorted(imports_of(path))
        if not target.startswith("equipage.core")
    ]
    assert offenders == [], "core is the ground floor: register from the domain instead"


def test_every_upward_import_is_listed_with_its_reason() -> None:
    unlisted = sorted(upward_imports() - ALLOWED_UPWARD.keys())
    assert unlisted == [], (
        "these imports go up a floor: remove them (a registry in the lower package, "
        "or move the code) or list them in ALLOWED_UPWARD with the reason they stay"
    )


def test_the_layer_check_sees_an_upward_import() -> None:
    """Guard the checker itself: a core module importing accounts is upward."""
    assert floor("equipage.core.clock") == 0
    assert floor("equipage.accounts.models") == SCHEMA
    assert floor("equipage.invitations.views") == EDGE
    assert floor("equipage.accounts.actions.members") > floor("equipage.permissions.policy")  # type: ignore[operator]


def test_housekeeping_jobs_of_every_domain_are_registered_at_startup() -> None:
    """The registry is filled by the apps' ready(), not by core importing them."""
    from equipage.core.housekeeping import PERIODIC_JOBS

    modules = {job.__module__ for job in PERIODIC_JOBS}
    assert {
        "equipage.core.housekeeping",
        "equipage.accounts.housekeeping",
        "equipage.directory.statistics",
        "equipage.emails.housekeeping",
        "equipage.imports.housekeeping",
        "equipage.invitations.housekeeping",
        "equipage.ops.heartbeats",
        "equipage.webhooks.housekeeping",
    } <= modules


def test_the_imports_guard_organization_deletion_through_the_registry() -> None:
    """``organizations`` asks the guards the domains above it registered, never imports them."""
    from equipage.organizations.deletion import DELETION_GUARDS

    assert "equipage.imports.guards" in {guard.__module__ for guard in DELETION_GUARDS}
