"""A forked worker must not hang on the runtime it inherited."""

from __future__ import annotations

import json
import multiprocessing
import os
import select
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import dezky
from conftest import FLAGS
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
    parent.start()  # worker threads exist in the parent at fork time (maybe mid-refresh)
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


def run_in_child(work: Callable[[], bytes], timeout: float = 20) -> bytes:
    """Forks, runs ``work`` in the child and returns what it reported; fails on a hang."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            os.write(write, work())
            code = 0
        except BaseException as exc:
            os.write(write, f"child failed: {exc!r}".encode())
        finally:
            os._exit(code)
    os.close(write)
    ready, _, _ = select.select([read], [], [], timeout)
    if not ready:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(read)
        pytest.fail("forked child hung")
    message = os.read(read, 10_000)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, message
    return message


def in_flight(store: dezky.FlagStore) -> tuple[threading.Thread, list[dict[str, Any]]]:
    """Starts a blocking refresh of ``store`` on a thread; returns it and its outcome list."""
    outcomes: list[dict[str, Any]] = []
    thread = threading.Thread(target=lambda: outcomes.append(store.refresh_sync()), daemon=True)
    thread.start()
    return thread, outcomes


def test_fork_during_a_file_refresh_blocked_on_a_fifo(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(FLAGS))
    store = dezky.FlagStore.from_file(path)
    # The next refresh opens a FIFO and blocks until a writer comes.
    fifo = tmp_path / "flags.fifo"
    os.mkfifo(fifo)
    os.replace(fifo, path)
    thread, outcomes = in_flight(store)
    time.sleep(0.3)
    assert thread.is_alive() and not outcomes, "the refresh should be waiting on the FIFO"
    # The blocked open holds the FIFO; the path now leads to a regular file, so
    # the child's refresh reads that one.
    os.replace(path, fifo)
    changed = FLAGS + [{"key": "from_the_child", "state": "on"}]
    path.write_text(json.dumps(changed))

    def child() -> bytes:
        outcome = store.refresh_sync()  # with a refresh lock held at fork time, this would hang
        ok = outcome == {"outcome": "updated", "changed": ["from_the_child"]}
        ok = ok and store.evaluate("from_the_child")["value"] is True
        store.start()
        store.stop()
        return b"ok" if ok else repr(outcome).encode()

    assert run_in_child(child) == b"ok"
    # Release the parent's refresh: it completes with the FIFO's content.
    with open(fifo, "w") as writer:
        writer.write(json.dumps(FLAGS))
    thread.join(10)
    assert outcomes == [{"outcome": "unchanged", "changed": []}]
    assert store.refresh_sync()["outcome"] == "updated"  # the parent now reads the regular file


def test_fork_during_an_http_refresh_on_a_slow_server() -> None:
    release = threading.Event()
    first = threading.Event()
    hits: list[str] = []

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            n = len(hits)
            if n == 2:  # the parent's refresh: held until released
                first.set()
                release.wait(20)
            body = json.dumps(FLAGS + [{"key": f"hit_{n}", "state": "on"}]).encode()
            self.send_response(200)
            self.send_header("ETag", f'"{n}"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    httpd.daemon_threads = True
    server = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    server.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/flags"
        store = dezky.FlagStore.from_http(url, "token")
        thread, outcomes = in_flight(store)
        assert first.wait(10)

        def child() -> bytes:
            outcome = store.refresh_sync()
            ok = outcome["outcome"] == "updated" and store.evaluate("hit_3")["value"] is True
            return b"ok" if ok else repr(outcome).encode()

        assert run_in_child(child) == b"ok"
        release.set()
        thread.join(10)
        assert outcomes and outcomes[0]["outcome"] == "updated"
        assert store.evaluate("hit_2")["value"] is True
    finally:
        release.set()
        httpd.shutdown()
        httpd.server_close()


def test_fork_after_a_keep_alive_http_refresh() -> None:
    class KeepAlive(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = json.dumps(FLAGS).encode()
            self.send_response(200)
            self.send_header("ETag", '"1"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        store = dezky.FlagStore.from_http(f"http://127.0.0.1:{httpd.server_address[1]}/flags")
        store.refresh_sync()  # leaves an idle keep-alive connection in the pool

        def child() -> bytes:
            try:
                return repr(store.refresh_sync()["outcome"]).encode()
            except dezky.DezkyError as exc:
                return f"refresh failed: {exc}".encode()

        # This server never answers 304, so the child's refresh delivers the set again.
        assert run_in_child(child) == b"'updated'"
    finally:
        httpd.shutdown()
        httpd.server_close()
