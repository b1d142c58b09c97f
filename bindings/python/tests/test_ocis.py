"""dezky.ocis.OcisClient against a local OCIS stand-in (http.server on
127.0.0.1) that also plays Authentik's token endpoint: requests, records,
error attributes, the two-step removal, and the refresh-token service login
with a credential file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from upstream_support import Answer, Request, Upstream, serve

import dezky
from dezky.errors import (
    CredentialStoreError,
    InvalidArgumentError,
    NotFoundError,
    ServiceLoginRequiredError,
    UpstreamUnauthorizedError,
    UpstreamUnavailableError,
)
from dezky.ocis import OcisClient, validate_space_name

ID = "a0ca6a90-a365-4782-871e-d44447bbc668$5b0d8c3a-7e1f-4a40-9f6b-2c0b9a1d4e55"
DRIVE_PATH = f"/graph/v1.0/drives/{ID}"
TOKEN_PATH = "/application/o/token/"


def drive(**extra: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": ID,
        "driveType": "project",
        "name": "acme",
        "description": "Acme Co",
        "driveAlias": "project/acme",
        "lastModifiedDateTime": "2026-06-01T10:00:00Z",
        "owner": {"user": {"id": "owner-1", "displayName": "Platform Service"}},
        "quota": {"total": 10737418240, "used": 52428800, "remaining": 10684989440, "state": "normal", "deleted": 0},
        "root": {"id": ID, "webDavUrl": f"https://cloud.example/dav/spaces/{ID}"},
        "webUrl": f"https://cloud.example/f/{ID}",
    }
    value.update(extra)
    return value


def trashed() -> dict[str, Any]:
    value = drive(root={"id": ID, "deleted": {"state": "trashed"}})
    del value["quota"]
    return value


def odata_error(code: str, message: str, request_id: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "innererror": {"request-id": request_id}}}


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Upstream]]:
    upstream = Upstream()
    with serve(upstream) as url:
        yield url, upstream


@pytest.fixture
def upstream(server: tuple[str, Upstream]) -> Upstream:
    server[1].reset()
    return server[1]


@pytest.fixture
def client(server: tuple[str, Upstream]) -> OcisClient:
    return OcisClient(server[0], access_token="tok-ocis-1", timeout=2.0, max_retries=0)


def test_validate_space_name() -> None:
    assert validate_space_name("  acme ") == "acme"
    for bad in ["", " ", "acme.io", "a/b", "a|b", "x" * 256]:
        with pytest.raises(InvalidArgumentError) as caught:
            validate_space_name(bad)
        assert caught.value.field == "name"
    with pytest.raises(TypeError):
        validate_space_name(42)  # type: ignore[arg-type]


async def test_create_sends_schema_fields_and_returns_the_drive(client: OcisClient, upstream: Upstream) -> None:
    upstream.on("POST", "/graph/v1.0/drives", Answer(201, drive()))
    created = await client.create_project_space(" acme ", "Acme Co", 10737418240)
    [request] = upstream.requests
    assert request.headers["authorization"] == "Bearer tok-ocis-1"
    assert json.loads(request.body) == {
        "name": "acme",
        "driveType": "project",
        "description": "Acme Co",
        "quota": {"total": 10737418240},
    }
    assert created["id"] == ID
    assert created["drive_type"] == "project"
    assert created["owner_id"] == "owner-1"
    assert created["trashed"] is False
    assert created["quota"] == {
        "total": 10737418240,
        "used": 52428800,
        "remaining": 10684989440,
        "deleted": 0,
        "state": "normal",
    }


async def test_invalid_input_is_refused_without_a_request(client: OcisClient, upstream: Upstream) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.create_project_space("acme.io")
    assert caught.value.code == "DEZKY_INVALID_ARGUMENT"
    with pytest.raises(InvalidArgumentError):
        client.ensure_project_space_sync("a:b")
    with pytest.raises(InvalidArgumentError):
        await client.create_project_space("acme", quota_bytes=-1)
    with pytest.raises(TypeError):
        await client.get_drive(5)  # type: ignore[arg-type]
    assert upstream.requests == []


async def test_listings_null_body_filter_and_trashed_space(client: OcisClient, upstream: Upstream) -> None:
    upstream.on("GET", "/graph/v1.0/drives", Answer(raw="null"), Answer(json={"value": [drive(), trashed()]}))
    assert await client.list_project_spaces() == []
    assert upstream.requests[0].query["$filter"] == ["driveType eq 'project'"]
    spaces = client.list_project_spaces_sync()
    assert [s["trashed"] for s in spaces] == [False, True]
    assert spaces[1]["quota"] is None

    upstream.on(
        "GET", "/graph/v1.0/drives", Answer(501, odata_error("notSupported", "unsupported filter operand: and", "req-501"))
    )
    with pytest.raises(UpstreamUnavailableError) as caught:
        await client.list_drives("driveType eq 'project' and name eq 'x'")
    assert caught.value.status == 501
    assert caught.value.upstream_code == "notSupported"
    assert caught.value.request_id == "req-501"

    upstream.on("GET", DRIVE_PATH, Answer(json=trashed()))
    assert await client.space_quota(ID) is None
    assert client.space_quota_sync(ID) is None


async def test_errors_status_first_code_as_detail(client: OcisClient, upstream: Upstream) -> None:
    upstream.on("GET", DRIVE_PATH, Answer(404, odata_error("itemNotFound", "drive not found", "req-404")))
    with pytest.raises(NotFoundError) as not_found:
        await client.get_drive(ID)
    assert (not_found.value.status, not_found.value.upstream_code) == (404, "itemNotFound")
    assert not_found.value.request_id == "req-404"
    assert not_found.value.service == "ocis"
    upstream.on("GET", DRIVE_PATH, Answer(401, odata_error("notAllowed", "unauthenticated", "req-401")))
    with pytest.raises(UpstreamUnauthorizedError) as unauthorized:
        client.get_drive_sync(ID)
    assert unauthorized.value.upstream_code == "notAllowed"
    upstream.on("GET", DRIVE_PATH, Answer(401))
    with pytest.raises(UpstreamUnauthorizedError) as plain:
        await client.get_drive(ID)
    assert plain.value.upstream_code is None
    assert "tok-ocis-1" not in f"{plain.value} {plain.value.details}"


async def test_quota_disable_restore_and_refused_purge(client: OcisClient, upstream: Upstream) -> None:
    upstream.on("PATCH", DRIVE_PATH, Answer(json=drive()))
    upstream.on("DELETE", DRIVE_PATH, Answer(204))
    upstream.on("GET", DRIVE_PATH, Answer(json=drive()))
    await client.set_space_quota(ID, 2000000000)
    assert json.loads(upstream.requests[0].body) == {"quota": {"total": 2000000000}}
    await client.disable_space(ID)
    assert "purge" not in upstream.requests[1].headers
    client.restore_space_sync(ID)
    assert upstream.requests[2].headers["restore"] == "T"
    assert upstream.requests[2].body == "{}"
    with pytest.raises(InvalidArgumentError) as caught:
        await client.purge_space(ID)
    assert caught.value.field == "id"
    assert not any(r.method == "DELETE" for r in upstream.requests[3:])


async def test_removal_reports_the_step_and_resumes(client: OcisClient, upstream: Upstream) -> None:
    upstream.on("GET", DRIVE_PATH, Answer(json=drive()), Answer(json=trashed()))

    def delete(request: Request) -> Answer:
        if request.headers.get("purge") == "T":
            return Answer(500, odata_error("generalException", "grpc error", "req-500"))
        return Answer(204)

    upstream.on("DELETE", DRIVE_PATH, delete)
    with pytest.raises(UpstreamUnavailableError) as caught:
        await client.remove_project_space(ID)
    error: Any = caught.value
    assert (error.step, error.disabled, error.status) == ("purge", True, 500)
    assert error.upstream_code == "generalException"
    upstream.reset()
    upstream.on("GET", DRIVE_PATH, Answer(json=trashed()))
    upstream.on("DELETE", DRIVE_PATH, Answer(204))
    assert client.remove_project_space_sync(ID) == {"already_gone": False, "disabled": False, "purged": True}
    assert [(r.method, r.headers.get("purge")) for r in upstream.requests] == [("GET", None), ("DELETE", "T")]


async def test_ensure_reuses_a_space_with_the_same_name(client: OcisClient, upstream: Upstream) -> None:
    upstream.on("GET", "/graph/v1.0/drives", Answer(json={"value": [drive(name="other"), drive()]}))
    ensured = await client.ensure_project_space("acme")
    assert (ensured["created"], ensured["restored"], ensured["drive"]["id"]) == (False, False, ID)
    assert not any(r.method == "POST" for r in upstream.requests)


async def test_users(client: OcisClient, upstream: Upstream) -> None:
    user = {"id": "u-1", "displayName": "Alice Martin", "onPremisesSamAccountName": "alice", "accountEnabled": True}
    upstream.on("GET", "/graph/v1.0/users/alice", Answer(json=user))
    upstream.on("POST", "/graph/v1.0/users", Answer(201, user))
    upstream.on("DELETE", "/graph/v1.0/users/u-1", Answer(204))
    assert (await client.get_user("alice"))["on_premises_sam_account_name"] == "alice"
    created = client.create_user_sync("Alice Martin", "alice", mail="alice@acme.example", password="pw-1")
    assert (created["id"], created["account_enabled"]) == ("u-1", True)
    assert json.loads(upstream.requests[1].body) == {
        "displayName": "Alice Martin",
        "onPremisesSamAccountName": "alice",
        "mail": "alice@acme.example",
        "passwordProfile": {"password": "pw-1"},
    }
    await client.delete_user("u-1")
    assert upstream.requests[2].method == "DELETE"
    with pytest.raises(InvalidArgumentError):
        await client.create_user(" ", "bob")


async def test_service_login_with_a_credential_file(
    server: tuple[str, Upstream], upstream: Upstream, tmp_path: Path
) -> None:
    base, _ = server
    file = tmp_path / "ocis.json"
    file.write_text(json.dumps({"refresh_token": "refresh-1", "obtained_at": 0}))

    def grant(request: Request) -> Answer:
        form = parse_qs(request.body)
        if form == {"grant_type": ["refresh_token"], "refresh_token": ["refresh-1"], "client_id": ["ocis-web"]}:
            return Answer(json={"access_token": "access-1", "expires_in": 3600, "refresh_token": "refresh-2"})
        return Answer(400, {"error": "invalid_grant", "error_description": "Token is not valid"})

    def user(request: Request) -> Answer:
        if request.headers.get("authorization") == "Bearer access-1":
            return Answer(json={"displayName": "Alice", "onPremisesSamAccountName": "alice"})
        return Answer(401)

    upstream.on("POST", TOKEN_PATH, grant)
    upstream.on("GET", "/graph/v1.0/users/alice", user)
    login = OcisClient(f"{base}/graph", token_url=f"{base}{TOKEN_PATH}", credentials_file=str(file))
    assert (await login.get_user("alice"))["display_name"] == "Alice"
    assert json.loads(file.read_text())["refresh_token"] == "refresh-2"
    assert "refresh-2" not in repr(login)

    file.write_text(json.dumps({"refresh_token": "refresh-revoked", "obtained_at": 0}))
    stale = OcisClient(base, token_url=f"{base}{TOKEN_PATH}", client_id="ocis-web", credentials_file=str(file))
    with pytest.raises(ServiceLoginRequiredError) as caught:
        stale.get_user_sync("alice")
    assert caught.value.code == "DEZKY_SERVICE_LOGIN_REQUIRED"
    assert "refresh-revoked" not in str(caught.value)

    file.write_text("{not json")
    with pytest.raises(CredentialStoreError):
        await stale.get_user("alice")


def test_construction_and_from_env(server: tuple[str, Upstream], upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    base, _ = server
    with pytest.raises(InvalidArgumentError):
        OcisClient(base)
    with pytest.raises(InvalidArgumentError):
        OcisClient(base, access_token="t", token_url=f"{base}{TOKEN_PATH}", credentials_file="/x")
    with pytest.raises(InvalidArgumentError):
        OcisClient(base, token_url=f"{base}{TOKEN_PATH}")
    with pytest.raises(InvalidArgumentError):
        OcisClient(base, access_token="t", max_retries=11)
    with pytest.raises(dezky.errors.ConfigError):
        OcisClient("ftp://x", access_token="t")
    for name in ["OCIS_API_URL", "OCIS_TOKEN_URL", "OCIS_ACCESS_TOKEN", "OCIS_CREDENTIALS_FILE", "OCIS_CLIENT_ID"]:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(dezky.errors.ConfigError) as caught:
        OcisClient.from_env()
    assert caught.value.field == "OCIS_API_URL"
    monkeypatch.setenv("OCIS_API_URL", base)
    with pytest.raises(dezky.errors.ConfigError) as caught:
        OcisClient.from_env()
    assert caught.value.field == "OCIS_TOKEN_URL"
    monkeypatch.setenv("OCIS_ACCESS_TOKEN", "tok-env")
    upstream.on(
        "GET",
        DRIVE_PATH,
        lambda r: Answer(json=drive()) if r.headers.get("authorization") == "Bearer tok-env" else Answer(401),
    )
    assert OcisClient.from_env().get_drive_sync(ID)["name"] == "acme"
    assert dezky.OcisClient is OcisClient
