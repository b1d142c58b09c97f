"""An OpenFeature provider over a :class:`dezky.FlagStore` (needs ``openfeature-sdk``).

>>> from openfeature import api
>>> from dezky.openfeature import DezkyProvider
>>> api.set_provider(DezkyProvider(store))            # doctest: +SKIP
>>> api.get_client().get_boolean_value("jmap_native_v2", False, ctx)  # doctest: +SKIP

Dezky flags are booleans: boolean resolution returns the core's value, its
OpenFeature reason and the variant ``"on"``/``"off"``; string, integer, float
and object requests for an existing flag resolve to ``TYPE_MISMATCH``. The
OpenFeature ``targeting_key`` is the tenant id; the attributes ``tenantSlug``,
``plan``, ``partnerSlug``, ``environment`` and ``userId`` fill the rest of the
context (other attributes are ignored).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType, Reason
from openfeature.provider import AbstractProvider, Metadata

from .errors import DezkyError
from .flags import FlagStore, Subscription, openfeature_reason

__all__ = ["DezkyProvider"]

_CONTEXT_FIELDS = ("tenantId", "tenantSlug", "plan", "partnerSlug", "environment", "userId")

_T = TypeVar("_T")


class DezkyProvider(AbstractProvider):
    """Resolves boolean flags from a :class:`dezky.FlagStore`.

    While registered, every change the store applies (a refresh or a
    ``replace``) is emitted as ``PROVIDER_CONFIGURATION_CHANGED`` with
    ``flags_changed``.
    """

    def __init__(self, store: FlagStore, *, name: str = "dezky") -> None:
        super().__init__()
        if not isinstance(store, FlagStore):
            from .errors import ArgumentTypeError

            raise ArgumentTypeError(
                f"invalid argument `store`: must be a dezky.FlagStore, got {type(store).__name__}",
                name="store",
            )
        self._store = store
        self._name = name
        self._subscription: Subscription | None = None

    @property
    def store(self) -> FlagStore:
        return self._store

    def get_metadata(self) -> Metadata:
        return Metadata(name=self._name)

    def initialize(self, evaluation_context: EvaluationContext) -> None:
        if self._subscription is None:
            self._subscription = self._store.on_change(self._changed)

    def shutdown(self) -> None:
        if self._subscription is not None:
            self._subscription.unsubscribe()
            self._subscription = None

    def _changed(self, keys: list[str]) -> None:
        self.emit_provider_configuration_changed(ProviderEventDetails(flags_changed=list(keys)))

    @staticmethod
    def _context(evaluation_context: EvaluationContext | None) -> dict[str, Any]:
        ctx: dict[str, Any] = {}
        if evaluation_context is None:
            return ctx
        attributes = evaluation_context.attributes or {}
        for field in _CONTEXT_FIELDS:
            if field in attributes:
                ctx[field] = attributes[field]
        if evaluation_context.targeting_key is not None:
            ctx["tenantId"] = evaluation_context.targeting_key
        return ctx

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        try:
            result = self._store.evaluate(flag_key, self._context(evaluation_context))
        except DezkyError as exc:
            code = ErrorCode.INVALID_CONTEXT if exc.code == "DEZKY_INVALID_CONTEXT" else ErrorCode.GENERAL
            return FlagResolutionDetails(
                value=default_value, error_code=code, error_message=str(exc), reason=Reason.ERROR
            )
        if result["reason"] == "flag_not_found":
            return FlagResolutionDetails(
                value=default_value,
                error_code=ErrorCode.FLAG_NOT_FOUND,
                error_message=f"flag {flag_key!r} not found",
                reason=Reason.ERROR,
            )
        metadata: dict[str, bool | int | float | str] = {
            "dezkyReason": result["reason"],
            "killed": result["killed"],
        }
        if "bucket" in result:
            metadata["bucket"] = result["bucket"]
        return FlagResolutionDetails(
            value=bool(result["value"]),
            reason=openfeature_reason(result["reason"]),
            variant=result["variant"],
            flag_metadata=metadata,
        )

    def _not_boolean(self, flag_key: str, default_value: _T, kind: str) -> FlagResolutionDetails[_T]:
        if flag_key not in self._store.flags():
            return FlagResolutionDetails(
                value=default_value,
                error_code=ErrorCode.FLAG_NOT_FOUND,
                error_message=f"flag {flag_key!r} not found",
                reason=Reason.ERROR,
            )
        return FlagResolutionDetails(
            value=default_value,
            error_code=ErrorCode.TYPE_MISMATCH,
            error_message=f"flag {flag_key!r} is a boolean flag, not {kind}",
            reason=Reason.ERROR,
        )

    def resolve_string_details(
        self,
        flag_key: str,
        default_value: str,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[str]:
        return self._not_boolean(flag_key, default_value, "a string")

    def resolve_integer_details(
        self,
        flag_key: str,
        default_value: int,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[int]:
        return self._not_boolean(flag_key, default_value, "an integer")

    def resolve_float_details(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        return self._not_boolean(flag_key, default_value, "a float")

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: Sequence[FlagValueType] | Mapping[str, FlagValueType],
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Sequence[FlagValueType] | Mapping[str, FlagValueType]]:
        return self._not_boolean(flag_key, default_value, "an object")
