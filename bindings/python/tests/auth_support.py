"""Token verification fixtures: the checked-in RSA test keys (tests/fixtures/auth),
RS256 tokens signed in pure Python (PKCS#1 v1.5 over SHA-256), and a local OpenID
provider on 127.0.0.1 (http.server in a thread) serving discovery and JWKS."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "auth"
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def _der(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER element at ``pos``."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[pos : pos + n], "big")
        pos += n
    return tag, pos, pos + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    pos = start
    while pos < end:
        tag, s, e = _der(data, pos)
        out.append((tag, s, e))
        pos = e
    return out


@dataclass(frozen=True)
class RsaKey:
    kid: str
    n: int
    e: int
    d: int

    @property
    def jwk(self) -> dict[str, str]:
        def b64(i: int) -> str:
            raw = i.to_bytes((i.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        return {"kty": "RSA", "n": b64(self.n), "e": b64(self.e), "kid": self.kid, "use": "sig", "alg": "RS256"}

    def sign(self, message: bytes) -> bytes:
        k = (self.n.bit_length() + 7) // 8
        t = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
        em = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
        return pow(int.from_bytes(em, "big"), self.d, self.n).to_bytes(k, "big")


def rsa_key(file: str, kid: str) -> RsaKey:
    pem = (FIXTURES / file).read_text()
    der = base64.b64decode("".join(l for l in pem.splitlines() if not l.startswith("-----")))
    _, s, e = _der(der, 0)
    parts = _children(der, s, e)  # version, algorithm, privateKey
    _, ks, ke = parts[2]
    _, rs, re_ = _der(der, ks)
    ints = [int.from_bytes(der[a:b], "big") for _, a, b in _children(der, rs, re_)]
    return RsaKey(kid=kid, n=ints[1], e=ints[2], d=ints[3])


RSA_A = rsa_key("rsa_a.pem", "rsa-a")
RSA_B = rsa_key("rsa_b.pem", "rsa-b")


def b64json(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def sign(key: RsaKey, claims: dict[str, Any], **header: Any) -> str:
    head: dict[str, Any] = {"alg": "RS256", "typ": "JWT", "kid": key.kid}
    head.update(header)
    head = {k: v for k, v in head.items() if v is not None}
    body = {k: v for k, v in claims.items() if v is not None}
    signing_input = f"{b64json(head)}.{b64json(body)}"
    signature = base64.urlsafe_b64encode(key.sign(signing_input.encode())).rstrip(b"=").decode()
    return f"{signing_input}.{signature}"


def now() -> int:
    return int(time.time())


def claims(issuer: str, **extra: Any) -> dict[str, Any]:
    t = now()
    out: dict[str, Any] = {
        "iss": issuer,
        "sub": "sub-alice",
        "aud": "dezky-portal",
        "exp": t + 300,
        "iat": t - 5,
        "email": "alice@example.com",
        "name": "Alice",
        "groups": ["dezky-users"],
    }
    out.update(extra)
    return out


@dataclass
class Provider:
    """A local OpenID provider; ``jwks_reads`` counts JWKS requests."""

    server: ThreadingHTTPServer
    keys: list[RsaKey]
    jwks_reads: int = 0
    discoveries: int = 0
    thread: threading.Thread | None = field(default=None)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def issuer(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/application/o/{name}/"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_provider(keys: list[RsaKey] | None = None) -> Provider:
    provider: Provider

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, value: Any) -> None:
            body = json.dumps(value).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{provider.port}"
            m = re.fullmatch(r"/application/o/([a-z-]+)/\.well-known/openid-configuration", self.path)
            if m:
                provider.discoveries += 1
                self._json(
                    {
                        "issuer": f"{base}/application/o/{m.group(1)}/",
                        "jwks_uri": f"{base}/application/o/{m.group(1)}/jwks/",
                        "id_token_signing_alg_values_supported": ["RS256"],
                    }
                )
            elif re.fullmatch(r"/application/o/[a-z-]+/jwks/", self.path):
                provider.jwks_reads += 1
                self._json({"keys": [k.jwk for k in provider.keys]})
            else:
                self.send_response(404)
                self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    provider = Provider(server=server, keys=list(keys if keys is not None else [RSA_A]))
    provider.thread = threading.Thread(target=server.serve_forever, daemon=True)
    provider.thread.start()
    return provider


def provider_fixture(keys: list[RsaKey] | None = None) -> Iterator[Provider]:
    p = start_provider(keys)
    try:
        yield p
    finally:
        p.close()
