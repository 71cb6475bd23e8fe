"""Capabilities and the role → capability map."""

from __future__ import annotations

from enum import StrEnum

from equipage.accounts.models import Role


class Cap(StrEnum):
    MEMBER_VIEW = "member.view"
    MEMBER_CREATE = "member.create"
    MEMBER_INVITE = "member.invite"
    MEMBER_UPDATE = "member.update"
    MEMBER_DEACTIVATE = "member.deactivate"
    MEMBER_REACTIVATE = "member.reactivate"
    MEMBER_DELETE = "member.delete"
    MEMBER_SET_ROLES = "member.set_roles"
    MEMBER_SET_PASSWORD = "member.set_password"
    # Mail a member a set-password link (#18.1): the link goes to their own mailbox, so a
    # group admin may send it to the members of their groups, though not set a password.
    MEMBER_PASSWORD_LINK = "member.password_link"
    MEMBER_IMPORT = "member.import"
    MEMBER_EXPORT = "member.export"
    GROUP_MANAGE = "group.manage"
    GROUP_MEMBERS = "group.members"
    LABEL_MANAGE = "label.manage"
    LABEL_ASSIGN = "label.assign"
    CUSTOM_FIELD_MANAGE = "custom_field.manage"
    ORG_SETTINGS = "org.settings"
    ORG_BILLING = "org.billing"
    ORG_DELETE = "org.delete"
    OWNERSHIP_TRANSFER = "ownership.transfer"
    TOKEN_MANAGE = "token.manage"
    WEBHOOK_MANAGE = "webhook.manage"
    AUDIT_VIEW = "audit.view"
    # The console's audit page (issue #19): the whole trail, owners and admins only.
    AUDIT_LOG = "audit.log"


MEMBER_ADMIN_CAPS = frozenset(
    {
        Cap.MEMBER_VIEW,
        Cap.MEMBER_CREATE,
        Cap.MEMBER_INVITE,
        Cap.MEMBER_UPDATE,
        Cap.MEMBER_DEACTIVATE,
        Cap.MEMBER_REACTIVATE,
        Cap.MEMBER_DELETE,
        Cap.MEMBER_SET_ROLES,
        Cap.MEMBER_SET_PASSWORD,
        Cap.MEMBER_PASSWORD_LINK,
        Cap.MEMBER_IMPORT,
        Cap.MEMBER_EXPORT,
        Cap.GROUP_MEMBERS,
        Cap.LABEL_ASSIGN,
        Cap.AUDIT_VIEW,
    }
)

OWNER_ONLY_CAPS = frozenset({Cap.ORG_BILLING, Cap.ORG_DELETE, Cap.OWNERSHIP_TRANSFER})

ROLE_CAPS: dict[str, frozenset[Cap]] = {
    Role.OWNER: frozenset(Cap),
    Role.ADMIN: frozenset(Cap) - OWNER_ONLY_CAPS,
    Role.USER_ADMIN: MEMBER_ADMIN_CAPS,
    Role.MEMBER: frozenset(),
}

# What a group admin may do to members inside their reach (their groups and subgroups).
GROUP_ADMIN_CAPS = frozenset(
    {
        Cap.MEMBER_VIEW,
        Cap.MEMBER_CREATE,
        Cap.MEMBER_INVITE,
        Cap.MEMBER_UPDATE,
        Cap.MEMBER_DEACTIVATE,
        Cap.MEMBER_REACTIVATE,
        Cap.MEMBER_PASSWORD_LINK,
        Cap.GROUP_MEMBERS,
    }
)

# Group-admin capabilities that need *every* group of the target within reach.
GROUP_ADMIN_WHOLE_REACH = frozenset({Cap.MEMBER_DEACTIVATE, Cap.MEMBER_REACTIVATE})
