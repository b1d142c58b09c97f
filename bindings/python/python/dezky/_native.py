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


# Each native class adopted by :func:`native_class`, with its public class; and
# the result types that :func:`_adopt` looks into.
_PUBLIC: dict[type, type] = {}
_ADOPTED: set[type] = {tuple}


def _adopt(value: Any, receiver: Any = None) -> Any:
    """``value`` with each native object of an adopted class (alone or in a
    tuple) in its public class; ``receiver``'s own native object is ``receiver``."""
    public = _PUBLIC.get(type(value))
    if public is not None:
        if receiver is not None and value is receiver._inner:
            return receiver
        obj: Any = object.__new__(public)
        obj._inner = value
        return obj
    if type(value) is tuple:
        return tuple(_adopt(item, receiver) for item in value)
    return value


async def _adopt_awaited(awaitable: Any) -> Any:
    return _adopt(await awaitable)


def native_class(native: _C, module: str, mixin: type | None = None) -> _C:
    """A class of ``module`` over the native class ``native``: its
    constructor, methods, static methods, properties and container protocol
    are the native ones through :func:`typed`; an instance holds its native
    object in ``_inner``. Native objects that they return (alone, in a tuple,
    or as a coroutine's result) come back in their public classes. ``mixin``
    (a class with ``__slots__ = ()``) is its base: methods written in Python
    over the native ones."""

    def method(fn: Callable[..., Any]) -> Callable[..., Any]:
        # The hot path (evaluate_all): one frame, typed()'s rule inlined, and a
        # plain call for the common shapes, which costs less than a call with
        # unpacked arguments.
        @functools.wraps(fn)
        def bound(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                if kwargs:
                    result = fn(self._inner, *args, **kwargs)
                elif len(args) == 1:
                    result = fn(self._inner, args[0])
                elif not args:
                    result = fn(self._inner)
                else:
                    result = fn(self._inner, *args)
            except TypeError as exc:
                if isinstance(exc, DezkyError):
                    raise
                raise _argument_type_error(exc) from exc
            return _adopt(result, self) if type(result) in _ADOPTED else result

        return bound

    def static(fn: Callable[..., Any]) -> staticmethod[..., Any]:
        call = typed(fn)

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            result = call(*args, **kwargs)
            return _adopt_awaited(result) if inspect.isawaitable(result) else _adopt(result)

        return staticmethod(run)

    construct = typed(native)

    def new(klass: type, *args: Any, **kwargs: Any) -> Any:
        obj: Any = object.__new__(klass)
        obj._inner = construct(*args, **kwargs)
        return obj

    namespace: dict[str, Any] = {
        "__slots__": ("__weakref__", "_inner"),
        "__doc__": native.__doc__,
        "__module__": module,
        "__new__": new,
        "__repr__": lambda self: repr(self._inner),
    }
    for name, attr in vars(native).items():
        if name in ("__len__", "__contains__", "__iter__"):
            namespace[name] = method(attr)
        elif name.startswith("_"):
            continue
        elif isinstance(attr, staticmethod):
            namespace[name] = static(getattr(native, name))
        elif callable(attr):
            namespace[name] = method(attr)
        else:  # a getter
            namespace[name] = property(operator.attrgetter(f"_inner.{name}"), doc=getattr(attr, "__doc__", None))
    if "__eq__" in vars(native):  # equal when the native objects are; unhashable as they are
        namespace["__eq__"] = lambda self, other: isinstance(other, type(self)) and self._inner == other._inner
        namespace["__hash__"] = None
    cls = type(native.__name__, (mixin,) if mixin is not None else (), namespace)
    _PUBLIC[native] = cls
    _ADOPTED.add(native)
    return cast(_C, cls)
