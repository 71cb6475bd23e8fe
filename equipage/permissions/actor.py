"""Who is acting: a member, an API/SCIM token, the platform operator, or the system."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from equipage.core.prepared import Prepared
from equipage.core.proxy import client_address

if TYPE_CHECKING:
    from django.http import HttpRequest

    from equipage.accounts.models import Member
    from equipage.organizations.models import Organization


def _roles_query(member_id: int) -> Any:
    from equipage.accounts.models import MemberRole

    return MemberRole.objects.filter(member_id=member_id).values_list("role")


# The roles of the member acting: asked on every console request, prepared once a process.
_HELD_ROLES = Prepared(_roles_query, -7_000_001)

Channel = Literal["web", "api", "scim", "cli", "import", "task", "test"]


@dataclass(frozen=True)
class Origin:
    """Where a change came from, written into every audit event."""

    channel: str = "cli"
    ip: str = ""
    user_agent: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (("channel", self.channel), ("ip", self.ip), ("ua", self.user_agent))
            if v
        }


def origin_of(request: HttpRequest, channel: str = "web") -> Origin:
    """Return where ``request`` came from: the client behind a trusted proxy, its browser.

    Here, not in ``web``: the console, the API and SCIM record the same origin.
    """
    return Origin(
        channel=channel,
        ip=client_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:200],
    )


@dataclass(eq=False)
class Actor:
    """The subject of a permission check and the author of an audit event.

    ``roles_cap`` bounds a token's powers (never above an admin's, never above
    its creator's); operators and the system bypass role checks but never the
    organization's invariants.
    """

    kind: Literal["member", "token", "operator", "system"]
    label: str
    organization_id: int | None = None
    member: Member | None = None
    origin: Origin = field(default_factory=Origin)
    roles_cap: frozenset[str] | None = None
    token: Any = None
    # The member's roles when they were read along with the member (a request's signed-in
    # member: ``accounts.backends``), so that ``roles`` asks nothing more.
    roles_read: frozenset[str] | None = None

    @classmethod
    def for_member(
        cls, member: Member, origin: Origin | None = None, roles: frozenset[str] | None = None
    ) -> Actor:
        return cls(
            kind="member",
            label=member.login if not member.email else f"{member.login} <{member.email}>",
            organization_id=member.organization_id,
            member=member,
            origin=origin or Origin(),
            roles_read=roles,
        )

    @classmethod
    def operator(cls, label: str = "operator", origin: Origin | None = None) -> Actor:
        return cls(kind="operator", label=label, origin=origin or Origin())

    @classmethod
    def system(cls, organization: Organization | None, label: str = "system") -> Actor:
        return cls(
            kind="system",
            label=label,
            organization_id=organization.pk if organization else None,
            origin=Origin(channel="task"),
        )

    @property
    def org_id(self) -> int:
        """Return the organization this actor acts in (operators must name one first)."""
        if self.organization_id is None:
            raise ValueError("this actor acts in no organization")
        return self.organization_id

    @property
    def is_privileged(self) -> bool:
        """Operators and the system act above roles (not above invariants)."""
        return self.kind in ("operator", "system")

    @cached_property
    def roles(self) -> frozenset[str]:
        from equipage.accounts.models import Role

        if self.member is None:
            held: frozenset[str] = frozenset()
        elif not self.member.is_active:
            # A deactivated member (and the tokens they created) hold nothing.
            held = frozenset()
        elif self.roles_read is not None:
            held = self.roles_read
        else:
            held = frozenset(row[0] for row in _HELD_ROLES.rows(self.member.pk))
        if self.roles_cap is not None:
            from equipage.accounts.models import ROLE_RANK

            cap_rank = max((ROLE_RANK[r] for r in self.roles_cap), default=0)
            held = frozenset(r for r in held if ROLE_RANK[r] <= cap_rank) or (
                frozenset({Role.MEMBER}) if held else frozenset()
            )
        return held

    @cached_property
    def rank(self) -> int:
        from equipage.accounts.models import ROLE_RANK

        if self.is_privileged:
            return 99
        return max((ROLE_RANK[r] for r in self.roles), default=-1)

    @cached_property
    def group_reach(self) -> frozenset[int]:
        """Return the ids of the groups this actor administers, with all their subgroups."""
        from equipage.groups.models import GroupMembership, GroupRole, subtree_ids

        if self.member is None or not self.member.is_active:
            return frozenset()
        roots = GroupMembership.objects.filter(
            member=self.member, role=GroupRole.GROUP_ADMIN
        ).values_list("group_id", flat=True)
        return frozenset(subtree_ids(self.organization_id, list(roots)))

    def refresh(self) -> None:
        """Forget cached roles and reach (after this actor's own roles changed)."""
        for attr in ("roles", "rank", "group_reach"):
            self.__dict__.pop(attr, None)


def as_actor(actor: Actor | Member) -> Actor:
    """Accept a member where an actor is expected (tests, CLI, the member's own actions)."""
    if isinstance(actor, Actor):
        return actor
    return Actor.for_member(actor)
