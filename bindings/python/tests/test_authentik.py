"""dezky.authentik.AuthentikClient against a local Authentik stand-in
(http.server on 127.0.0.1): requests sent, records returned, error classes and
attributes, the session safety rule, empty filters refused without a request,
and the rollback of create_sso_app. The fixtures are the ones the Rust tests
check against the Authentik 2025.10.4 OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from upstream_support import Answer, Request, Upstream, serve

import dezky
from dezky.authentik import AuthentikClient
from dezky.errors import (
    AlreadyExistsError,
    ConfigError,
    InvalidArgumentError,
    NotFoundError,
    UpstreamForbiddenError,
    UpstreamRejectedError,
    UpstreamUnauthorizedError,
    UpstreamUnavailableError,
)

FIXTURES = Path(__file__).resolve().parents[3] / "dezky-clients" / "tests" / "fixtures" / "authentik"
GROUP = "6a3c2e1f-0c4b-4a5e-9d62-1f0e2a3b4c5d"
APP = "0b7e4c2a-5f61-4d8e-a1b2-c3d4e5f60718"
TOKEN = "ak-python-test-token"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def page(results: list[Any], current: int = 1, total: int = 1) -> dict[str, Any]:
    return {
        "pagination": {
            "next": current + 1 if current < total else 0,
            "previous": current - 1,
            "count": len(results) * total,
            "current": current,
            "total_pages": total,
            "start_index": 1,
            "end_index": len(results),
        },
        "results": results,
        "autocomplete": {},
    }


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Upstream]]:
    upstream = Upstream(prefix="/api/v3")
    with serve(upstream) as url:
        yield url, upstream


@pytest.fixture
def upstream(server: tuple[str, Upstream]) -> Upstream:
    server[1].reset()
    return server[1]


@pytest.fixture
def client(server: tuple[str, Upstream]) -> AuthentikClient:
    return AuthentikClient(server[0], TOKEN, timeout=2.0, max_retries=1)


def test_exported_and_configured(server: tuple[str, Upstream]) -> None:
    assert dezky.AuthentikClient is AuthentikClient
    assert AuthentikClient("https://sso.example/api/v3/", "t").issuer_for("acme-wiki") == (
        "https://sso.example/application/o/acme-wiki/"
    )
    with pytest.raises(ConfigError):
        AuthentikClient(server[0], "")
    with pytest.raises(InvalidArgumentError):
        AuthentikClient(server[0], "t", page_size=0)
    with pytest.raises(TypeError):
        AuthentikClient(server[0], 5)  # type: ignore[arg-type]


def test_from_env_needs_the_token(monkeypatch: pytest.MonkeyPatch, server: tuple[str, Upstream]) -> None:
    monkeypatch.setenv("AUTHENTIK_API_URL", server[0])
    monkeypatch.delenv("AUTHENTIK_API_TOKEN", raising=False)
    with pytest.raises(ConfigError) as caught:
        AuthentikClient.from_env()
    assert "AUTHENTIK_API_TOKEN" in str(caught.value)
    monkeypatch.setenv("AUTHENTIK_API_TOKEN", TOKEN)
    assert "api/v3" in repr(AuthentikClient.from_env())


async def test_find_group_by_name_sends_the_exact_filters(client: AuthentikClient, upstream: Upstream) -> None:
    upstream.on("GET", "/core/groups/", Answer(200, page([fixture("group")])))
    group = await client.find_group_by_name("tenant-acme")
    assert group is not None
    assert group["pk"] == GROUP
    assert group["num_pk"] == 17
    assert group["attributes"] == {"tenant_slug": "acme", "tenant_id": "7f9d2c4e-1111-4a2b-8c3d-000000000001"}
    [request] = upstream.requests
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.query["name"] == ["tenant-acme"]
    assert request.query["include_users"] == ["false"]
    assert request.query["page_size"] == ["100"]
    upstream.on("GET", "/core/groups/", Answer(200, page([])))
    assert client.find_group_by_name_sync("tenant-none") is None


async def test_ensure_group_creates_and_survives_a_lost_race(client: AuthentikClient, upstream: Upstream) -> None:
    upstream.on("GET", "/core/groups/", Answer(200, page([])))
    upstream.on("POST", "/core/groups/", Answer(201, fixture("group")))
    assert (await client.ensure_group("tenant-acme", "acme", "t-1"))["pk"] == GROUP
    assert upstream.sent("POST")[0].json() == {
        "name": "tenant-acme",
        "attributes": {"tenant_slug": "acme", "tenant_id": "t-1"},
    }
    upstream.reset()
    upstream.on("GET", "/core/groups/", Answer(200, page([])), Answer(200, page([fixture("group")])))
    upstream.on("POST", "/core/groups/", Answer(400, fixture("error_unique_name")))
    assert client.ensure_group_sync("tenant-acme", "acme", "t-1")["pk"] == GROUP
    assert len(upstream.sent("GET")) == 2


async def test_list_groups_reads_every_page(client: AuthentikClient, upstream: Upstream) -> None:
    def answer(request: Request) -> Answer:
        n = int(request.query["page"][0])
        return Answer(200, page([dict(fixture("group"), name=f"tenant-{n}")], n, 3))

    upstream.on("GET", "/core/groups/", answer)
    groups = await client.list_groups()
    assert [g["name"] for g in groups] == ["tenant-1", "tenant-2", "tenant-3"]


async def test_group_members(client: AuthentikClient, upstream: Upstream) -> None:
    upstream.on("POST", f"/core/groups/{GROUP}/add_user/", Answer(204))
    upstream.on("POST", f"/core/groups/{GROUP}/remove_user/", Answer(404))
    upstream.on("DELETE", f"/core/groups/{GROUP}/", Answer(204))
    await client.add_user_to_group(GROUP, 42)
    assert upstream.requests[0].json() == {"pk": 42}
    with pytest.raises(NotFoundError) as caught:
        await client.remove_user_from_group(GROUP, 42)
    assert caught.value.status == 404
    await client.delete_group(GROUP)
    with pytest.raises(InvalidArgumentError):
        await client.add_user_to_group(GROUP, 0)


async def test_create_user_and_a_taken_username(client: AuthentikClient, upstream: Upstream) -> None:
    upstream.on("POST", "/core/users/", Answer(201, fixture("user")))
    user = await client.create_user("ada@acme.example", "Ada Lovelace", groups=[GROUP], type="internal")
    assert user["pk"] == 42
    assert user["type"] == "internal"
    assert upstream.requests[0].json() == {
        "username": "ada@acme.example",
        "email": "ada@acme.example",
        "name": "Ada Lovelace",
        "is_active": True,
        "groups": [GROUP],
        "type": "internal",
    }
    upstream.on("POST", "/core/users/", Answer(400, fixture("error_unique_username")))
    with pytest.raises(AlreadyExistsError) as caught:
        client.create_user_sync("ada@acme.example", "Ada")
    assert caught.value.status == 400
    assert caught.value.fields == {"username": ["This field must be unique."]}
    with pytest.raises(InvalidArgumentError) as invalid:
        await client.create_user("not-an-email", "Ada")
    assert invalid.value.field == "email"
    with pytest.raises(InvalidArgumentError):
        await client.create_user("ada@acme.example", "Ada", attributes=[1])  # type: ignore[arg-type]


async def test_users(client: AuthentikClient, upstream: Upstream) -> None:
    upstream.on("GET", "/core/users/42/", Answer(200, fixture("user")))
    upstream.on("GET", "/core/users/7/", Answer(404, fixture("error_not_found")))
    upstream.on("GET", "/core/users/8/", Answer(403, fixture("error_token_invalid")))
    upstream.on("GET", "/core/users/", Answer(200, page([fixture("user")])))
    upstream.on("PATCH", "/core/users/42/", lambda r: Answer(200, dict(fixture("user"), **r.json())))
    upstream.on("DELETE", "/core/users/42/", Answer(204))
    upstream.on("POST", "/core/users/42/recovery/", Answer(200, fixture("link")))

    assert (await client.get_user(42))["username"] == "ada@acme.example"
    with pytest.raises(NotFoundError) as missing:
        await client.get_user(7)
    assert missing.value.upstream_message == "No User matches the given query."
    with pytest.raises(UpstreamUnauthorizedError) as refused:
        client.get_user_sync(8)
    assert refused.value.status == 403
    found = await client.find_user_by_username("ada@acme.example")
    assert found is not None and found["pk"] == 42
    assert len(await client.find_users_by_email("ada@acme.example")) == 1
    assert len(await client.list_users({"username": "ada@acme.example"})) == 1
    assert (await client.suspend_user(42))["is_active"] is False
    assert client.resume_user_sync(42)["is_active"] is True
    assert [r.json() for r in upstream.sent("PATCH")] == [{"is_active": False}, {"is_active": True}]
    await client.delete_user(42)
    assert "/recovery/use-token/" in await client.recovery_link(42)


async def test_set_password(client: AuthentikClient, upstream: Upstream) -> None:
    upstream.on("POST", "/core/users/42/set_password/", Answer(204))
    upstream.on("POST", "/core/users/43/set_password/", Answer(400))
    await client.set_password(42, "correct horse battery staple")
    assert upstream.requests[0].json() == {"password": "correct horse battery staple"}
    with pytest.raises(UpstreamRejectedError) as caught:
        client.set_password_sync(43, "short")
    assert caught.value.status == 400
    assert "short" not in str(caught.value)


async def test_empty_filters_are_refused_before_any_request(client: AuthentikClient, upstream: Upstream) -> None:
    with pytest.raises(InvalidArgumentError):
        await client.find_group_by_name("")
    with pytest.raises(InvalidArgumentError):
        await client.find_user_by_username(" ")
    with pytest.raises(InvalidArgumentError):
        await client.find_users_by_email("")
    with pytest.raises(InvalidArgumentError):
        await client.list_users({"email": ""})
    with pytest.raises(InvalidArgumentError):
        await client.list_user_sessions("")
    with pytest.raises(InvalidArgumentError) as caught:
        client.terminate_user_sessions_sync("", 42)
    assert caught.value.field == "username"
    assert upstream.requests == []


async def test_terminate_user_sessions_skips_foreign_sessions(client: AuthentikClient, upstream: Upstream) -> None:
    sessions = [fixture("session_own_1"), fixture("session_foreign"), fixture("session_own_2")]
    upstream.on("GET", "/core/authenticated_sessions/", Answer(200, page(sessions)))
    upstream.on("DELETE", "/core/authenticated_sessions/11111111-1111-4111-8111-111111111111/", Answer(204))
    upstream.on("DELETE", "/core/authenticated_sessions/22222222-2222-4222-8222-222222222222/", Answer(404))
    outcome = await client.terminate_user_sessions("ada@acme.example", 42)
    assert outcome == {
        "terminated": ["11111111-1111-4111-8111-111111111111"],
        "skipped_foreign": 1,
        "already_gone": 1,
    }
    assert upstream.requests[0].query["user__username"] == ["ada@acme.example"]
    assert all("33333333" not in r.path for r in upstream.sent("DELETE"))


async def test_count_authenticators(client: AuthentikClient, upstream: Upstream) -> None:
    upstream.on("GET", "/authenticators/admin/all/", Answer(200, fixture("devices")))
    summary = await client.count_authenticators(42)
    assert summary == {
        "count": 3,
        "by_type": {
            "authentik_stages_authenticator_totp.TOTPDevice": 1,
            "authentik_stages_authenticator_webauthn.WebAuthnDevice": 2,
        },
        "recovery_code_devices": 1,
        "unconfirmed": 1,
        "endpoint_devices": 1,
        "has_mfa": True,
    }
    assert upstream.requests[0].query["user"] == ["42"]
    assert len(client.list_authenticators_sync(42)) == 6


def mount_discovery(upstream: Upstream, keys: list[Any]) -> None:
    def flow(request: Request) -> Answer:
        designation = request.query["designation"][0]
        name = "flow_authorization" if designation == "authorization" else "flow_invalidation"
        return Answer(200, page([fixture(name)]))

    upstream.on("GET", "/flows/instances/", flow)
    upstream.on("GET", "/crypto/certificatekeypairs/", Answer(200, page(keys)))
    upstream.on("GET", "/propertymappings/provider/scope/", Answer(200, page(fixture("scope_mappings"))))


async def test_create_sso_app(client: AuthentikClient, upstream: Upstream) -> None:
    mount_discovery(upstream, [fixture("keypair_self_signed"), fixture("keypair_jwt")])
    upstream.on("POST", "/providers/oauth2/", Answer(201, fixture("oauth2_provider")))
    upstream.on("POST", "/core/applications/", Answer(201, fixture("application")))
    upstream.on("GET", "/policies/bindings/", Answer(200, page([fixture("binding_other")])))
    upstream.on("POST", "/policies/bindings/", Answer(201, fixture("binding_group")))
    app = await client.create_sso_app(
        "acme-wiki", "acme-wiki", ["https://wiki.acme.example/oidc/callback"], group_pk=GROUP
    )
    assert app["client_id"] == "Xq3LrT9kP0aZ"
    assert app["client_secret"] == "CLIENT-SECRET-7d1f9a2b4c6e8f0a1b3c5d7e9f"
    assert app["provider_pk"] == 12
    assert app["application"]["pk"] == APP
    assert app["binding"] is not None and app["binding"]["group"] == GROUP
    assert app["issuer"].endswith("/application/o/acme-wiki/")
    provider, application, binding = [r.json() for r in upstream.sent("POST")]
    assert provider["signing_key"] == "c0c0c0c0-0000-4000-8000-000000000002"
    assert provider["encryption_key"] is None
    assert provider["redirect_uris"] == [{"matching_mode": "strict", "url": "https://wiki.acme.example/oidc/callback"}]
    assert application["provider"] == 12
    assert binding == {"target": APP, "group": GROUP, "order": 4, "enabled": True}


async def test_create_sso_app_rolls_back(client: AuthentikClient, upstream: Upstream) -> None:
    mount_discovery(upstream, [fixture("keypair_jwt")])
    upstream.on("POST", "/providers/oauth2/", Answer(201, fixture("oauth2_provider")))
    upstream.on("POST", "/core/applications/", Answer(201, fixture("application")))
    upstream.on("GET", "/policies/bindings/", Answer(200, page([])))
    upstream.on("POST", "/policies/bindings/", Answer(403, {"detail": "You do not have permission to perform this action."}))
    upstream.on("DELETE", "/core/applications/acme-wiki/", Answer(204))
    upstream.on("DELETE", "/providers/oauth2/12/", Answer(204))
    with pytest.raises(UpstreamForbiddenError):
        client.create_sso_app_sync("acme-wiki", "acme-wiki", ["https://wiki.acme.example/cb"], group_pk=GROUP)
    assert [r.path for r in upstream.sent("DELETE")] == [
        "/api/v3/core/applications/acme-wiki/",
        "/api/v3/providers/oauth2/12/",
    ]


async def test_create_sso_app_without_a_signing_key_writes_nothing(
    client: AuthentikClient, upstream: Upstream
) -> None:
    mount_discovery(upstream, [])
    with pytest.raises(ConfigError) as caught:
        await client.create_sso_app("acme-wiki", "acme-wiki", ["https://wiki.acme.example/cb"])
    assert caught.value.field == "signing_key"
    assert upstream.sent("POST") == []


async def test_providers_applications_bindings(client: AuthentikClient, upstream: Upstream) -> None:
    upstream.on("POST", "/providers/oauth2/", Answer(201, fixture("oauth2_provider")))
    upstream.on("GET", "/providers/oauth2/12/", Answer(200, fixture("oauth2_provider")))
    upstream.on("GET", "/providers/oauth2/", Answer(200, page([fixture("oauth2_provider")])))
    upstream.on("DELETE", "/providers/oauth2/12/", Answer(204))
    upstream.on("POST", "/core/applications/", Answer(201, fixture("application")))
    upstream.on("GET", "/core/applications/acme-wiki/", Answer(200, fixture("application")))
    upstream.on("GET", "/core/applications/", Answer(200, page([fixture("application")])))
    upstream.on("GET", "/policies/bindings/", Answer(200, page([fixture("binding_group")])))
    provider = await client.create_oauth2_provider("acme-wiki", "f1", "f2", ["https://x.example/cb"], "k1")
    assert provider["pk"] == 12
    assert "client_secret" not in provider
    assert provider["redirect_uris"][0]["matching_mode"] == "strict"
    with pytest.raises(InvalidArgumentError):
        await client.create_oauth2_provider("x", "f1", "f2", ["https://x.example/cb"], "")
    assert (await client.get_oauth2_provider(12))["name"] == "acme-wiki"
    assert len(await client.list_oauth2_providers()) == 1
    await client.delete_oauth2_provider(12)
    assert (await client.create_application("acme-wiki", "acme-wiki", provider=12))["slug"] == "acme-wiki"
    assert (await client.get_application("acme-wiki"))["provider"] == 12
    assert len(await client.list_applications()) == 1
    listing = [r for r in upstream.sent("GET") if r.path == "/api/v3/core/applications/"]
    assert listing[0].query["superuser_full_list"] == ["true"]
    binding = await client.bind_group_to_application(APP, GROUP)
    assert binding["pk"] == "e0e0e0e0-0000-4000-8000-000000000002"
    assert [r for r in upstream.sent("POST") if "bindings" in r.path] == []


async def test_api_tokens(client: AuthentikClient, upstream: Upstream) -> None:
    upstream.on("POST", "/core/tokens/", Answer(201, fixture("token")))
    upstream.on("GET", "/core/tokens/dezky-platform-api/view_key/", Answer(200, fixture("token_view")))
    token = await client.create_api_token("dezky-platform-api", 42, description="control plane")
    assert token["intent"] == "api"
    assert upstream.requests[0].json() == {
        "identifier": "dezky-platform-api",
        "intent": "api",
        "user": 42,
        "expiring": False,
        "description": "control plane",
    }
    assert client.view_token_key_sync("dezky-platform-api") == "TOKEN-KEY-9b8a7c6d5e4f3a2b1c0d"
    with pytest.raises(InvalidArgumentError) as caught:
        await client.create_api_token("has space", 42)
    assert caught.value.field == "identifier"


async def test_a_get_is_retried_a_post_is_not(client: AuthentikClient, upstream: Upstream) -> None:
    upstream.on("GET", "/core/users/42/", Answer(503), Answer(200, fixture("user")))
    assert (await client.get_user(42))["pk"] == 42
    assert len(upstream.requests) == 2
    upstream.reset()
    upstream.on("POST", "/core/users/", Answer(503))
    with pytest.raises(UpstreamUnavailableError):
        await client.create_user("ada@acme.example", "Ada")
    assert len(upstream.requests) == 1
