from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import dezky
from conftest import FLAGS, TENANT


def write(path: Path, flags: list[dict[str, object]]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(flags))
    tmp.replace(path)


def test_fixed_store(flags: dezky.FlagSet) -> None:
    store = dezky.FlagStore(flags)
    assert store.flags() == flags
    assert store.evaluate_all(tenant_id=TENANT) == flags.evaluate_all(tenant_id=TENANT)
    assert store.evaluate("gdpr_export_v2", {"tenantId": TENANT})["bucket"] == 12
    status = store.status()
    assert status["source"] is None and status["flag_count"] == len(flags) and status["stale"] is False
    assert dezky.FlagStore().evaluate_all() == {}
    assert "FlagStore(" in repr(store)


def test_replace_notifies(flags: dezky.FlagSet) -> None:
    store = dezky.FlagStore(flags)
    seen: list[list[str]] = []
    sub = store.on_change(seen.append)
    assert sub.active
    killed, _ = flags.kill("gdpr_export_v2", "ops@dezky.example")
    assert store.replace(killed) == ["gdpr_export_v2"]
    assert store.evaluate_all(tenant_id=TENANT)["gdpr_export_v2"] is False
    assert seen == [["gdpr_export_v2"]]
    assert store.replace(killed) == []  # nothing changed: no notification
    sub.unsubscribe()
    assert not sub.active
    store.replace(flags)
    assert len(seen) == 1
    sub.unsubscribe()  # idempotent


def test_subscription_context_manager(flags: dezky.FlagSet) -> None:
    store = dezky.FlagStore(flags)
    seen: list[list[str]] = []
    with store.on_change(seen.append) as sub:
        store.replace(dezky.FlagSet())
    assert not sub.active
    store.replace(flags)
    assert len(seen) == 1 and len(seen[0]) == len(flags)


def test_callback_exception_is_reported_not_raised(flags: dezky.FlagSet) -> None:
    store = dezky.FlagStore(flags)
    reported: list[BaseException | None] = []

    def boom(keys: list[str]) -> None:
        raise RuntimeError("listener failure")

    store.on_change(boom)
    import sys

    old = sys.unraisablehook
    sys.unraisablehook = lambda u: reported.append(u.exc_value)
    try:
        assert store.replace(dezky.FlagSet()) != []
    finally:
        sys.unraisablehook = old
    assert isinstance(reported[0], RuntimeError)


def test_key_cache_follows_replaced_sets(flags: dezky.FlagSet) -> None:
    store = dezky.FlagStore(flags)
    assert list(store.evaluate_all()) == flags.keys()
    other = dezky.FlagSet.from_flags([{"key": "zeta", "state": "on"}, {"key": "alpha", "state": "off"}])
    store.replace(other)
    assert store.evaluate_all() == {"zeta": True, "alpha": False}
    store.replace(flags)
    assert list(store.evaluate_all()) == flags.keys()


def test_from_file_and_refresh_sync(flag_file: Path) -> None:
    store = dezky.FlagStore.from_file(flag_file, interval=0.05, max_backoff=1)
    assert len(store.flags()) == len(FLAGS)
    assert store.refresh_sync() == {"outcome": "unchanged", "changed": []}
    write(flag_file, FLAGS[:2])
    outcome = store.refresh_sync()
    assert outcome["outcome"] == "updated"
    assert sorted(outcome["changed"]) == sorted(f["key"] for f in FLAGS[2:])
    status = store.status()
    assert status["source"] == str(flag_file) and status["flag_count"] == 2
    assert status["version"] and status["consecutive_failures"] == 0


def test_failed_refresh_keeps_last_good(flag_file: Path) -> None:
    store = dezky.FlagStore.from_file(str(flag_file))
    flag_file.write_text("[{")
    with pytest.raises(dezky.MalformedJsonError):
        store.refresh_sync()
    status = store.status()
    assert status["consecutive_failures"] == 1
    assert status["last_error_code"] == "DEZKY_MALFORMED_JSON"
    assert len(store.flags()) == len(FLAGS)
    flag_file.unlink()
    with pytest.raises(dezky.FlagSourceError):
        store.refresh_sync()
    assert store.status()["consecutive_failures"] == 2


async def test_async_refresh_and_connect(flag_file: Path) -> None:
    store = await dezky.FlagStore.connect_file(flag_file)
    assert len(store.flags()) == len(FLAGS)
    assert await store.refresh() == {"outcome": "unchanged", "changed": []}
    write(flag_file, FLAGS[:1])
    outcome = await store.refresh()
    assert outcome["outcome"] == "updated" and len(store.flags()) == 1
    flag_file.write_text("{}")
    with pytest.raises(dezky.MalformedJsonError):
        await store.refresh()
    with pytest.raises(dezky.FlagSourceError):
        await dezky.FlagStore.connect_file(flag_file.parent / "missing.json")


async def test_async_constructors_raise_argument_type_errors() -> None:
    # Raised when the coroutine runs; still the SDK's error, never a bare TypeError.
    bad: Any = 5
    with pytest.raises(dezky.ArgumentTypeError) as info:
        await dezky.FlagStore.connect_file(bad)
    assert info.value.code == "DEZKY_INVALID_ARGUMENT" and isinstance(info.value, TypeError)
    with pytest.raises(dezky.ArgumentTypeError):
        await dezky.FlagStore.connect_http(bad)
    with pytest.raises(dezky.ArgumentTypeError):
        await dezky.FlagStore.connect_http("http://127.0.0.1:9/flags", token=bad)


async def test_concurrent_async_refreshes(flag_file: Path) -> None:
    store = dezky.FlagStore.from_file(flag_file)
    results = await asyncio.gather(*(store.refresh() for _ in range(20)))
    assert all(r["outcome"] == "unchanged" for r in results)


async def test_cancelled_refresh_is_harmless(flag_file: Path) -> None:
    store = dezky.FlagStore.from_file(flag_file)
    fut = store.refresh()
    assert isinstance(fut, asyncio.Future)
    fut.cancel()
    await asyncio.sleep(0.05)
    assert await store.refresh() == {"outcome": "unchanged", "changed": []}


def test_refresh_without_event_loop_raises(flag_file: Path) -> None:
    store = dezky.FlagStore.from_file(flag_file)
    with pytest.raises(RuntimeError):
        store.refresh()


def test_background_refresher(flag_file: Path) -> None:
    store = dezky.FlagStore.from_file(flag_file, interval=0.05, max_backoff=0.2)
    changed = threading.Event()
    seen: list[list[str]] = []

    def on_change(keys: list[str]) -> None:
        seen.append(keys)
        changed.set()

    store.on_change(on_change)
    assert not store.running
    store.start()
    store.start()  # idempotent
    assert store.running
    write(flag_file, [{"key": "only_one", "state": "on"}])
    assert changed.wait(5), "the refresher did not pick up the change"
    assert store.evaluate_all() == {"only_one": True}
    assert "only_one" in seen[0]
    store.stop()
    store.stop()
    assert not store.running
    changed.clear()
    write(flag_file, FLAGS)
    time.sleep(0.3)
    assert not changed.is_set()
    assert store.evaluate_all() == {"only_one": True}


def test_callback_can_evaluate_but_not_block(flag_file: Path) -> None:
    store = dezky.FlagStore.from_file(flag_file, interval=0.05, max_backoff=0.2)
    outcome: list[object] = []
    done = threading.Event()

    def on_change(keys: list[str]) -> None:
        outcome.append(store.evaluate_all())
        try:
            store.refresh_sync()
        except dezky.InvalidArgumentError as exc:
            outcome.append(exc.code)
        done.set()

    store.on_change(on_change)
    store.start()
    write(flag_file, FLAGS[:1])
    assert done.wait(5)
    store.stop()
    assert outcome[0] == {FLAGS[0]["key"]: False}
    assert outcome[1] == "DEZKY_INVALID_ARGUMENT"


def test_concurrent_evaluation_during_swaps(flag_file: Path) -> None:
    """Readers on several threads always see one whole snapshot while the set is
    swapped by replace() and by the background refresher."""
    small = dezky.FlagSet.from_flags([{"key": "only_one", "state": "on"}])
    full = dezky.FlagSet.from_flags(FLAGS)
    shapes = {tuple(small.keys()), tuple(full.keys())}
    store = dezky.FlagStore.from_file(flag_file, interval=0.01, max_backoff=0.05)
    notified: list[int] = []
    store.on_change(lambda keys: notified.append(len(keys)))
    store.start()
    errors: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            result = store.evaluate_all(tenant_id=TENANT, plan="business")
            if tuple(result) not in shapes:
                errors.append(repr(result))
            if "only_one" in result and result["only_one"] is not True:
                errors.append(repr(result))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(200):
            store.replace(small if i % 2 == 0 else full)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        store.stop()
    assert not errors, errors[:3]
    assert len(notified) >= 200


def test_callback_cycle_is_collected(flags: dezky.FlagSet) -> None:
    import gc
    import weakref

    store = dezky.FlagStore(flags)
    seen: list[object] = []
    store.on_change(lambda keys: seen.append(store))  # the callback refers to its store
    ref = weakref.ref(store)
    del store
    gc.collect()
    assert ref() is None, "a store referenced by its own callback was not collected"


def test_provider_cycle_is_collected(flags: dezky.FlagSet) -> None:
    import gc
    import weakref

    from dezky.openfeature import DezkyProvider

    store = dezky.FlagStore(flags)
    provider = DezkyProvider(store)
    provider.initialize(None)  # type: ignore[arg-type]
    refs = weakref.ref(store), weakref.ref(provider)
    del store, provider
    gc.collect()
    assert refs[0]() is None and refs[1]() is None


def test_stale_status(flag_file: Path) -> None:
    store = dezky.FlagStore.from_file(flag_file, stale_after=0.0)
    time.sleep(0.01)
    assert store.status()["stale"] is True
    assert store.status()["age"] > 0
    assert dezky.FlagStore.from_file(flag_file).status()["stale"] is False


async def test_async_refresh_without_source_raises(flags: dezky.FlagSet) -> None:
    with pytest.raises(dezky.InvalidArgumentError) as info:
        await dezky.FlagStore(flags).refresh()
    assert info.value.code == "DEZKY_INVALID_ARGUMENT"
