"""Member accounts and what hangs directly off them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from equipage.core.models import OrgScoped


class MemberState(models.TextChoices):
    CREATED = "created", _("Created")
    INVITED = "invited", _("Invited")
    ACTIVE = "active", _("Active")
    DEACTIVATED = "deactivated", _("Deactivated")
    # Deleted, restorable until the organization's bin period ends (accounts.bin): no login,
    # no seat, hidden from every list; ``binned_from`` keeps the state to restore.
    BINNED = "binned", _("In the bin")


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    USER_ADMIN = "user_admin", _("User admin")
    MEMBER = "member", _("Member")


ROLE_RANK: dict[str, int] = {Role.OWNER: 3, Role.ADMIN: 2, Role.USER_ADMIN: 1, Role.MEMBER: 0}


class MemberManager(BaseUserManager["Member"]):
    def get_by_natural_key(self, username: str | None) -> Member:
        # Logins are unique per organization only; natural keys serve operators.
        return self.get(organization__isnull=True, login=username)


class Member(AbstractBaseUser):
    """An account. Belongs to one organization; operators (superusers) belong to none."""

    # No index of its own: every (organization, ...) index below starts with it, and one
    # index less is one less to rewrite on each insert and state change (accounts 0003).
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.CASCADE,
        related_name="members",
        null=True,
        blank=True,
        db_index=False,
    )
    login = models.CharField(_("login"), max_length=150)
    email = models.CharField(_("e-mail"), max_length=254, blank=True, default="")
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=40, blank=True, default="")
    job_title = models.CharField(_("job title"), max_length=150, blank=True, default="")
    language = models.CharField(_("language"), max_length=2, blank=True, default="")
    state = models.CharField(
        max_length=12, choices=MemberState.choices, default=MemberState.CREATED
    )
    must_change_password = models.BooleanField(default=False)
    # Set while the account's only password is the organization's shared temporary one.
    uses_temp_password = models.BooleanField(default=False)
    contact_roles = models.JSONField(default=list, blank=True)
    auto_delete_on = models.DateField(null=True, blank=True)
    external_id = models.CharField(max_length=255, blank=True, default="")
    # Searched through the directory's trigram/FTS index; a b-tree here would only slow writes.
    search_text = models.CharField(max_length=800, blank=True, default="")
    session_version = models.PositiveIntegerField(default=0)
    is_superuser = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    binned_at = models.DateTimeField(null=True, blank=True)
    # NULL rather than "": a column with a default makes SQLite rebuild the table, which
    # would drop the directory's raw-SQL indexes and search triggers (directory 0001-0006).
    binned_from = models.CharField(max_length=12, null=True, blank=True)  # noqa: DJ001

    objects = MemberManager()

    USERNAME_FIELD = "login"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "login"], name="member_login_unique"),
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=~Q(email=""),
                name="member_email_unique_ci",
            ),
            models.UniqueConstraint(
                fields=["login"],
                condition=Q(organization__isnull=True),
                name="operator_login_unique",
            ),
        ]
        # The (organization, state) index is the directory's, per engine (directory 0005):
        # SQLite has it; PostgreSQL must not, or no state change could be a HOT update.
        # The name order is the directory's accent-insensitive index too
        # (directory_member_name_cover, accounts/ordering.py); no binary name index.
        indexes = [
            models.Index(fields=["organization", "external_id"], name="member_org_external"),
            # Login by identifier (selectors.member_by_identifier): case-insensitive, indexed.
            models.Index("organization", Lower("login"), name="member_login_lower"),
            # Housekeeping asks these every 30 s (accounts/housekeeping.py): answered from the
            # few members concerned, not a walk of the whole roster (2 s at a million on
            # SQLite, #20). No ``state`` in either: a state change stays a HOT update.
            models.Index(
                fields=["auto_delete_on"],
                condition=Q(auto_delete_on__isnull=False),
                name="member_auto_delete_due",
            ),
            models.Index(
                fields=["organization", "binned_at"],
                condition=Q(binned_at__isnull=False),
                name="member_binned_since",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.login

    @property
    def org_id(self) -> int:
        """Return the organization id of a tenant member (operators have none)."""
        if self.organization_id is None:
            raise ValueError("platform operators belong to no organization")
        return self.organization_id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property  # type: ignore[misc]
    def is_active(self) -> bool:  # type: ignore[override]
        return self.state == MemberState.ACTIVE

    @is_active.setter
    def is_active(self, value: Any) -> None:
        # AbstractBaseUser declares is_active as a field default; the state is the truth.
        pass

    @property
    def is_staff(self) -> bool:
        return self.is_superuser

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return self.is_superuser

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_superuser

    def get_session_auth_hash(self) -> str:
        # Sessions die when the password changes *or* when the account is deactivated.
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "equipage.member.session",
            f"{self.password}:{self.session_version}:{self.state}",
            algorithm="sha256",
        ).hexdigest()

    def effective_language(self) -> str:
        if self.language:
            return self.language
        return self.organization.language if self.organization_id else "en"  # type: ignore[union-attr]


class MemberRole(OrgScoped):
    """One organization role held by a member; a member may hold several."""

    # Indexed by member_role_unique (member, role): no index of its own (accounts 0004).
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="role_rows", db_index=False
    )
    role = models.CharField(max_length=12, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "role"], name="member_role_unique"),
            # The database itself refuses a second owner.
            models.UniqueConstraint(
                fields=["organization"], condition=Q(role="owner"), name="one_owner_per_org"
            ),
        ]
        indexes = [models.Index(fields=["organization", "role"], name="memberrole_org_role")]


class CustomFieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")


class CustomField(OrgScoped):
    """An organization-defined profile field (seeds 002, 003)."""

    key = models.SlugField(max_length=63)
    name = models.CharField(max_length=100)
    kind = models.CharField(
        max_length=8, choices=CustomFieldKind.choices, default=CustomFieldKind.TEXT
    )
    choices = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    # The column as the import matches it, hashed (core.text.stored_key): the database's
    # own guard against twins. Empty for twins made before names were unique (accounts 0009).
    name_key = models.CharField(  # noqa: DJ001  # NULL: a twin left outside the constraint
        max_length=64, null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="customfield_key_unique"),
            models.UniqueConstraint(
                fields=["organization", "name"], name="customfield_name_unique"
            ),
            models.UniqueConstraint(
                fields=["organization", "name_key"], name="customfield_name_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CustomFieldValue(OrgScoped):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="custom_values")
    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="values")
    value = models.CharField(max_length=500)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "field"], name="customvalue_unique"),
        ]
        indexes = [models.Index(fields=["field", "value"], name="customvalue_field_value")]


class PasswordTokenPurpose(models.TextChoices):
    SET = "set", _("Set password")
    RESET = "reset", _("Reset password")


class PasswordToken(OrgScoped):
    """A single-use set/reset-password link; only its SHA-256 is stored.

    ``binding`` fingerprints the account's password hash, e-mail and session
    version when the link was made (``accounts.tokens.account_binding``): the
    link dies when any of them changes, whatever wrote the change.
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="password_tokens")
    purpose = models.CharField(max_length=8, choices=PasswordTokenPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    binding = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    CANCELLED = "cancelled", _("Cancelled")


class OwnershipTransfer(OrgScoped):
    """The owner names an admin; the admin accepts; roles swap atomically (seed 004)."""

    from_member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    to_member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING
    )
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)


class LoginCounter(models.Model):
    """The counted login failures of one key: an account, a client address or a device.

    In the database so that every node counts the same failures; read and
    written under a row lock by ``equipage.accounts.throttle``.
    """

    key = models.CharField(max_length=100, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    # The last counted attempt: the next one waits from here.
    last_at = models.DateTimeField()
    # When a refusal during the current pause was audited (one audit event per pause).
    noted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"


class EmailChange(OrgScoped):
    """A member's own request to use a new e-mail address, waiting for a click from it.

    One per member at most (a newer request replaces the older); only the
    SHA-256 of the link's token is stored. The row is deleted when the change
    is confirmed, cancelled or replaced, and by housekeeping once expired.
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    new_email = models.CharField(max_length=254)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member"], name="email_change_one_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.new_email}"


class ConsoleSession(OrgScoped):
    """One signed-in console session of a member, listed on their profile (ASVS 7.4.5).

    The session itself names its row (``accounts.console_sessions.SID``); the
    row is the truth: a session whose row is gone is refused on its next
    request, on any node. ``key_hash`` is the SHA-256 of the session key the
    row was made for (never the key), so two first requests of one login make
    one row. Holds the client address: erasing a member deletes these rows
    (the foreign key cascades).
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True)
    # The user agent in short words (``accounts.useragents``), empty when not recognised.
    browser = models.CharField(max_length=30, blank=True, default="")
    system = models.CharField(max_length=30, blank=True, default="")
    ip = models.CharField(max_length=45, blank=True, default="")
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    # The session's absolute end (login + SESSION_COOKIE_AGE): housekeeping deletes past it.
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["member", "-last_seen_at"], name="console_session_member")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.browser} {self.system} {self.ip}"
