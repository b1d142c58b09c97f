"""A scripted upstream for the client tests: an http.server on 127.0.0.1 (in a
thread) that records every request and answers from routes set per test."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    json: Any = None
    raw: str | None = None
    """A body sent as it is, instead of ``json``."""


Route = Callable[[Request], Answer]


@dataclass
class Upstream:
    prefix: str = ""
    """Put before every path given to :meth:`on` (``/api/v3`` for Authentik)."""
    requests: list[Request] = field(default_factory=list)
    routes: dict[str, list[Answer | Route]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on(self, method: str, path: str, *answers: Answer | Route) -> None:
        """Answers ``method <prefix><path>`` with ``answers`` in turn (the last repeats)."""
        with self.lock:
            self.routes[f"{method} {self.prefix}{path}"] = list(answers)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.routes.clear()

    def sent(self, method: str) -> list[Request]:
        return [r for r in self.requests if r.method == method]

    def answer(self, request: Request) -> Answer:
        """The next answer of the route matching the path as sent, else as decoded; 599 without one."""
        with self.lock:
            self.requests.append(request)
            answers = self.routes.get(f"{request.method} {request.path}") or self.routes.get(
                f"{request.method} {unquote(request.path)}"
            )
            if not answers:
                return Answer(599)
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return answer(request) if callable(answer) else answer


@contextmanager
def serve(upstream: Upstream) -> Iterator[str]:
    """Serves ``upstream`` on a free loopback port; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def handle_any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            url = urlsplit(self.path)
            request = Request(
                self.command,
                url.path,
                parse_qs(url.query),
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
            answer = upstream.answer(request)
            text = answer.raw if answer.raw is not None else ("" if answer.json is None else json.dumps(answer.json))
            self.send_response(answer.status)
            if text:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(text.encode())))
            self.end_headers()
            self.wfile.write(text.encode())

        do_GET = do_POST = do_PATCH = do_DELETE = handle_any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
