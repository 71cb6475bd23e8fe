"""``equipage demo``: a French demo organization with realistic members, groups and labels."""

from __future__ import annotations

import argparse
import random
from typing import Any

from equipage.cli.bootstrap import cli_actor, out

DEMO_SLUG = "demo"
DEMO_PASSWORD = "Equipage-demo-2026"

FIRST = [
    "Élodie",
    "Théo",
    "Chloé",
    "Maël",
    "Inès",
    "Raphaël",
    "Léa",
    "Noé",
    "Zoé",
    "Gaëtan",
    "Anaïs",
    "Jérôme",
    "Hélène",
    "François",
    "Maëlys",
    "Loïc",
    "Bérénice",
    "Cédric",
    "Océane",
    "Benoît",
    "Agnès",
    "Timothée",
    "Manon",
    "Hugo",
    "Camille",
    "Jean-Baptiste",
    "Marie-Hélène",
    "Solène",
]
LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Lefèvre",
    "Leroy",
    "Moreau",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "D'Almeida",
    "Le Gall",
    "Œuvray",
    "Nguyen",
]
GROUPS = [
    ("Direction", None, "private"),
    ("Ventes", None, "public"),
    ("Ventes Nord", "Ventes", "public"),
    ("Ventes Sud", "Ventes", "public"),
    ("Atelier", None, "public"),
    ("Atelier Lyon", "Atelier", "public"),
    ("Formateurs", None, "private"),
]
LABELS = [("Télétravail", "#2f55d4"), ("Nouveau", "#067647"), ("Référent sécurité", "#b54708")]


def register(sub: Any, groups: dict[str, Any]) -> None:
    parser = sub.add_parser(
        "demo", help="create the demo organization (once) and print how to log in"
    )
    parser.add_argument("--members", type=int, default=80)
    parser.set_defaults(handler=demo)


def demo(args: argparse.Namespace) -> int:
    from equipage.accounts.selectors import owner_of
    from equipage.organizations.models import Organization

    org = Organization.objects.filter(slug=DEMO_SLUG).first()
    if org is None:
        org = build_demo(args.members)
        out(f"Demo organization created: {org.name}.")
    else:
        out(f"Demo organization already there: {org.name}.")
    owner = owner_of(org)
    out(
        f"Log in at /o/{DEMO_SLUG}/login as {owner.login if owner else '?'} with the password {DEMO_PASSWORD}"
    )
    from equipage.organizations.first_password import first_password_notice

    out(first_password_notice(org))
    return 0


def build_demo(count: int) -> Any:
    from urllib.parse import urlsplit

    from equipage.accounts.actions import member_create, members_deactivate, password_set_from_token
    from equipage.accounts.models import MemberState, Role
    from equipage.groups.actions import group_add_member, group_create, label_create, labels_attach
    from equipage.groups.models import GroupRole
    from equipage.organizations.actions import organization_create
    from equipage.permissions import Actor

    rng = random.Random(2026)  # the same demo every time
    created = organization_create(
        actor=cli_actor(),
        slug=DEMO_SLUG,
        name="Atelier Boréal",
        owner_email="claire.fontaine@atelier-boreal.test",
        owner_first_name="Claire",
        owner_last_name="Fontaine",
        seats=150,
        language="fr",
    )
    org, owner = created.organization, created.owner
    token = urlsplit(created.set_password_link).path.rstrip("/").split("/")[-1]
    password_set_from_token(organization=org, raw_token=token, new_password=DEMO_PASSWORD)
    owner.refresh_from_db()
    actor = Actor.for_member(owner)
    groups: dict[str, Any] = {}
    for name, parent, visibility in GROUPS:
        groups[name] = group_create(
            actor=actor,
            organization=org,
            name=name,
            parent=groups.get(parent or ""),
            visibility=visibility,
        )
    labels = [label_create(actor=actor, organization=org, name=n, color=c) for n, c in LABELS]
    members: list[Any] = []
    seen: set[tuple[str, str]] = set()
    while len(members) < count:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if (first, last) in seen:
            continue
        seen.add((first, last))
        has_email = rng.random() < 0.85
        from equipage.core.text import default_login

        email = f"{default_login(first, last)}@atelier-boreal.test" if has_email else ""
        roles = [Role.MEMBER]
        if len(members) < 2:
            roles = [Role.ADMIN] if len(members) == 0 else [Role.USER_ADMIN]
        member = member_create(
            actor=actor,
            organization=org,
            first_name=first,
            last_name=last,
            email=email,
            roles=roles,
            group_ids=[groups[rng.choice(GROUPS[1:])[0]].pk],
            job_title=rng.choice(
                ["Commercial", "Technicienne", "Formateur", "Comptable", "Chef d'atelier", ""]
            ),
            phone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
        )
        members.append(member)
    group_add_member(
        actor=actor, group=groups["Ventes Nord"], member=members[2], role=GroupRole.GROUP_ADMIN
    )
    for label in labels:
        labels_attach(
            actor=actor, label=label, members=rng.sample(members, k=min(12, len(members)))
        )
    members_deactivate(actor=actor, organization=org, members=[m for m in members[-6:]])
    assert all(m.state != MemberState.CREATED for m in members)
    return org
