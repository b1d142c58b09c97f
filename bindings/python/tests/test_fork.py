"""A forked worker must not hang on the runtime it inherited."""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import dezky
from dezky import _dezky

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fork is POSIX only")


def child_work(path: str) -> dict[str, Any]:
    store = dezky.FlagStore.from_file(path, interval=0.05, max_backoff=0.2)
    outcome = store.refresh_sync()
    store.start()
    store.stop()
    return {"outcome": outcome["outcome"], "count": len(store.flags()), "pid": _dezky.runtime_pid()}


def test_os_fork_child_uses_a_fresh_runtime(flag_file: Path) -> None:
    parent = dezky.FlagStore.from_file(flag_file, interval=30, max_backoff=60)
    parent.start()  # worker threads exist in the parent at fork time
    # Let the refresher's immediate first refresh finish: a fork in the middle of
    # one would leave the core store's refresh lock held in the child.
    time.sleep(0.2)
    assert _dezky.runtime_pid() == os.getpid()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            result = child_work(str(flag_file))
            parent.refresh_sync()  # the inherited store works too
            parent.stop()
            ok = result["pid"] == os.getpid() and result["count"] > 0
            os.write(write, b"ok" if ok else repr(result).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    import select

    ready, _, _ = select.select([read], [], [], 20)
    if not ready:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("forked child hung on the Dezky runtime")
    message = os.read(read, 1000)
    _, status = os.waitpid(pid, 0)
    assert message == b"ok" and os.waitstatus_to_exitcode(status) == 0
    parent.stop()
    assert parent.refresh_sync()["outcome"] == "unchanged"  # the parent's runtime still works


def test_multiprocessing_fork_pool(flag_file: Path) -> None:
    dezky.FlagStore.from_file(flag_file).refresh_sync()  # runtime started before forking
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        result = pool.map_async(child_work, [str(flag_file)] * 4)
        results = result.get(timeout=30)
    assert all(r["outcome"] == "unchanged" and r["count"] == 7 for r in results)
    assert all(r["pid"] != os.getpid() for r in results)
