"""Tenant security policies: the typed public API over the native module
``dezky._dezky`` (``docs/policy.md``).

Every rule lives in the Rust core (``dezky_core::policy``): reading and
validating a policy (errors name the field, ``securityPolicy.ipAllowlist[2]``),
the IP allowlist, the allowed countries, the session limits and the MFA
compliance of a tenant's members. The SDK holds no database connection:
:func:`update_security_policy` returns the ``patch`` the caller applies
(``update_one(patch["filter"], patch["update"])``, nothing to write when
``update`` is ``None``) and the ``event`` for the audit log.

>>> from dezky.policy import SecurityPolicy
>>> policy = SecurityPolicy({"ipAllowlist": ["192.0.2.0/24"], "allowedCountries": ["dk"]})
>>> policy.ip_allowed("192.0.2.7"), policy.country_allowed("DK"), policy.country_allowed(None)
(True, True, False)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _dezky
from ._native import native_class, typed
from ._policy_records import (
    MemberMfa,
    MfaCompliance,
    MfaMode,
    PolicyUpdate,
    SecurityPolicyValue,
    SessionLimit,
)

__all__ = [
    "MemberMfa",
    "MfaCompliance",
    "MfaMode",
    "PolicyUpdate",
    "SecurityPolicy",
    "SecurityPolicyValue",
    "SessionLimit",
    "mfa_compliance",
    "update_security_policy",
]

if TYPE_CHECKING:
    from ._dezky import SecurityPolicy
else:
    SecurityPolicy = native_class(_dezky.SecurityPolicy, __name__)

update_security_policy = typed(_dezky.update_security_policy)
mfa_compliance = typed(_dezky.mfa_compliance)
