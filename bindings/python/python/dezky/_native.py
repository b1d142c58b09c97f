"""The native module's classes and functions, as the package exports them.

Signatures, docstrings and coroutines are the native module's own (described
by ``_dezky.pyi``, which stubtest checks against it). One rule is added here,
for every export at once: a wrong or missing argument, which PyO3 rejects
with a bare ``TypeError`` before any Rust code runs, is raised as
:class:`~dezky.errors.ArgumentTypeError` (both a ``TypeError`` and a
``DezkyError`` with code ``DEZKY_INVALID_ARGUMENT``), naming the argument.
"""

from __future__ import annotations

import functools
import inspect
import operator
import re
from collections.abc import Callable
from typing import Any, TypeVar, cast

from .errors import ArgumentTypeError, DezkyError

__all__ = ["native_class", "typed"]

_F = TypeVar("_F", bound=Callable[..., Any])
_C = TypeVar("_C", bound=type)

# PyO3 notes "while processing 'name'" on a failed conversion, and names the
# argument in "missing ... argument: 'name'" and "unexpected keyword argument 'name'".
_NOTE = re.compile(r"processing '(\w+)'")
_MESSAGE = re.compile(r"argument:? '(\w+)'")


def _argument(exc: TypeError) -> str | None:
    for note in getattr(exc, "__notes__", ()):
        if found := _NOTE.search(str(note)):
            return found.group(1)
    found = _MESSAGE.search(str(exc))
    return found.group(1) if found else None


def _argument_type_error(exc: TypeError) -> ArgumentTypeError:
    name = _argument(exc)
    if name is None:
        return ArgumentTypeError(str(exc))
    return ArgumentTypeError(f"invalid argument `{name}`: {exc}", argument=name)


def typed(fn: _F) -> _F:
    """``fn`` with an argument's ``TypeError`` raised as ``ArgumentTypeError``
    (when the coroutine runs, for a coroutine function)."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except TypeError as exc:
                if isinstance(exc, DezkyError):
                    raise
                raise _argument_type_error(exc) from exc

        return cast(_F, run)

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TypeError as exc:
            if isinstance(exc, DezkyError):
                raise
            raise _argument_type_error(exc) from exc

    return cast(_F, call)


def native_class(native: _C, module: str) -> _C:
    """A class of ``module`` over the native class ``native``: its
    constructor, methods, static methods and properties are the native ones
    through :func:`typed`; an instance holds its native object in ``_inner``."""

    def adopt(value: Any) -> Any:
        if isinstance(value, native):
            obj: Any = object.__new__(cls)
            obj._inner = value
            return obj
        return value

    def method(fn: Callable[..., Any]) -> Callable[..., Any]:
        call = typed(fn)

        @functools.wraps(fn)
        def bound(self: Any, *args: Any, **kwargs: Any) -> Any:
            return call(self._inner, *args, **kwargs)

        return bound

    def static(fn: Callable[..., Any]) -> staticmethod[..., Any]:
        call = typed(fn)

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            return adopt(call(*args, **kwargs))

        return staticmethod(run)

    construct = typed(native)

    def new(klass: type, *args: Any, **kwargs: Any) -> Any:
        obj: Any = object.__new__(klass)
        obj._inner = construct(*args, **kwargs)
        return obj

    namespace: dict[str, Any] = {
        "__slots__": ("_inner",),
        "__doc__": native.__doc__,
        "__module__": module,
        "__new__": new,
        "__repr__": lambda self: repr(self._inner),
    }
    for name, attr in vars(native).items():
        if name.startswith("_"):
            continue
        if isinstance(attr, staticmethod):
            namespace[name] = static(getattr(native, name))
        elif callable(attr):
            namespace[name] = method(attr)
        else:  # a getter
            namespace[name] = property(operator.attrgetter(f"_inner.{name}"), doc=getattr(attr, "__doc__", None))
    cls = type(native.__name__, (), namespace)
    return cast(_C, cls)
