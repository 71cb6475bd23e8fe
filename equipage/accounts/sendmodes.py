"""What a new member is mailed when their account is created: one name per mode."""

from __future__ import annotations

from enum import StrEnum


class SendMode(StrEnum):
    """The ``send`` of ``member_create``; the values are the API's and the console's."""

    NONE = "none"
    # A generated password, in the mail itself.
    CREDENTIALS = "credentials"
    # A mail saying the account exists, without a password.
    NOTIFICATION = "notification"
    # A single-use link to choose a password.
    LINK = "link"
