"""Tenant lifecycle and provisioning: the typed public API over the native
module ``dezky._dezky`` (``docs/lifecycle.md``, ``docs/provisioning.md``).

Every rule lives in the Rust core (``dezky_core::lifecycle`` and
``dezky_core::provisioning``); this module converts arguments and drives the
bulk run. The SDK holds no database connection: each operation takes a tenant
document (a dict, as read from the control plane's ``tenants`` collection) and
returns a report whose ``patch`` the caller applies as
``update_one(patch["filter"], patch["update"])`` (nothing to write when
``update`` is ``None``), and whose ``events`` go to the audit log.

>>> from dezky.provisioning import Provisioner, new_tenant
>>> provisioner = Provisioner.in_memory()
>>> tenant = new_tenant("6650f1c2a9b4e3d2c1b0a998", "acme", "Acme", "business")
>>> report = provisioner.provision_sync(tenant, "operator@dezky.example")
>>> report["activated"]
True

:class:`Provisioner` is the native class (its operations are coroutines with
blocking ``_sync`` twins), plus two ways of reconciling many tenants, both
driven by the same native run (bounded concurrency, per-upstream limits, one
event per tenant in the order they finish, then a ``done`` event with the
totals):

- :meth:`Provisioner.reconcile_all`: a blocking iterator over an iterable of
  tenant documents;
- :meth:`Provisioner.reconcile_all_async`: an async iterator over an iterable
  or an async iterable of tenant documents.

Tenants are read from the input only as the run has room for them, so memory
stays flat however many there are. Leaving the loop early (``break``, an
exception) cancels the run: tenants in flight are abandoned, and nothing is
half-recorded (a patch exists only in the events already delivered). An async
iterator is closed when it is garbage collected; close it at once with
``contextlib.aclosing``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Generator, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from . import _dezky
from ._native import native_class, typed
from ._provisioning_records import (
    AuditEvent,
    BulkEvent,
    BulkEventDone,
    BulkEventReconciled,
    BulkEventRefused,
    BulkSummary,
    Deprovisioning,
    Drift,
    LifecycleAction,
    LifecycleReport,
    MemoryResource,
    Outcome,
    Reconciliation,
    Removal,
    RemovalReport,
    Step,
    StepReport,
    StepState,
    TenantPatch,
    TenantStatus,
    TenantTransition,
)
from .errors import ArgumentTypeError

__all__ = [
    "AuditEvent",
    "BulkEvent",
    "BulkEventDone",
    "BulkEventReconciled",
    "BulkEventRefused",
    "BulkRun",
    "BulkSummary",
    "Deprovisioning",
    "Drift",
    "LifecycleAction",
    "LifecycleReport",
    "MemoryResource",
    "Outcome",
    "Provisioner",
    "Reconciliation",
    "Removal",
    "RemovalReport",
    "Step",
    "StepReport",
    "StepState",
    "TenantPatch",
    "TenantStatus",
    "TenantTransition",
    "apply_tenant_patch",
    "new_tenant",
    "parse_tenant_slug",
    "transition_tenant",
]

BulkRun = _dezky.BulkRun

parse_tenant_slug = typed(_dezky.parse_tenant_slug)
new_tenant = typed(_dezky.new_tenant)
transition_tenant = typed(_dezky.transition_tenant)
apply_tenant_patch = typed(_dezky.apply_tenant_patch)

_END: Any = object()


def _iterator(tenants: object) -> Iterator[Any]:
    try:
        return iter(cast("Iterable[Any]", tenants))
    except TypeError as exc:
        raise ArgumentTypeError(
            f"invalid argument `tenants`: must be an iterable of tenant documents, "
            f"got {type(tenants).__name__}",
            argument="tenants",
        ) from exc


def _events(run: BulkRun, tenants: Iterator[Any]) -> Generator[BulkEvent, None, None]:
    """Feeds ``tenants`` into ``run`` as it has room and yields its events."""
    try:
        feeding = True
        while True:
            event = run.next_sync(feeding)
            if event is None:
                if not feeding:  # cancelled
                    return
                tenant = next(tenants, _END)
                if tenant is _END:
                    run.end()
                    feeding = False
                else:
                    run.push(tenant)
                continue
            yield event
            if event["kind"] == "done":
                return
    finally:
        run.cancel()


async def _events_async(
    run: BulkRun, tenants: Iterator[Any] | AsyncIterator[Any]
) -> AsyncGenerator[BulkEvent, None]:
    """:func:`_events`, awaiting the run (and ``tenants`` when it is async)."""
    try:
        feeding = True
        while True:
            event = await run.next(feeding)
            if event is None:
                if not feeding:  # cancelled
                    return
                if isinstance(tenants, AsyncIterator):
                    tenant = await anext(tenants, _END)
                else:
                    tenant = next(tenants, _END)
                if tenant is _END:
                    run.end()
                    feeding = False
                else:
                    run.push(tenant)
                continue
            yield event
            if event["kind"] == "done":
                return
    finally:
        run.cancel()


class _Bulk:
    """The bulk reconciles of :class:`Provisioner`, over its native ``bulk_run``."""

    __slots__ = ()

    def reconcile_all(
        self,
        tenants: Iterable[dict[str, Any]],
        *,
        concurrency: int = 16,
        dry_run: bool = False,
        actor: str = "system",
        at: datetime | None = None,
    ) -> Generator[BulkEvent, None, None]:
        """Reconciles every tenant of ``tenants``, ``concurrency`` at a time:
        an iterator of one event per tenant (``reconciled`` with its
        :class:`Reconciliation`, or ``refused`` with the error's ``code`` for
        a broken document or a deleted tenant), in the order they finish,
        then ``done`` with the :class:`BulkSummary`. Blocks while it waits;
        leaving the loop early cancels the run. With ``dry_run``, only
        reports the drift."""
        source = _iterator(tenants)
        run = cast("Provisioner", self).bulk_run(concurrency=concurrency, dry_run=dry_run, actor=actor, at=at)
        return _events(run, source)

    def reconcile_all_async(
        self,
        tenants: Iterable[dict[str, Any]] | AsyncIterable[dict[str, Any]],
        *,
        concurrency: int = 16,
        dry_run: bool = False,
        actor: str = "system",
        at: datetime | None = None,
    ) -> AsyncGenerator[BulkEvent, None]:
        """:meth:`reconcile_all` as an async iterator, over an iterable or an
        async iterable; the event loop stays free while the run works."""
        source: Iterator[Any] | AsyncIterator[Any]
        if isinstance(tenants, AsyncIterable):
            source = aiter(tenants)
        else:
            source = _iterator(tenants)
        run = cast("Provisioner", self).bulk_run(concurrency=concurrency, dry_run=dry_run, actor=actor, at=at)
        return _events_async(run, source)


if TYPE_CHECKING:

    class Provisioner(_dezky.Provisioner, _Bulk):  # type: ignore[misc]
        """Runs the provisioning steps of tenants (the native class, with the bulk reconciles)."""

else:
    Provisioner = native_class(_dezky.Provisioner, __name__, _Bulk)
