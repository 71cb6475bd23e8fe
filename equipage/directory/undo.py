"""« Annuler » after a reversible bulk action: a signed token naming the inverse action.

The token carries the organization, the actor who acted, the inverse action and the
members it was done to (and, for a role change, each member's roles before it). It is
signed with the site's secret and lives five minutes. Undoing is not a special write:
it runs the inverse bulk action through the same domain actions, so permission is
checked again and every change is audited like any other.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.utils.translation import gettext as _

from equipage.accounts.models import Member, MemberRole, Role
from equipage.core.bulk import BulkResult
from equipage.core.errors import DomainError
from equipage.organizations.models import Organization
from equipage.permissions import Actor

SALT = "equipage.directory.undo"
UNDO_SECONDS = 5 * 60
# Beyond this many members, no « Annuler » is offered (the token would be too large).
UNDO_MAX = 5000
INVERSE = {
    "deactivate": "reactivate",
    "label_add": "label_remove",
    "label_remove": "label_add",
    "group_add": "group_remove",
    "group_remove": "group_add",
    "set_role": "restore_roles",
    # A deletion puts members in the bin (accounts.bin): « Annuler » takes them out again.
    "delete": "restore",
}


class UndoRefused(DomainError):
    """The token is tampered with, expired, or not this actor's in this organization."""

    status = 400


def roles_before(ids: list[int]) -> dict[str, list[str]]:
    """Return each member's organization roles now (taken before a role change, for undo)."""
    out: dict[str, list[str]] = {str(i): [] for i in ids}
    for member_id, role in MemberRole.objects.filter(member_id__in=ids).values_list(
        "member_id", "role"
    ):
        out.setdefault(str(member_id), []).append(role)
    return out


def undo_token(
    *,
    actor: Actor,
    organization: Organization,
    key: str,
    done: list[int],
    target: dict[str, Any],
    previous_roles: dict[str, list[str]] | None = None,
) -> str:
    """Return the token undoing ``key`` on ``done``, or "" when ``key`` cannot be undone."""
    if key not in INVERSE or not done or len(done) > UNDO_MAX:
        return ""
    payload: dict[str, Any] = {
        "o": organization.pk,
        "a": actor.member.pk if actor.member is not None else None,
        "k": INVERSE[key],
        "ids": sorted(done),
    }
    if target.get("group") is not None:
        payload["g"] = target["group"].pk
    if target.get("label") is not None:
        payload["l"] = target["label"].pk
    if key == "set_role":
        payload["r"] = {str(i): (previous_roles or {}).get(str(i), []) for i in done}
    return signing.dumps(payload, salt=SALT, compress=True)


def read_undo_token(token: str, *, actor: Actor, organization: Organization) -> dict[str, Any]:
    """Return the token's payload, or raise ``UndoRefused`` saying why in plain words."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=UNDO_SECONDS)
    except signing.SignatureExpired:
        raise UndoRefused(_("It is too late to undo: undo is possible for 5 minutes.")) from None
    except signing.BadSignature:
        raise UndoRefused(_("This undo link is not valid.")) from None
    mine = actor.member.pk if actor.member is not None else None
    if payload.get("o") != organization.pk or payload.get("a") != mine:
        raise UndoRefused(_("This undo link is not valid."))
    return dict(payload)


def combine_tokens(tokens: list[str], *, actor: Actor, organization: Organization) -> str:
    """Join the undo tokens of several actions done together (« Éditer ») into one."""
    if len(tokens) <= 1:
        return tokens[0] if tokens else ""
    steps = [signing.loads(t, salt=SALT) for t in tokens]
    return signing.dumps(
        {
            "o": organization.pk,
            "a": actor.member.pk if actor.member is not None else None,
            "steps": steps,
        },
        salt=SALT,
        compress=True,
    )


def run_undo(*, actor: Actor, organization: Organization, token: str) -> tuple[str, BulkResult]:
    """Run the inverse action named by ``token``; return its key and what it did."""
    payload = read_undo_token(token, actor=actor, organization=organization)
    if "steps" not in payload:
        return payload["k"], _run_step(actor, organization, payload)
    # Several changes made together are undone together, the last one first.
    merged = BulkResult()
    for step in reversed(payload["steps"]):
        result = _run_step(actor, organization, step)
        done = {m.pk for m in merged.done}
        merged.done.extend(m for m in result.done if m.pk not in done)
        merged.skipped.extend(result.skipped)
        merged.kinds.extend(result.kinds)
    return "edit", merged


def _run_step(actor: Actor, organization: Organization, payload: dict[str, Any]) -> BulkResult:
    from equipage.directory.bulk import run_bulk
    from equipage.groups.models import Group, Label

    key, ids = payload["k"], [int(i) for i in payload["ids"]]
    if key == "restore_roles":
        return _restore_roles(actor, organization, payload["r"])
    target: dict[str, Any] = {}
    if "g" in payload:
        target["group"] = Group.objects.filter(organization=organization, pk=payload["g"]).first()
        if target["group"] is None:
            raise UndoRefused(_("The group no longer exists."))
    if "l" in payload:
        target["label"] = Label.objects.filter(organization=organization, pk=payload["l"]).first()
        if target["label"] is None:
            raise UndoRefused(_("The label no longer exists."))
    return run_bulk(actor=actor, organization=organization, key=key, ids=ids, **target)


def _restore_roles(
    actor: Actor, organization: Organization, previous: dict[str, list[str]]
) -> BulkResult:
    """Give each member back the roles they had, through ``member_set_roles`` one by one."""
    from equipage.accounts.actions import member_set_roles

    result = BulkResult()
    members = Member.objects.filter(organization=organization, pk__in=[int(i) for i in previous])
    for m in members.order_by("pk"):
        roles = [r for r in previous[str(m.pk)] if r in Role.values] or [Role.MEMBER]
        try:
            member_set_roles(actor=actor, member=m, roles=roles)
        except DomainError as exc:
            result.skip(m, str(exc), "forbidden" if exc.code == "forbidden" else "invariant")
        else:
            result.done.append(m)
    return result
