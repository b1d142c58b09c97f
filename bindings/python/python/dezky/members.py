"""A tenant's members as whole operations across the upstreams: the typed
public API over the native module ``dezky._dezky`` (``docs/members.md``).

Every rule lives in the Rust core (``dezky_core::members``): who may act
(a tenant admin, never on oneself for suspend, force-logout and remove), the
checks of the input (errors name the field, ``member.email``), the order the
resources are made and removed in, and the rollback of what a failed call
made. The SDK holds no database connection: each operation takes the
documents as read (the tenant's, the member's user document) and returns the
write to make (``patch``: ``update_one(patch["filter"], patch["update"])``),
the audit events, and any secret to hand over once.

A one-time password or recovery link is a :class:`Secret`: its ``repr`` and
``str`` are ``Secret(***)``, and :meth:`Secret.reveal` gives the text to show
once. An upstream failure part-way raises the exception of its code
(``AlreadyExistsError``, ``UpstreamUnavailableError``, ...) with ``action``,
``failed``, ``kept``, ``undone``, ``left_behind`` and ``events``.

Each :class:`Members` operation takes ``caller`` (the verified token's
:class:`dezky.auth.Actor`, or a dict with ``subject`` and ``surface``),
``caller_user`` (the caller's user document, where rights come from) and
``actor`` (the audit actor), and is a coroutine with a blocking ``_sync``
twin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypedDict

from . import _dezky
from ._members_records import (
    Effect,
    MemberKind,
    MemberRecord,
    MemberResource,
    MePartner,
    MeProfile,
    MeTenant,
    PartnerStatus,
    Removed,
    RemovedResource,
    Undo,
)
from ._native import native_class, typed
from ._provisioning_records import AuditEvent

__all__ = [
    "CreatedMember",
    "Effect",
    "FailureKind",
    "InvitedStaff",
    "MePartner",
    "MeProfile",
    "MeTenant",
    "MemberChange",
    "MemberKind",
    "MemberOp",
    "MemberPatch",
    "MemberRecord",
    "MemberRemoval",
    "MemberResource",
    "Members",
    "MemoryMember",
    "NewMember",
    "NewStaff",
    "PartnerStatus",
    "PasswordReset",
    "Removed",
    "RemovedResource",
    "Secret",
    "Undo",
    "me",
]

MemberOp = Literal[
    "find", "create", "set_password", "suspend", "resume", "join", "leave", "end_sessions", "recovery_link", "remove"
]
"""A member port operation, for the faults of the in-memory upstreams."""

FailureKind = Literal["unavailable", "rate_limited", "rejected", "in_use"]
"""How an injected fault fails (``docs/provisioning.md``)."""


class _NewMemberRequired(TypedDict):
    email: str
    name: str


class NewMember(_NewMemberRequired, total=False):
    """A member to create."""

    admin: bool
    """Whether the member administers the tenant (``tenantRoles`` ``admin``)."""
    quotaBytes: int
    """The mailbox quota in bytes (the server's default when absent)."""


class NewStaff(TypedDict):
    """A partner staff member to invite."""

    email: str
    name: str


class MemberPatch(TypedDict):
    """A version-guarded write to the member's user document."""

    userId: str
    expectedVersion: int | None
    filter: dict[str, Any]
    update: dict[str, Any] | None


class MemberChange(TypedDict):
    """What suspending, resuming, force-logging-out or a password reset did."""

    action: str
    effects: list[Effect]
    sessionsEnded: int
    patch: MemberPatch
    events: list[AuditEvent]


class MemberRemoval(TypedDict):
    """What removing a member did: one step per resource (files, mailbox, identity)."""

    steps: list[RemovedResource]
    complete: bool
    deleteDocument: bool
    """Nothing of the user is left upstream: delete the user document (``delete_one(patch["filter"])``)."""
    patch: MemberPatch
    events: list[AuditEvent]


class CreatedMember(TypedDict):
    member: MemberRecord
    document: dict[str, Any]
    """The user document to insert (no ``_id``; ``__v`` 0)."""
    password: Secret
    """The one-time password (identity and mailbox): show it once, never store it."""
    events: list[AuditEvent]


class InvitedStaff(TypedDict):
    member: MemberRecord
    document: dict[str, Any]
    recovery_link: Secret
    """The one-time link for the first sign-in: send it, never store or log it."""
    events: list[AuditEvent]


class PasswordReset(TypedDict):
    change: MemberChange
    password: Secret


class MemoryMember(TypedDict):
    """A resource of an in-memory upstream (its password only as ``hasPassword``)."""

    name: str
    displayName: str
    suspended: bool
    groups: list[str]
    hasPassword: bool
    quotaBytes: int | None
    sessions: int
    inUse: bool


me = typed(_dezky.me)

if TYPE_CHECKING:
    from ._dezky import Members, Secret
else:
    Members = native_class(_dezky.Members, __name__)
    Secret = _dezky.Secret
