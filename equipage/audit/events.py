"""The registry of audit event types: one enum, no free-form strings."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    ORG_CREATED = "org.created", _("Organization created")
    ORG_UPDATED = "org.updated", _("Organization settings changed")
    ORG_TEMP_PASSWORD_CHANGED = "org.temp_password_changed", _("Temporary password changed")
    ORG_DELETED = "org.deleted", _("Organization deleted")
    MEMBER_CREATED = "member.created", _("Member created")
    MEMBER_UPDATED = "member.updated", _("Member updated")
    MEMBER_DEACTIVATED = "member.deactivated", _("Member deactivated")
    MEMBER_REACTIVATED = "member.reactivated", _("Member reactivated")
    MEMBER_ACTIVATED = "member.activated", _("Member activated")
    MEMBER_DELETED = "member.deleted", _("Member deleted")
    # Deletion, the bin and erasure (accounts.erasure): out of the bin, and erased for good.
    MEMBER_RESTORED = "member.restored", _("Member restored from the bin")
    MEMBER_ERASED = "member.erased", _("Member erased")
    MEMBER_ROLES_CHANGED = "member.roles_changed", _("Roles changed")
    MEMBER_PASSWORD_SET = "member.password_set", _("Password set by an admin")
    MEMBER_PASSWORD_CHANGED = "member.password_changed", _("Password changed")
    MEMBER_PASSWORD_RESET_REQUESTED = "member.password_reset_requested", _("Password reset asked")
    MEMBER_PASSWORD_LINK_SENT = "member.password_link_sent", _("Set-password link sent")
    MEMBER_LOGIN = "member.login", _("Logged in")
    MEMBER_LOGIN_FAILED = "member.login_failed", _("Failed login")
    MEMBER_LOGOUT = "member.logout", _("Logged out")
    MEMBER_CUSTOM_FIELDS_CHANGED = "member.custom_fields_changed", _("Custom fields changed")
    NOTICE_DISMISSED = "member.notice_dismissed", _("Console notice dismissed")
    OWNERSHIP_TRANSFER_STARTED = "ownership.transfer_started", _("Ownership transfer started")
    OWNERSHIP_TRANSFER_CANCELLED = "ownership.transfer_cancelled", _("Ownership transfer cancelled")
    OWNERSHIP_TRANSFERRED = "ownership.transferred", _("Ownership transferred")
    OWNERSHIP_REASSIGNED = "ownership.reassigned", _("Ownership reassigned by the operator")
    GROUP_CREATED = "group.created", _("Group created")
    GROUP_UPDATED = "group.updated", _("Group changed")
    GROUP_MOVED = "group.moved", _("Group moved")
    GROUP_DELETED = "group.deleted", _("Group deleted")
    GROUP_MEMBER_ADDED = "group.member_added", _("Added to a group")
    GROUP_MEMBER_REMOVED = "group.member_removed", _("Removed from a group")
    LABEL_CREATED = "label.created", _("Label created")
    LABEL_DELETED = "label.deleted", _("Label deleted")
    LABEL_ATTACHED = "label.attached", _("Label attached")
    LABEL_DETACHED = "label.detached", _("Label detached")
    CUSTOM_FIELD_CREATED = "custom_field.created", _("Custom field created")
    CUSTOM_FIELD_DELETED = "custom_field.deleted", _("Custom field deleted")
    INVITATION_SENT = "invitation.sent", _("Invitation sent")
    INVITATION_RESENT = "invitation.resent", _("Invitation resent")
    INVITATION_CANCELLED = "invitation.cancelled", _("Invitation cancelled")
    INVITATION_REVOKED = "invitation.revoked", _("Access revoked")
    INVITATION_ACCEPTED = "invitation.accepted", _("Invitation accepted")
    INVITATION_EXPIRED = "invitation.expired", _("Invitation expired")
    IMPORT_APPLIED = "import.applied", _("Import applied")
    EXPORT_DOWNLOADED = "export.downloaded", _("Members exported")
    TOKEN_CREATED = "token.created", _("API token created")
    TOKEN_REVOKED = "token.revoked", _("API token revoked")
    WEBHOOK_CREATED = "webhook.created", _("Webhook created")
    WEBHOOK_UPDATED = "webhook.updated", _("Webhook changed")
    WEBHOOK_DELETED = "webhook.deleted", _("Webhook deleted")
    # Security events (issue #13 point 8), written by equipage.audit.security: one row per
    # actor (or client address) and minute, counting the occurrences it stands for.
    ACCESS_DENIED = "security.access_denied", _("Action refused: not permitted")
    TOKEN_REJECTED = "security.token_rejected", _("API or SCIM token refused")
    # Issue #19: a token's use, one row per token and minute (equipage.audit.attempts).
    TOKEN_USED = "security.token_used", _("API or SCIM token used")
    AUDIT_EXPORTED = "audit.exported", _("Audit log exported")
    # Login throttling (issue #13): a failure that makes the next attempt wait, and the
    # first attempt refused during such a pause (one per pause, however many follow).
    LOGIN_PAUSED = "login.paused", _("Logins paused after failed attempts")
    LOGIN_REFUSED = "login.refused", _("Login refused during a pause")
    # Single sign-on with OpenID Connect (issue #18.6, equipage.sso).
    SSO_CONFIGURED = "sso.configured", _("Single sign-on configured")
    SSO_REMOVED = "sso.removed", _("Single sign-on removed")
    SSO_LOGIN = "member.sso_login", _("Logged in with single sign-on")
    SSO_LOGIN_REFUSED = "sso.login_refused", _("Single sign-on login refused")
    # Two-factor authentication (issue #18.5, equipage/twofactor/). Failed codes are security
    # events: one row per member (or client address) and minute, counted.
    TWOFACTOR_ENROLLED = "twofactor.enrolled", _("Two-factor authentication turned on")
    TWOFACTOR_REMOVED = "twofactor.removed", _("Two-factor authentication turned off")
    TWOFACTOR_RESET = "twofactor.reset", _("Two-factor authentication reset by an admin")
    TWOFACTOR_RECOVERY_USED = "twofactor.recovery_used", _("Recovery code used")
    TWOFACTOR_RECOVERY_RENEWED = "twofactor.recovery_renewed", _("Recovery codes renewed")
    TWOFACTOR_CODE_FAILED = "twofactor.code_failed", _("Wrong two-factor code")
    TWOFACTOR_PAUSED = "twofactor.paused", _("Two-factor codes paused after failed attempts")
    TWOFACTOR_POLICY_CHANGED = "twofactor.policy_changed", _("Two-factor requirement changed")
    # Verified e-mail changes and console sessions (issue #18 points 3 and 4).
    EMAIL_CHANGE_REQUESTED = "member.email_change_requested", _("E-mail change requested")
    EMAIL_CHANGE_CONFIRMED = "member.email_change_confirmed", _("E-mail change confirmed")
    EMAIL_CHANGE_CANCELLED = "member.email_change_cancelled", _("E-mail change cancelled")
    SESSION_ENDED = "member.session_ended", _("Session signed out")
    SESSIONS_ENDED = "member.sessions_ended", _("Sessions signed out")
    # Lifecycle policies (issue #19.5) and a member's own data (issue #19.6).
    MEMBER_DORMANT_WARNED = "member.dormant_warned", _("Warned before deactivation for inactivity")
    INVITATION_REMINDED = "invitation.reminded", _("Invitation reminder sent")
    MEMBER_DATA_EXPORTED = "member.data_exported", _("Personal data downloaded")
    LIFECYCLE_UPDATED = "org.lifecycle_updated", _("Lifecycle policies changed")
