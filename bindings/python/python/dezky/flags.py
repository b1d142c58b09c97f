"""Feature flags: the typed public API over the native module ``dezky._dezky``.

``FlagSet`` and ``FlagStore`` are the native classes (see ``_native.py``):
evaluation, validation, history, audit events and refreshing all happen in the
Rust core (``dezky-flags``); the binding only converts arguments and errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import _dezky
from ._native import native_class, typed

__all__ = [
    "FlagSet",
    "FlagStore",
    "Subscription",
    "bucket",
    "openfeature_reason",
    "preview_rollout",
    "reasons",
]

Context = Mapping[str, "str | None"]
"""An evaluation context with the control plane's camelCase keys
(``tenantId``, ``tenantSlug``, ``plan``, ``partnerSlug``, ``environment``, ``userId``)."""

Subscription = _dezky.Subscription

if TYPE_CHECKING:
    from ._dezky import FlagSet, FlagStore
else:
    FlagSet = native_class(_dezky.FlagSet, __name__)
    FlagStore = native_class(_dezky.FlagStore, __name__)

bucket = typed(_dezky.bucket)
preview_rollout = typed(_dezky.preview_rollout)
openfeature_reason = typed(_dezky.openfeature_reason)
reasons = _dezky.reasons
