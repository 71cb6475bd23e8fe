"""The one permission module: who may do what to whom.

Use ``can``/``authorize`` for one object and ``members_visible_to`` /
``members_manageable_by`` for querysets; ``access_member_by_id`` fetches and
authorises in one call, like its twins for groups, labels, custom fields
and ownership transfers.
"""

from equipage.permissions.actor import Actor, Origin, as_actor
from equipage.permissions.capabilities import Cap
from equipage.permissions.policy import (
    access_custom_field_by_id,
    access_group_by_id,
    access_label_by_id,
    access_member_by_id,
    access_transfer_by_id,
    assignable_group_ids,
    authorize,
    can,
    grantable_roles,
    holds_org_wide,
    members_manageable_by,
    members_visible_to,
    refuse,
)

__all__ = [
    "Actor",
    "Cap",
    "Origin",
    "access_custom_field_by_id",
    "access_group_by_id",
    "access_label_by_id",
    "access_member_by_id",
    "access_transfer_by_id",
    "as_actor",
    "assignable_group_ids",
    "authorize",
    "can",
    "grantable_roles",
    "holds_org_wide",
    "members_manageable_by",
    "members_visible_to",
    "refuse",
]
