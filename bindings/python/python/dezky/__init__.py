"""The Dezky SDK for Python.

>>> import dezky
>>> flags = dezky.FlagSet.from_json('[{"key": "jmap_native_v2", "state": "on"}]')
>>> flags.evaluate_all(tenant_id="6650f1c2a9b4e3d2c1b0a998")
{'jmap_native_v2': True}
"""

from __future__ import annotations

import os

from . import _dezky
from . import errors
# Every exception class, and `error_class`: the names of `errors.__all__`.
from .errors import *  # noqa: F403
from .flags import (
    FlagSet,
    FlagStore,
    Subscription,
    bucket,
    openfeature_reason,
    preview_rollout,
    reasons,
)
from . import dns, ocis
from .auth import (
    Actor,
    TokenVerifier,
    require_can_force_logout,
    require_can_suspend,
    require_operator,
    require_own_active_record,
    require_partner_staff,
    require_partner_tenant,
    require_platform_admin,
    require_tenant_admin,
    require_tenant_member,
)
from .ocis import OcisClient
from . import health, stripe
from .health import probe_all, probe_all_sync
from .stripe import StripeClient
from . import stalwart
from .stalwart import StalwartClient
from . import authentik
from .authentik import AuthentikClient
from .tenant import flag_context
from . import provisioning
from .provisioning import Provisioner
from . import audit, billing, branding, policy

__version__: str = _dezky.__version__

__all__ = [
    "FlagSet",
    "FlagStore",
    "Subscription",
    "Actor",
    "TokenVerifier",
    "require_can_force_logout",
    "require_can_suspend",
    "require_operator",
    "require_own_active_record",
    "require_partner_staff",
    "require_partner_tenant",
    "require_platform_admin",
    "require_tenant_admin",
    "require_tenant_member",
    "__version__",
    "bucket",
    "dns",
    "health",
    "probe_all",
    "probe_all_sync",
    "stripe",
    "StripeClient",
    "ocis",
    "OcisClient",
    "stalwart",
    "StalwartClient",
    "authentik",
    "AuthentikClient",
    "flag_context",
    "provisioning",
    "Provisioner",
    "audit",
    "billing",
    "branding",
    "policy",
    "openfeature_reason",
    "preview_rollout",
    "reasons",
]
__all__ += errors.__all__

# The native runtime is tagged with its pid and rebuilt in a forked child on
# first use; this handler also drops the inherited one right at fork time.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_dezky.reset_after_fork)
