"""Every write about accounts. Each action checks permission, tenant and invariants,
runs in one transaction, records its audit event and queues side effects on commit."""

from equipage.accounts.actions.customfields import (
    custom_field_create,
    custom_field_delete,
    member_set_custom_values,
)
from equipage.accounts.actions.login import LoginOutcome, login_attempt
from equipage.accounts.actions.members import (
    member_create,
    member_deactivate,
    member_delete,
    member_reactivate,
    member_restore,
    member_set_roles,
    member_update,
    members_deactivate,
    members_delete,
    members_reactivate,
    members_restore,
)
from equipage.accounts.actions.ownership import (
    ownership_reassign,
    ownership_transfer_accept,
    ownership_transfer_cancel,
    ownership_transfer_start,
)
from equipage.accounts.actions.passwords import (
    member_send_password_link,
    member_set_password,
    members_send_password_links,
    password_change,
    password_reset_enqueue,
    password_reset_request,
    password_set_from_token,
    password_token_create,
)

__all__ = [
    "LoginOutcome",
    "custom_field_create",
    "custom_field_delete",
    "login_attempt",
    "member_create",
    "member_deactivate",
    "member_delete",
    "member_reactivate",
    "member_restore",
    "member_send_password_link",
    "member_set_custom_values",
    "member_set_password",
    "member_set_roles",
    "member_update",
    "members_deactivate",
    "members_delete",
    "members_reactivate",
    "members_restore",
    "members_send_password_links",
    "ownership_reassign",
    "ownership_transfer_accept",
    "ownership_transfer_cancel",
    "ownership_transfer_start",
    "password_change",
    "password_reset_enqueue",
    "password_reset_request",
    "password_set_from_token",
    "password_token_create",
]
