"""The import's diff before its split, as its callers named it: kept while other branches merge.

The code lives in ``imports.model`` (what is compared and planned),
``imports.matching`` (which line is which member) and ``imports.plan``
(``compute_plan``). Import from those; this module goes once nothing does.
"""

from equipage.imports.model import (
    ACTIVE,
    DEACTIVATED,
    MEMBER_ONLY,
    AnyChange,
    Change,
    Current,
    GroupInfo,
    Members,
    NewMemberChange,
    NewMemberWithMore,
    Plan,
    Scope,
    Skip,
)
from equipage.imports.plan import compute_plan, propagation, settle_passwords

__all__ = [
    "ACTIVE",
    "DEACTIVATED",
    "MEMBER_ONLY",
    "AnyChange",
    "Change",
    "Current",
    "GroupInfo",
    "Members",
    "NewMemberChange",
    "NewMemberWithMore",
    "Plan",
    "Scope",
    "Skip",
    "compute_plan",
    "propagation",
    "settle_passwords",
]
