"""The control plane's GET /flags source, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import dezky

from conftest import FLAGS

TOKEN = "dzk_live_s3cr3t-T0KEN-value"


class Upstream:
    """What the server answers, and what it was asked."""

    def __init__(self) -> None:
        self.flags: list[dict[str, Any]] = FLAGS
        self.etag = '"v1"'
        self.failing = False
        self.token = TOKEN
        self.requests: list[dict[str, str | None]] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()

    def publish(self, flags: list[dict[str, Any]], etag: str) -> None:
        with self.lock:
            self.flags, self.etag = flags, etag


class Server:
    def __init__(self) -> None:
        self.upstream = Upstream()
        upstream = self.upstream

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                headers: dict[str, str]
                with upstream.lock:
                    upstream.requests.append(
                        {
                            "path": self.path,
                            "authorization": self.headers.get("Authorization"),
                            "if_none_match": self.headers.get("If-None-Match"),
                        }
                    )
                    if self.path != "/flags":
                        status, body, headers = 404, b"", {}
                    elif self.headers.get("Authorization") != f"Bearer {upstream.token}":
                        status, body, headers = 401, b'{"error": "unauthorized"}', {}
                    elif upstream.failing:
                        status, body, headers = 503, b"unavailable", {"X-Request-Id": "req-42"}
                    elif self.headers.get("If-None-Match") == upstream.etag:
                        status, body, headers = 304, b"", {"ETag": upstream.etag}
                    else:
                        status = 200
                        body = json.dumps(upstream.flags).encode()
                        headers = {"ETag": upstream.etag, "Content-Type": "application/json"}
                    upstream.statuses.append(status)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/flags"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    try:
        yield srv
    finally:
        srv.close()


def assert_no_token(*things: object) -> None:
    for thing in things:
        for text in (str(thing), repr(thing)):
            assert TOKEN not in text, f"token leaked in {text!r}"
            assert "s3cr3t" not in text, f"token leaked in {text!r}"
        if isinstance(thing, BaseException):
            assert_no_token(*thing.args)
            if isinstance(thing, dezky.DezkyError):
                assert_no_token(*thing.details.values())


def test_loads_with_the_bearer_token_and_reports_the_etag(server: Server) -> None:
    store = dezky.FlagStore.from_http(server.url, TOKEN)
    assert store.flags().keys() == [f["key"] for f in FLAGS]
    assert store.evaluate("always_on")["value"] is True
    assert server.upstream.requests[0]["authorization"] == f"Bearer {TOKEN}"
    assert server.upstream.requests[0]["if_none_match"] is None
    status = store.status()
    assert status["source"] == server.url
    assert status["version"] == '"v1"'
    assert status["flag_count"] == len(FLAGS)
    assert status["consecutive_failures"] == 0 and status["last_error"] is None
    assert_no_token(store, status)


def test_refresh_picks_up_a_change_and_304_keeps_the_set(server: Server) -> None:
    store = dezky.FlagStore.from_http(server.url, token=TOKEN)
    before = store.flags()

    assert store.refresh_sync() == {"outcome": "unchanged", "changed": []}
    assert server.upstream.requests[-1]["if_none_match"] == '"v1"'
    assert server.upstream.statuses[-1] == 304
    assert store.flags() == before

    changed = [dict(f, state="off") if f["key"] == "always_on" else f for f in FLAGS]
    changed.append({"key": "brand_new", "state": "on"})
    server.upstream.publish(changed, '"v2"')
    outcome = store.refresh_sync()
    assert outcome == {"outcome": "updated", "changed": ["always_on", "brand_new"]}
    assert server.upstream.statuses[-1] == 200
    assert store.evaluate("always_on")["value"] is False
    assert store.evaluate_all()["brand_new"] is True
    assert store.status()["version"] == '"v2"'


def test_503_keeps_the_last_good_set_and_status_reports_it(server: Server) -> None:
    store = dezky.FlagStore.from_http(server.url, TOKEN)
    good = store.flags()
    server.upstream.failing = True
    with pytest.raises(dezky.FlagSourceError) as info:
        store.refresh_sync()
    assert server.upstream.statuses[-1] == 503
    err = info.value
    assert err.code == "DEZKY_FLAG_SOURCE" and err.source == server.url
    assert "503" in str(err) and "req-42" in str(err)
    assert store.flags() == good
    assert store.evaluate("always_on")["value"] is True
    status = store.status()
    assert status["consecutive_failures"] == 1
    assert status["last_error_code"] == "DEZKY_FLAG_SOURCE"
    assert status["last_error"] is not None and "503" in status["last_error"]
    assert status["version"] == '"v1"' and status["flag_count"] == len(FLAGS)
    assert_no_token(err, store, status)

    with pytest.raises(dezky.FlagSourceError) as again:
        store.refresh_sync()
    assert store.status()["consecutive_failures"] == 2
    assert_no_token(again.value)

    server.upstream.failing = False
    assert store.refresh_sync()["outcome"] == "unchanged"  # 304: the set was still current
    status = store.status()
    assert status["consecutive_failures"] == 0 and status["last_error"] is None


def test_a_wrong_token_fails_without_showing_either_token(server: Server) -> None:
    server.upstream.token = "the-right-one"
    with pytest.raises(dezky.FlagSourceError) as info:
        dezky.FlagStore.from_http(server.url, TOKEN)
    assert "401" in str(info.value)
    assert_no_token(info.value)
    assert "the-right-one" not in str(info.value)


def test_no_token_sends_no_authorization(server: Server) -> None:
    with pytest.raises(dezky.FlagSourceError):
        dezky.FlagStore.from_http(server.url)
    assert server.upstream.requests[-1]["authorization"] is None


def test_a_token_unfit_for_a_header_is_refused_without_echoing_it(server: Server) -> None:
    bad = f"{TOKEN}\r\nX-Injected: 1"
    with pytest.raises(dezky.DezkyError) as info:
        dezky.FlagStore.from_http(server.url, bad)
    assert "token" in str(info.value)
    assert_no_token(info.value)
    assert server.upstream.requests == []


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/flags", "not a url", f"http://admin:{TOKEN}@127.0.0.1/flags"],
)
def test_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(dezky.ConfigError) as info:
        dezky.FlagStore.from_http(url, TOKEN)
    assert info.value.code == "DEZKY_CONFIG" and info.value.field == "url"
    assert isinstance(info.value, ValueError)
    assert_no_token(info.value)


def test_an_unreachable_server_is_a_source_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port any more: connection refused.
    with pytest.raises(dezky.FlagSourceError) as info:
        dezky.FlagStore.from_http(f"http://127.0.0.1:{port}/flags", TOKEN)
    assert f"127.0.0.1:{port}" in str(info.value)
    assert_no_token(info.value)


def test_arguments_are_checked() -> None:
    with pytest.raises(dezky.ArgumentTypeError):
        dezky.FlagStore.from_http(42)  # type: ignore[arg-type]
    with pytest.raises(dezky.ArgumentTypeError):
        dezky.FlagStore.from_http("http://127.0.0.1/flags", token=123)  # type: ignore[arg-type]
    with pytest.raises(dezky.InvalidArgumentError):
        dezky.FlagStore.from_http("http://127.0.0.1/flags", interval=-1)


async def test_connect_http_and_async_refresh(server: Server) -> None:
    store = await dezky.FlagStore.connect_http(server.url, TOKEN, interval=0.05, max_backoff=0.2)
    assert len(store.flags()) == len(FLAGS)
    assert await store.refresh() == {"outcome": "unchanged", "changed": []}
    server.upstream.failing = True
    with pytest.raises(dezky.FlagSourceError) as info:
        await store.refresh()
    assert_no_token(info.value, store.status())
    server.upstream.failing = False
    server.upstream.publish([{"key": "only_one", "state": "on"}], '"v3"')
    outcome = await store.refresh()
    assert outcome["outcome"] == "updated" and "only_one" in outcome["changed"]


async def test_background_refresher_follows_the_server(server: Server) -> None:
    store = await dezky.FlagStore.connect_http(server.url, TOKEN, interval=0.05, max_backoff=0.2)
    seen: list[list[str]] = []
    store.on_change(seen.append)
    store.start()
    try:
        server.upstream.publish(FLAGS + [{"key": "later", "state": "on"}], '"v4"')
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.05)
        assert seen and seen[0] == ["later"]
        assert store.evaluate("later")["value"] is True
    finally:
        store.stop()
