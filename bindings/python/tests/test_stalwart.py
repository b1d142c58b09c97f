"""StalwartClient against a JMAP server on 127.0.0.1 (http.server in a thread)
that answers method calls by name, resolves ``#`` result references, checks the
Basic credential and records every request body."""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import dezky
from dezky.stalwart import StalwartClient

AUTH = "Basic " + base64.b64encode(b"admin:s3cret-admin").decode()
PASSWORD = "Correct-Horse-Battery-42"

SESSION = {
    "capabilities": {
        "urn:ietf:params:jmap:core": {
            "maxConcurrentRequests": 4,
            "maxObjectsInGet": 500,
            "maxObjectsInSet": 500,
        }
    },
    "accounts": {"b": {"name": "admin", "accountCapabilities": {"urn:stalwart:jmap": {}}}},
    "primaryAccounts": {"urn:stalwart:jmap": "b"},
    "username": "admin",
    "apiUrl": "https://mail.example.com/jmap/",
    "state": "s1",
}

Handler = Callable[[str, dict[str, Any]], tuple[str, dict[str, Any]]]


def unknown(name: str, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "error", {"type": "unknownMethod"}


class Jmap:
    def __init__(self) -> None:
        self.handler: Handler = unknown
        self.bodies: list[dict[str, Any]] = []
        jmap = self

        class Http(BaseHTTPRequestHandler):
            def answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.headers.get("Authorization") != AUTH:
                    self.answer(401, {"type": "about:blank", "status": 401, "detail": "authenticate first"})
                elif self.path == "/jmap/session":
                    self.answer(200, SESSION)
                else:
                    self.answer(404, {})

            def do_POST(self) -> None:
                if self.headers.get("Authorization") != AUTH:
                    self.answer(401, {"type": "about:blank", "status": 401, "detail": "authenticate first"})
                    return
                assert self.path == "/jmap/"
                assert self.headers.get("Content-Type") == "application/json"
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                jmap.bodies.append(body)
                answers: list[list[Any]] = []
                for name, args, call_id in body["methodCalls"]:
                    resolved: dict[str, Any] = {}
                    failed = False
                    for key, value in args.items():
                        if key.startswith("#"):
                            earlier = next((a for a in answers if a[2] == value["resultOf"]), None)
                            if earlier is None or earlier[0] == "error":
                                failed = True
                            else:
                                resolved[key[1:]] = earlier[1][value["path"][1:]]
                        else:
                            resolved[key] = value
                    if failed:
                        answers.append(["error", {"type": "invalidResultReference"}, call_id])
                        continue
                    answer_name, result = jmap.handler(name, resolved)
                    answers.append([answer_name, result, call_id])
                self.answer(200, {"methodResponses": answers, "sessionState": "s1"})

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Http)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def calls(self) -> list[list[tuple[str, dict[str, Any]]]]:
        return [[(c[0], c[1]) for c in body["methodCalls"]] for body in self.bodies]


@pytest.fixture
def jmap() -> Iterator[Jmap]:
    server = Jmap()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def client(jmap: Jmap) -> StalwartClient:
    return StalwartClient(jmap.url, username="admin", password="s3cret-admin", max_retries=0)


def domain(id: str, name: str) -> dict[str, Any]:
    return {"id": id, "name": name, "aliases": {}, "isEnabled": True, "description": None}


def account(permissions: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "d",
        "@type": "User",
        "name": "alice",
        "domainId": "c",
        "emailAddress": "alice@acme.test",
        "quotas": {"maxDiskQuota": 1073741824},
        "permissions": permissions,
        "credentials": {
            "0": {"@type": "ApiKey", "secret": "****", "credentialId": "k1"},
            "1": {"@type": "Password", "secret": "****", "credentialId": "p1"},
        },
        "aliases": {"0": {"name": "ali", "domainId": "c", "enabled": True}},
        "memberGroupIds": {},
        "locale": "en_US",
        "usedDiskQuota": 2048,
    }


def test_options_are_checked(jmap: Jmap) -> None:
    with pytest.raises(dezky.InvalidArgumentError):
        StalwartClient(jmap.url)
    with pytest.raises(dezky.InvalidArgumentError):
        StalwartClient(jmap.url, api_key="k", username="a", password="b")
    with pytest.raises(dezky.ConfigError):
        StalwartClient("ftp://x", api_key="k")
    with pytest.raises(dezky.InvalidArgumentError) as caught:
        StalwartClient(jmap.url, api_key="k", timeout=-1)
    assert caught.value.field == "timeout"
    with pytest.raises(dezky.ArgumentTypeError):
        StalwartClient(jmap.url, api_key=42)  # type: ignore[arg-type]


def test_from_env(jmap: Jmap, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("STALWART_API_URL", "STALWART_API_KEY", "STALWART_USERNAME", "STALWART_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(dezky.ConfigError) as caught:
        StalwartClient.from_env()
    assert caught.value.field == "STALWART_API_URL"
    monkeypatch.setenv("STALWART_API_URL", jmap.url)
    with pytest.raises(dezky.ConfigError) as caught:
        StalwartClient.from_env()
    assert caught.value.field == "STALWART_API_KEY"
    monkeypatch.setenv("STALWART_USERNAME", "admin")
    monkeypatch.setenv("STALWART_PASSWORD", "s3cret-admin")
    jmap.handler = lambda name, args: (name, {"list": [domain("c", "acme.test")]})
    client = StalwartClient.from_env()
    assert client.get_domain_sync("c")["name"] == "acme.test"
    assert "s3cret-admin" not in repr(client)


async def test_domains(jmap: Jmap, client: StalwartClient) -> None:
    def handler(name: str, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if name == "x:Domain/set":
            assert args["create"]["d"] == {"name": "acme.test", "aliases": {"alias.test": True}}
            assert args["accountId"] == "b"
            return name, {"created": {"d": {"id": "c"}}}
        if name == "x:Domain/query":
            return name, {"ids": ["c"] if args["filter"]["name"] == "acme.test" else []}
        if name == "x:Domain/get":
            if not args["ids"]:
                return name, {"list": []}
            if args["ids"] != ["c"]:
                return name, {"list": [], "notFound": args["ids"]}
            found = domain("c", "acme.test")
            found["aliases"] = {"alias.test": True}
            found["dnsZoneFile"] = "acme.test. IN MX 10 mail.acme.test.\n"
            return name, {"list": [found]}
        return unknown(name, args)

    jmap.handler = handler
    assert await client.create_domain("acme.test", aliases=["alias.test"], description="") == "c"
    found = await client.find_domain("acme.test")
    assert found is not None and found["id"] == "c" and found["aliases"] == ["alias.test"]
    assert await client.find_domain("none.test") is None
    assert client.find_domain_sync("none.test") is None
    read = await client.get_domain("c")
    assert read["dns_zone_file"] is not None and "IN MX" in read["dns_zone_file"]
    with pytest.raises(dezky.NotFoundError) as caught:
        await client.get_domain("zz")
    assert caught.value.status == 200
    with pytest.raises(dezky.InvalidArgumentError):
        await client.get_domain("a/b")
    with pytest.raises(dezky.ArgumentTypeError):
        await client.get_domain(42)  # type: ignore[arg-type]
    assert jmap.calls()[1][1][1]["#ids"] == {"resultOf": "c0", "name": "x:Domain/query", "path": "/ids"}


async def test_list_domains(jmap: Jmap, client: StalwartClient) -> None:
    names = {"e": "mid.test", "d": "acme.test", "c": "zeta.test"}

    def handler(name: str, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if name == "x:Domain/query":
            tenant = args["filter"].get("memberTenantId")
            return name, {"ids": ["e", "d", "c"] if tenant is None else ["e"] if tenant == "t1" else []}
        if name == "x:Domain/get":
            assert "dnsZoneFile" not in args["properties"]
            return name, {"list": [domain(id, names[id]) for id in args["ids"]]}
        return unknown(name, args)

    jmap.handler = handler
    listed = await client.list_domains()
    assert [d["name"] for d in listed] == ["acme.test", "mid.test", "zeta.test"]
    assert all(d["dns_zone_file"] is None and d["is_enabled"] for d in listed)
    assert [d["id"] for d in await client.list_domains("t1")] == ["e"]
    assert client.list_domains_sync(tenant_id="t9") == []
    assert [c[0][1]["filter"] for c in jmap.calls() if c[0][0] == "x:Domain/query"] == [
        {},
        {"memberTenantId": "t1"},
        {"memberTenantId": "t9"},
    ]
    with pytest.raises(dezky.InvalidArgumentError):
        await client.list_domains("a/b")
    with pytest.raises(dezky.ArgumentTypeError):
        client.list_domains_sync(7)  # type: ignore[arg-type]


async def test_wait_for_dkim(jmap: Jmap, client: StalwartClient) -> None:
    polls = {"n": 0, "appear_at": 2}

    def handler(name: str, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if name == "x:DkimSignature/query":
            polls["n"] += 1
            return name, {"ids": ["f"] if polls["n"] >= polls["appear_at"] else []}
        if name == "x:DkimSignature/get":
            return name, {
                "list": [
                    {"id": i, "@type": "Dkim1RsaSha256", "domainId": "c", "selector": "v1-rsa", "stage": "active"}
                    for i in args["ids"]
                ]
            }
        return unknown(name, args)

    jmap.handler = handler
    signatures = await client.wait_for_dkim("c", 5)
    assert [s["algorithm"] for s in signatures] == ["Dkim1RsaSha256"]
    assert signatures[0]["domain_id"] == "c"
    polls["appear_at"] = 10_000
    with pytest.raises(dezky.UpstreamTimeoutError) as caught:
        client.wait_for_dkim_sync("c", 0.3)
    assert caught.value.code == "DEZKY_TIMEOUT"
    assert caught.value.method == "WAIT"
    assert caught.value.timeout_ms == 300


def test_delete_domain(jmap: Jmap, client: StalwartClient) -> None:
    state: dict[str, Any] = {"keys": ["f"], "account": False}

    def handler(name: str, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if name == "x:Domain/set":
            links = ([{"object": "Account", "id": "d"}] if state["account"] else []) + [
                {"object": "DkimSignature", "id": k} for k in state["keys"]
            ]
            if not links:
                return name, {"destroyed": ["c"]}
            return name, {
                "notDestroyed": {
                    "c": {"type": "objectIsLinked", "objectId": {"object": "Domain", "id": "c"}, "linkedObjects": links}
                }
            }
        if name == "x:DkimSignature/query":
            return name, {"ids": state["keys"]}
        if name == "x:DkimSignature/set":
            assert args["destroy"] == ["f"]
            state["keys"] = []
            return name, {"destroyed": args["destroy"]}
        return unknown(name, args)

    jmap.handler = handler
    client.delete_domain_sync("c")
    assert len(jmap.bodies) == 2
    state.update(keys=["f"], account=True)
    with pytest.raises(dezky.InUseError) as caught:
        client.delete_domain_sync("c")
    assert caught.value.linked == ["Account/d", "DkimSignature/f"]
    assert caught.value.upstream_code == "objectIsLinked"
    assert state["keys"] == ["f"]


async def test_mailboxes(jmap: Jmap, client: StalwartClient) -> None:
    state = account(
        {"@type": "Replace", "enabledPermissions": {"authenticate": True, "emailReceive": True}, "disabledPermissions": {}}
    )
    original = copy.deepcopy(state["permissions"])
    patches: list[dict[str, Any]] = []

    def handler(name: str, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if name == "x:Account/set":
            if "create" in args:
                assert args["create"]["u"] == {
                    "@type": "User",
                    "name": "alice",
                    "domainId": "c",
                    "credentials": {"0": {"@type": "Password", "secret": PASSWORD}},
                    "quotas": {"maxDiskQuota": 1073741824},
                    "description": "Alice",
                }
                return name, {"created": {"u": {"id": "d"}}}
            if "update" in args:
                patch = args["update"]["d"]
                patches.append(patch)
                if "permissions" in patch:
                    state["permissions"] = patch["permissions"]
                return name, {"updated": {"d": None}}
            assert args["destroy"] == ["d"]
            return name, {"destroyed": ["d"]}
        if name == "AddressBook/get":
            assert args["accountId"] == "d"
            return name, {"accountId": "d", "list": [{"id": "a", "name": "default"}], "notFound": []}
        if name == "x:Account/get":
            return name, {"list": [state]}
        if name == "x:Domain/query":
            return name, {"ids": ["c"]}
        if name == "x:Domain/get":
            return name, {"list": [domain("c", "acme.test")]}
        if name == "x:Account/query":
            assert args["filter"] == {"name": "alice", "domainId": "c"}
            return name, {"ids": ["d"]}
        return unknown(name, args)

    jmap.handler = handler
    assert await client.create_mailbox("c", "alice", PASSWORD, quota_bytes=1 << 30, description="Alice") == "d"
    assert "urn:ietf:params:jmap:contacts" in jmap.bodies[1]["using"]

    found = await client.find_mailbox("alice@acme.test")
    assert found is not None
    assert found["email_address"] == "alice@acme.test"
    assert found["quota_bytes"] == 1 << 30
    assert found["quotas"] == {"maxDiskQuota": 1 << 30}
    assert found["suspended"] is False
    assert found["permissions"]["type"] == "Replace"
    assert [c["kind"] for c in found["credentials"]] == ["ApiKey", "Password"]
    assert found["aliases"][0]["name"] == "ali"

    await client.suspend_mailbox("d")
    suspended = client.get_mailbox_sync("d")
    assert suspended["suspended"] is True
    assert suspended["permissions"]["disabled_permissions"] == ["authenticate"]
    assert suspended["permissions"]["enabled_permissions"] == ["authenticate", "emailReceive"]
    client.resume_mailbox_sync("d")
    assert state["permissions"] == original

    await client.reset_password("d", "New-Strong-Passphrase-2026")
    assert patches[-1] == {"credentials/1/secret": "New-Strong-Passphrase-2026"}
    assert all("credentials" not in p for p in patches[:-1]), "suspend/resume leave the credentials alone"
    await client.delete_mailbox("d")


async def test_set_errors_become_exceptions(jmap: Jmap, client: StalwartClient) -> None:
    jmap.handler = lambda name, args: (
        name,
        {
            "notCreated": {
                "u": {
                    "type": "primaryKeyViolation",
                    "properties": ["email"],
                    "description": "Duplicate",
                    "objectId": {"object": "Account", "id": "e"},
                }
            }
        },
    )
    with pytest.raises(dezky.AlreadyExistsError) as exists:
        await client.create_mailbox("c", "alice", PASSWORD)
    assert exists.value.code == "DEZKY_ALREADY_EXISTS"
    assert exists.value.status == 200
    assert exists.value.linked == ["Account/e"]
    assert exists.value.fields == {"email": ["Duplicate"]}
    assert PASSWORD not in str(exists.value)

    jmap.handler = lambda name, args: (
        name,
        {"notCreated": {"u": {"type": "validationFailed", "validationErrors": [{"type": "Required", "property": "description"}]}}},
    )
    with pytest.raises(dezky.UpstreamRejectedError) as rejected:
        client.create_mailbox_sync("c", "alice", PASSWORD)
    assert rejected.value.fields == {"description": ["Required"]}

    jmap.handler = lambda name, args: ("error", {"type": "forbidden", "description": "You do not have permission."})
    with pytest.raises(dezky.UpstreamForbiddenError) as forbidden:
        await client.get_mailbox("d")
    assert forbidden.value.upstream_code == "forbidden"

    wrong = StalwartClient(jmap.url, username="admin", password="wrong-password")
    with pytest.raises(dezky.UpstreamUnauthorizedError) as unauthorized:
        await wrong.get_mailbox("d")
    assert unauthorized.value.status == 401
    assert "wrong-password" not in str(unauthorized.value)
