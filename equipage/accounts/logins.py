"""Choosing a free login in an organization."""

from __future__ import annotations

from collections.abc import Callable

from equipage.accounts.models import Member
from equipage.core.text import default_login


def next_free_login(base: str, taken: Callable[[str], bool]) -> str:
    """Return ``base``, else ``base2``, ``base3``... the first that ``taken`` says is free."""
    if not taken(base):
        return base
    n = 2
    while taken(f"{base}{n}"):
        n += 1
    return f"{base}{n}"


def login_base(first_name: str, last_name: str, email: str = "") -> str:
    """Return seed 000's default login ``prenom.nom`` before numbering (the e-mail's local
    part, else "member", for a member without a usable name): every edge makes it so."""
    return default_login(first_name, last_name) or (
        email.split("@")[0].lower() if email else "member"
    )


def free_login_for(organization_id: int, first_name: str, last_name: str, email: str = "") -> str:
    """Return seed 000's default login ``prenom.nom``, numbered on collision."""
    base = login_base(first_name, last_name, email)
    existing = set(
        Member.objects.filter(organization_id=organization_id, login__startswith=base).values_list(
            "login", flat=True
        )
    )
    return next_free_login(base, existing.__contains__)
