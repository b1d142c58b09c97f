"""dezky.health.probe_all against listeners on 127.0.0.1: an open and a closed
port, HTTP servers answering at once, after 700 ms and with a wrong status,
and a name that does not resolve."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dezky.errors import InvalidArgumentError
from dezky.health import probe_all, probe_all_sync


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(0.7)
        self.send_response(503 if self.path == "/broken" else 200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


@pytest.fixture(scope="module")
def http_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def open_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_probe_all_classifies_in_parallel(http_url: str, open_port: int) -> None:
    started = time.monotonic()
    results = await probe_all(
        [
            {"name": "db", "type": "tcp", "host": "127.0.0.1", "port": open_port},
            {"name": "closed", "type": "tcp", "host": "127.0.0.1", "port": closed_port()},
            {"name": "api", "type": "http", "url": f"{http_url}/health"},
            {"name": "slow", "type": "http", "url": f"{http_url}/slow"},
            {"name": "broken", "type": "http", "url": f"{http_url}/broken"},
            {"name": "broken-ok", "type": "http", "url": f"{http_url}/broken", "expected_status": (500, 503)},
            {"name": "dns", "type": "tcp", "host": "nonexistent.invalid", "port": 443},
            {"name": "short", "type": "http", "url": f"{http_url}/slow", "timeout": 0.2},
        ]
    )
    assert time.monotonic() - started < 1.4
    by = {r["name"]: r for r in results}
    assert [r["name"] for r in results] == ["db", "closed", "api", "slow", "broken", "broken-ok", "dns", "short"]
    assert by["db"]["status"] == "ok" and by["db"]["error"] is None
    assert by["closed"]["status"] == "down"
    assert "refused" in (by["closed"]["error"] or "")
    assert by["api"]["status"] == "ok" and by["api"]["http_status"] == 200
    assert by["slow"]["status"] == "warn" and by["slow"]["latency_ms"] >= 700
    assert by["broken"]["status"] == "down" and by["broken"]["http_status"] == 503
    assert by["broken"]["error"] == "status 503, expected 200-299"
    assert by["broken-ok"]["status"] == "ok"
    assert by["dns"]["status"] == "down"
    assert by["short"]["status"] == "down" and by["short"]["error"] == "timed out after 200 ms"


def test_sync_twin_and_thresholds(http_url: str) -> None:
    target = [{"name": "slow", "type": "http", "url": f"{http_url}/slow"}]
    assert probe_all_sync(target, ok=1.0, warn=2.0)[0]["status"] == "ok"
    late = probe_all_sync(target, ok=0.1, warn=0.3)[0]
    assert late["status"] == "down" and late["error"] == "timed out after 300 ms"
    assert probe_all_sync([]) == []


def test_malformed_targets_raise() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        probe_all_sync([{"name": "x", "type": "udp"}])
    assert getattr(caught.value, "field") == "targets[0].type"
    with pytest.raises(InvalidArgumentError):
        probe_all_sync([{"name": "x", "type": "tcp", "host": "h", "port": 70000}])
    with pytest.raises(InvalidArgumentError):
        probe_all_sync([{"name": "x", "type": "http", "url": "http://x", "expected_status": 42}])
    with pytest.raises(InvalidArgumentError):
        probe_all_sync(["nope"])  # type: ignore[list-item]
    with pytest.raises(InvalidArgumentError):
        probe_all_sync([], ok=-1)
