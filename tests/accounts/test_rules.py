"""The member rules are pure: plain ids, states and role sets in, a refusal (or None) out."""

from __future__ import annotations

from django.utils import translation

from equipage.accounts import rules
from equipage.accounts.rules import Refusal

OWNER, ME, OTHER = 1, 2, 3


def test_nobody_deactivates_or_deletes_the_owner_or_themselves() -> None:
    who = {"owner_id": OWNER, "self_id": ME}
    assert rules.deactivation_refusal(OWNER, "active", **who) is Refusal.OWNER_NOT_DEACTIVATED
    assert rules.deactivation_refusal(ME, "active", **who) is Refusal.SELF_NOT_DEACTIVATED
    assert rules.deletion_refusal(OWNER, **who) is Refusal.OWNER_NOT_DELETED
    assert rules.deletion_refusal(ME, **who) is Refusal.SELF_NOT_DELETED
    assert rules.deactivation_refusal(OTHER, "invited", **who) is None
    assert rules.deletion_refusal(OTHER, **who) is None
    # The owner's protection comes before the permission, the permission before the no-op.
    assert rules.deactivation_refusal(OWNER, "active", allowed=False, **who) is (
        Refusal.OWNER_NOT_DEACTIVATED
    )
    assert rules.deactivation_refusal(OTHER, "deactivated", allowed=False, **who) is (
        Refusal.DEACTIVATE_FORBIDDEN
    )
    assert rules.deactivation_refusal(OTHER, "deactivated", **who) is Refusal.ALREADY_DEACTIVATED


def test_only_deactivated_members_are_reactivated() -> None:
    assert rules.reactivation_refusal("deactivated") is None
    assert rules.reactivation_refusal("active") is Refusal.NOT_DEACTIVATED
    assert rules.reactivation_refusal("active", allowed=False) is Refusal.REACTIVATE_FORBIDDEN


def test_ownership_moves_only_by_a_transfer() -> None:
    assert rules.ownership_refusal({"owner"}, {"admin"}) is Refusal.OWNER_KEEPS_OWNERSHIP
    assert rules.ownership_refusal({"admin"}, {"owner"}) is Refusal.OWNERSHIP_BY_TRANSFER
    assert rules.ownership_refusal({"owner"}, {"owner", "admin"}) is None


def test_roles_above_the_grantable_ones_are_refused_in_their_order() -> None:
    grantable = {"user_admin", "member"}
    assert rules.ungrantable_roles(["member", "admin", "owner", "admin"], grantable) == ["admin"]
    assert rules.own_roles_refusal(True, {"admin"}) is Refusal.OWN_ROLES
    assert rules.own_roles_refusal(True, set()) is None
    assert rules.own_roles_refusal(False, {"admin"}) is None


def test_a_group_admin_reaches_only_their_groups() -> None:
    assert rules.groups_refusal([], frozenset({5})) is Refusal.GROUP_NEEDED
    assert rules.groups_refusal([], frozenset({5}), need_one=False) is None
    assert rules.groups_refusal([5, 6], frozenset({5})) is Refusal.GROUPS_NOT_ADMINISTERED
    assert rules.groups_refusal([5], frozenset({5})) is None
    assert rules.groups_refusal([], None) is None  # an organization-wide right: any group


def test_an_update_is_refused_outside_the_reach_or_above_ones_role() -> None:
    assert rules.update_refusal(OTHER, owner_id=OWNER, visible=False) is Refusal.OUTSIDE_GROUPS
    assert rules.update_refusal(OWNER, owner_id=OWNER, allowed=False) is Refusal.OWNER_DETAILS
    assert rules.update_refusal(OTHER, owner_id=OWNER, allowed=False) is Refusal.ROLE_ABOVE


def test_every_refusal_has_words_in_both_languages_and_a_kind() -> None:
    assert set(rules.MESSAGES) == set(Refusal)
    for refusal in Refusal:
        assert rules.kind(refusal) in ("forbidden", "invariant", "noop")
        params = {"role": "admin"} if refusal is Refusal.ROLE_NOT_GRANTABLE else {}
        with translation.override("fr"):
            french = rules.message(refusal, **params)
        with translation.override("en"):
            assert french != rules.message(refusal, **params), refusal
