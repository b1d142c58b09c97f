"""The hand-written part of :mod:`dezky.errors`: the base class of every
exception and the descriptor behind the deprecated attribute names. The
classes of the codes, their attributes and the code table are generated
(``errors.py``, by ``support/bindgen``)."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Generic, TypeVar, overload

__all__ = ["DezkyError"]


class DezkyError(Exception):
    """Base class of every Dezky exception."""

    __module__ = "dezky.errors"

    code: str
    """The stable machine-readable code, for example ``"DEZKY_INVALID_FLAG"``."""

    default_code: ClassVar[str] = "DEZKY_ERROR"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.code = code or self.default_code
        self.details: dict[str, Any] = details
        for name, value in details.items():
            setattr(self, name, value)

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


_T = TypeVar("_T")


class _Deprecated(Generic[_T]):
    """An attribute name of 0.1.0 kept as an alias of its new name. ``scale``
    converts the new value to the old unit (``0.001`` for milliseconds to
    seconds); writing through the alias converts back."""

    def __init__(self, target: str, scale: float | None = None) -> None:
        self.target = target
        self.scale = scale
        self.name = target

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> _Deprecated[_T]: ...
    @overload
    def __get__(self, instance: DezkyError, owner: type | None = None) -> _T: ...
    def __get__(self, instance: DezkyError | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        warnings.warn(
            f"{type(instance).__name__}.{self.name} is deprecated, use .{self.target}",
            DeprecationWarning,
            stacklevel=2,
        )
        value = getattr(instance, self.target)
        if self.scale is not None and value is not None:
            return value * self.scale
        return value

    def __set__(self, instance: DezkyError, value: Any) -> None:
        if self.scale is not None and value is not None:
            value = round(value / self.scale)
        setattr(instance, self.target, value)
