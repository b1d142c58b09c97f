"""Token verification against a local OpenID provider (http.server in a thread),
the bad-token corpus with its exception classes, configuration and argument
errors, and the authorization rules table."""

from __future__ import annotations

import asyncio
import base64
import doctest
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import dezky
import dezky.auth
from auth_support import RSA_A, RSA_B, Provider, claims, now, provider_fixture, sign, start_provider
from dezky import Actor, TokenVerifier


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    yield from provider_fixture()


@pytest.fixture(scope="module")
def verifier(provider: Provider) -> TokenVerifier:
    return TokenVerifier(
        [provider.issuer("dezky-portal"), provider.issuer("dezky-operator")],
        ["dezky-portal", "dezky-operator"],
    )


async def test_a_valid_token_gives_its_actor(provider: Provider, verifier: TokenVerifier) -> None:
    issuer = provider.issuer("dezky-portal")
    actor = await verifier.verify_token(sign(RSA_A, claims(issuer)))
    assert actor == Actor(
        subject="sub-alice",
        surface="portal",
        email="alice@example.com",
        name="Alice",
        groups=("dezky-users",),
        issuer=issuer,
        audience="dezky-portal",
        expires_at=actor.expires_at,
    )
    assert actor.expires_at > now()


def test_the_sync_twin_and_the_operator_surface(provider: Provider, verifier: TokenVerifier) -> None:
    issuer = provider.issuer("dezky-operator")
    token = sign(RSA_A, claims(issuer, aud="dezky-operator", name=None, preferred_username="bob", email=None))
    actor = verifier.verify_token_sync(token)
    assert (actor.surface, actor.name, actor.email) == ("operator", "bob", None)


async def test_keys_are_fetched_once() -> None:
    p = start_provider()
    try:
        v = TokenVerifier(p.issuer("dezky-portal"), "dezky-portal")
        token = sign(RSA_A, claims(p.issuer("dezky-portal")))
        actors = await asyncio.gather(*(v.verify_token(token) for _ in range(20)))
        assert len(actors) == 20
        for _ in range(30):
            v.verify_token_sync(token)
        assert (p.discoveries, p.jwks_reads) == (1, 1)
    finally:
        p.close()


def test_a_rotated_key_is_picked_up() -> None:
    p = start_provider([RSA_A])
    try:
        issuer = p.issuer("dezky-portal")
        v = TokenVerifier(issuer, "dezky-portal", min_refresh_interval_seconds=0)
        v.verify_token_sync(sign(RSA_A, claims(issuer)))
        with pytest.raises(dezky.TokenUnknownKeyError) as info:
            v.verify_token_sync(sign(RSA_B, claims(issuer)))
        assert info.value.issuer == issuer
        p.keys = [RSA_A, RSA_B]
        assert v.verify_token_sync(sign(RSA_B, claims(issuer))).subject == "sub-alice"
    finally:
        p.close()


def _b64(value: Any) -> str:
    raw = value.encode() if isinstance(value, str) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _alg_none(issuer: str) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims(issuer))}."


def _tampered_signature(issuer: str) -> str:
    t = sign(RSA_A, claims(issuer))
    return t[:-2] + ("B" if t[-2] == "A" else "A") + t[-1]


def _tampered_payload(issuer: str) -> str:
    h, _, s = sign(RSA_A, claims(issuer)).split(".")
    return f"{h}.{_b64(claims(issuer, sub='sub-mallory'))}.{s}"


BAD: list[tuple[str, Callable[[str], str], type[dezky.DezkyError], str]] = [
    ("alg none", _alg_none, dezky.TokenBadSignatureError, "DEZKY_TOKEN_BAD_SIGNATURE"),
    ("HS256", lambda i: sign(RSA_A, claims(i), alg="HS256"), dezky.TokenBadSignatureError, "DEZKY_TOKEN_BAD_SIGNATURE"),
    ("expired", lambda i: sign(RSA_A, claims(i, exp=now() - 120)), dezky.TokenExpiredError, "DEZKY_TOKEN_EXPIRED"),
    ("not yet valid", lambda i: sign(RSA_A, claims(i, nbf=now() + 600)), dezky.TokenNotYetValidError, "DEZKY_TOKEN_NOT_YET_VALID"),
    ("wrong audience", lambda i: sign(RSA_A, claims(i, aud="someone-else")), dezky.TokenWrongAudienceError, "DEZKY_TOKEN_WRONG_AUDIENCE"),
    ("other issuer's audience", lambda i: sign(RSA_A, claims(i, aud="dezky-operator")), dezky.TokenWrongAudienceError, "DEZKY_TOKEN_WRONG_AUDIENCE"),
    ("unknown issuer", lambda i: sign(RSA_A, claims("https://evil.example/application/o/dezky-portal/")), dezky.TokenUnknownIssuerError, "DEZKY_TOKEN_UNKNOWN_ISSUER"),
    ("issuer without slash", lambda i: sign(RSA_A, claims(i[:-1])), dezky.TokenUnknownIssuerError, "DEZKY_TOKEN_UNKNOWN_ISSUER"),
    ("tampered signature", _tampered_signature, dezky.TokenBadSignatureError, "DEZKY_TOKEN_BAD_SIGNATURE"),
    ("tampered payload", _tampered_payload, dezky.TokenBadSignatureError, "DEZKY_TOKEN_BAD_SIGNATURE"),
    ("foreign key under a known kid", lambda i: sign(RSA_B, claims(i), kid="rsa-a"), dezky.TokenBadSignatureError, "DEZKY_TOKEN_BAD_SIGNATURE"),
    ("unknown kid", lambda i: sign(RSA_A, claims(i), kid="nope"), dezky.TokenUnknownKeyError, "DEZKY_TOKEN_UNKNOWN_KEY"),
    ("empty", lambda i: "", dezky.TokenMalformedError, "DEZKY_TOKEN_MALFORMED"),
    ("two parts", lambda i: "abc.def", dezky.TokenMalformedError, "DEZKY_TOKEN_MALFORMED"),
    ("five parts (JWE)", lambda i: "a.b.c.d.e", dezky.TokenMalformedError, "DEZKY_TOKEN_MALFORMED"),
    ("Bearer prefix", lambda i: "Bearer " + sign(RSA_A, claims(i)), dezky.TokenMalformedError, "DEZKY_TOKEN_MALFORMED"),
    ("no exp", lambda i: sign(RSA_A, claims(i, exp=None)), dezky.TokenMalformedError, "DEZKY_TOKEN_MALFORMED"),
    ("groups not a list", lambda i: sign(RSA_A, claims(i, groups="admins")), dezky.TokenMalformedError, "DEZKY_TOKEN_MALFORMED"),
    ("too long", lambda i: "a" * 20000, dezky.TokenMalformedError, "DEZKY_TOKEN_MALFORMED"),
]


@pytest.mark.parametrize(("make", "cls", "code"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
async def test_bad_tokens(
    provider: Provider, verifier: TokenVerifier, make: Callable[[str], str], cls: type[dezky.DezkyError], code: str
) -> None:
    token = make(provider.issuer("dezky-portal"))
    with pytest.raises(cls) as info:
        await verifier.verify_token(token)
    assert info.value.code == code
    assert isinstance(info.value, dezky.TokenError)
    assert isinstance(info.value, dezky.DezkyError)
    for part in token.split("."):
        if len(part) > 16:
            assert part not in str(info.value)
    with pytest.raises(cls):
        verifier.verify_token_sync(token)
    if code == "DEZKY_TOKEN_EXPIRED":
        assert isinstance(info.value.expired_at, int)  # type: ignore[attr-defined]


def test_an_unreachable_issuer_is_keys_unavailable() -> None:
    p = start_provider()
    issuer = p.issuer("dezky-portal")
    p.close()
    v = TokenVerifier(issuer, "dezky-portal")
    with pytest.raises(dezky.KeysUnavailableError) as info:
        v.verify_token_sync(sign(RSA_A, claims(issuer)))
    assert info.value.code == "DEZKY_AUTH_KEYS_UNAVAILABLE"
    assert info.value.issuer == issuer
    assert not isinstance(info.value, dezky.TokenError)


def test_a_provider_without_keys_is_a_config_error() -> None:
    p = start_provider([])
    try:
        issuer = p.issuer("dezky-portal")
        with pytest.raises(dezky.AuthConfigError):
            TokenVerifier(issuer, "dezky-portal").verify_token_sync(sign(RSA_A, claims(issuer)))
    finally:
        p.close()


@pytest.mark.parametrize("bad", [None, 42, b"a.b.c", ["a.b.c"]])
async def test_token_of_the_wrong_type(verifier: TokenVerifier, bad: Any) -> None:
    with pytest.raises(dezky.ArgumentTypeError) as info:
        await verifier.verify_token(bad)
    assert info.value.code == "DEZKY_INVALID_ARGUMENT"
    assert info.value.argument == "token"
    with pytest.raises(dezky.ArgumentTypeError):
        verifier.verify_token_sync(bad)


def test_verify_token_needs_a_running_loop(verifier: TokenVerifier, provider: Provider) -> None:
    coro = verifier.verify_token(sign(RSA_A, claims(provider.issuer("dezky-portal"))))
    with pytest.raises(RuntimeError):
        coro.send(None)
    coro.close()


def test_configuration() -> None:
    v = TokenVerifier("https://auth.example/", "dezky-portal, dezky-operator")
    assert v.clients() == [
        {"issuer": "https://auth.example/", "audience": "dezky-portal", "surface": "portal"},
        {"issuer": "https://auth.example/", "audience": "dezky-operator", "surface": "operator"},
    ]
    explicit = TokenVerifier(
        clients=[{"issuer": "https://auth.example/app/", "audience": "my-client", "surface": "operator"}],
        leeway_seconds=10,
        key_ttl_seconds=60,
    )
    assert explicit.clients()[0]["audience"] == "my-client"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"issuers": ["https://a.example/", "https://b.example/"], "audiences": ["dezky-portal", "dezky-operator", "x"]},
        {"issuers": "https://a.example/", "audiences": "some-client"},
        {"issuers": "auth.example", "audiences": "dezky-portal"},
        {"issuers": "", "audiences": "dezky-portal"},
        {"clients": []},
        {"issuers": "https://a.example/", "audiences": "dezky-portal", "leeway_seconds": 3600},
    ],
)
def test_configuration_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(dezky.AuthConfigError) as info:
        TokenVerifier(**kwargs)
    assert info.value.code == "DEZKY_AUTH_CONFIG"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "issuers"),
        ({"issuers": "https://a.example/"}, "audiences"),
        ({"issuers": 42, "audiences": "dezky-portal"}, "issuers"),
        ({"issuers": ["https://a.example/", 7], "audiences": "dezky-portal"}, "issuers[1]"),
        ({"issuers": "https://a.example/", "audiences": "dezky-portal", "leeway_seconds": -1}, "leeway_seconds"),
        ({"clients": "x"}, "clients"),
        ({"clients": [{"issuer": "https://a.example/", "audience": "c", "surface": "admin"}]}, "clients[0].surface"),
        ({"clients": [{"issuer": "https://a.example/", "audience": "c"}]}, "clients[0].surface"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(dezky.InvalidArgumentError) as info:
        TokenVerifier(**kwargs)
    assert info.value.code == "DEZKY_INVALID_ARGUMENT"
    assert field in (getattr(info.value, "field", None), getattr(info.value, "argument", None))


def test_leeway_of_the_wrong_type() -> None:
    with pytest.raises(dezky.ArgumentTypeError):
        TokenVerifier("https://a.example/", "dezky-portal", leeway_seconds="soon")  # type: ignore[arg-type]


def test_from_env(provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTHENTIK_ISSUER", raising=False)
    monkeypatch.delenv("AUTHENTIK_AUDIENCE", raising=False)
    with pytest.raises(dezky.AuthConfigError, match="AUTHENTIK_ISSUER"):
        TokenVerifier.from_env()
    portal, operator = provider.issuer("dezky-portal"), provider.issuer("dezky-operator")
    monkeypatch.setenv("AUTHENTIK_ISSUER", f"{portal}, {operator}")
    monkeypatch.setenv("AUTHENTIK_AUDIENCE", "dezky-portal,dezky-operator")
    v = TokenVerifier.from_env()
    assert len(v.clients()) == 2
    assert v.verify_token_sync(sign(RSA_A, claims(operator, aud="dezky-operator"))).surface == "operator"
    monkeypatch.setenv("AUTHENTIK_AUDIENCE", "dezky-portal,dezky-operator,extra")
    with pytest.raises(dezky.AuthConfigError):
        TokenVerifier.from_env()


# ---------------------------------------------------------------------------
# Authorization

ACME = "6650f1c2a9b4e3d2c1b0a998"
GLOBEX = "6650f1c2a9b4e3d2c1b0a999"
NORDIC = "6650f1c2a9b4e3d2c1b0aaaa"
OTHER = "6650f1c2a9b4e3d2c1b0abbb"


class ObjectId:
    """What the rules read of a bson ObjectId: its class name and str()."""

    def __init__(self, hex: str) -> None:
        self.hex = hex

    def __str__(self) -> str:
        return self.hex


def user(uid: str, **fields: Any) -> dict[str, Any]:
    return {"_id": uid, "authentikSubjectId": f"sub-{uid}", **fields}


acme = {"_id": ACME, "slug": "acme", "plan": "business", "partnerId": NORDIC}
globex = {"_id": GLOBEX, "slug": "globex", "plan": "starter"}
nordic = {"_id": NORDIC, "slug": "nordic-it"}
other_partner = {"_id": OTHER, "slug": "other"}

admin = user("u-admin", platformAdmin=True)
admin_off = user("u-admin-off", platformAdmin=True, active=False)
member = user("u-member", tenantIds=[ACME])
tadmin = user("u-tadmin", tenantIds=[ACME], tenantRoles={ACME: "admin"})
tadmin2 = user("u-tadmin2", tenantIds=[ACME, GLOBEX], tenantRoles=[{"tenantId": ACME, "role": "admin"}])
role_only = user("u-role", tenantIds=[ACME], role="admin")
roles_no_member = user("u-nomember", tenantIds=[], tenantRoles={ACME: "admin"})
staff = user("u-staff", partnerId=NORDIC)
staff_other = user("u-staff2", partnerId=OTHER)
nobody = user("u-nobody")
member2 = user("u-member2", tenantIds=[ACME])
globex_user = user("u-globex", tenantIds=[GLOBEX])
admin_in_acme = user("u-admin-acme", tenantIds=[ACME], platformAdmin=True)
driver_admin = {
    "_id": ObjectId("6650f1c2a9b4e3d2c1b0c001"),
    "authentikSubjectId": "sub-driver",
    "tenantIds": [ObjectId(ACME)],
    "tenantRoles": [{"tenantId": ObjectId(ACME), "role": "admin"}],
    "partnerId": None,
    "createdAt": object(),  # a field the rules do not read may hold anything
}


def a(u: dict[str, Any], surface: str = "portal") -> Actor:
    return Actor(subject=u["authentikSubjectId"], surface=surface)  # type: ignore[arg-type]


def op(u: dict[str, Any]) -> Actor:
    return a(u, "operator")


A = dezky.auth
ALLOW, DENY = True, False
ROWS: list[tuple[str, Callable[[], None], bool]] = [
    ("operator: admin via operator app", lambda: A.require_operator(op(admin), admin), ALLOW),
    ("operator: admin via portal", lambda: A.require_operator(a(admin), admin), DENY),
    ("operator: non-admin", lambda: A.require_operator(op(member), member), DENY),
    ("operator: deactivated admin", lambda: A.require_operator(op(admin_off), admin_off), DENY),
    ("operator: someone else's record", lambda: A.require_operator(op(member), admin), DENY),
    ("platform admin: via portal", lambda: A.require_platform_admin(a(admin), admin), ALLOW),
    ("platform admin: member", lambda: A.require_platform_admin(a(member), member), DENY),
    ("member: of acme", lambda: A.require_tenant_member(a(member), member, acme), ALLOW),
    ("member: of globex", lambda: A.require_tenant_member(a(member), member, globex), DENY),
    ("member: platform admin anywhere", lambda: A.require_tenant_member(a(admin), admin, globex), ALLOW),
    ("member: partner staff", lambda: A.require_tenant_member(a(staff), staff, acme), DENY),
    ("member: roles without membership", lambda: A.require_tenant_member(a(roles_no_member), roles_no_member, acme), DENY),
    ("member: driver document", lambda: A.require_tenant_member(a(driver_admin), driver_admin, acme), ALLOW),
    ("member: actor as a dict", lambda: A.require_tenant_member({"subject": "sub-u-member", "surface": "portal"}, member, acme), ALLOW),
    ("tenant admin: acme admin", lambda: A.require_tenant_admin(a(tadmin), tadmin, acme), ALLOW),
    ("tenant admin: list-shaped roles", lambda: A.require_tenant_admin(a(tadmin2), tadmin2, acme), ALLOW),
    ("tenant admin: member only in globex", lambda: A.require_tenant_admin(a(tadmin2), tadmin2, globex), DENY),
    ("tenant admin: plain member", lambda: A.require_tenant_admin(a(member), member, acme), DENY),
    ("tenant admin: legacy role", lambda: A.require_tenant_admin(a(role_only), role_only, acme), DENY),
    ("tenant admin: platform admin", lambda: A.require_tenant_admin(a(admin), admin, acme), ALLOW),
    ("tenant admin: driver document", lambda: A.require_tenant_admin(a(driver_admin), driver_admin, {**acme, "_id": ObjectId(ACME)}), ALLOW),
    ("tenant admin: {$oid} tenant", lambda: A.require_tenant_admin(a(tadmin), tadmin, {**acme, "_id": {"$oid": ACME}}), ALLOW),
    ("partner: own partner", lambda: A.require_partner_staff(a(staff), staff, nordic), ALLOW),
    ("partner: other partner", lambda: A.require_partner_staff(a(staff), staff, other_partner), DENY),
    ("partner: platform admin", lambda: A.require_partner_staff(a(admin), admin, nordic), DENY),
    ("partner tenant: own customer", lambda: A.require_partner_tenant(a(staff), staff, nordic, acme), ALLOW),
    ("partner tenant: no partner", lambda: A.require_partner_tenant(a(staff), staff, nordic, globex), DENY),
    ("partner tenant: other staff", lambda: A.require_partner_tenant(a(staff_other), staff_other, nordic, acme), DENY),
    ("suspend: a member", lambda: A.require_can_suspend(a(tadmin), tadmin, acme, member), ALLOW),
    ("suspend: self", lambda: A.require_can_suspend(a(tadmin), tadmin, acme, tadmin), DENY),
    ("suspend: by a member", lambda: A.require_can_suspend(a(member), member, acme, member2), DENY),
    ("suspend: outside the tenant", lambda: A.require_can_suspend(a(tadmin), tadmin, acme, globex_user), DENY),
    ("suspend: a platform admin", lambda: A.require_can_suspend(a(tadmin), tadmin, acme, admin_in_acme), DENY),
    ("suspend: platform admin acts", lambda: A.require_can_suspend(a(admin), admin, acme, member), ALLOW),
    ("force-logout: a member", lambda: A.require_can_force_logout(a(tadmin), tadmin, acme, member), ALLOW),
    ("force-logout: self by subject", lambda: A.require_can_force_logout(a(tadmin), tadmin, acme, {**member, "authentikSubjectId": "sub-u-tadmin"}), DENY),
    ("force-logout: other tenant", lambda: A.require_can_force_logout(a(tadmin), tadmin, globex, globex_user), DENY),
    ("own record: active", lambda: A.require_own_active_record(a(member), member), ALLOW),
    ("own record: deactivated", lambda: A.require_own_active_record(a(admin_off), admin_off), DENY),
]


def test_the_rules_table() -> None:
    wrong = []
    for name, run, expected in ROWS:
        try:
            run()
            got = ALLOW
        except dezky.ForbiddenError as e:
            assert e.code == "DEZKY_FORBIDDEN"
            assert isinstance(e, PermissionError)
            got = DENY
        if got != expected:
            wrong.append(f"{name}: got allow={got}")
    assert wrong == []


FUNCTIONS: list[tuple[Callable[..., None], list[Any], list[str]]] = [
    (A.require_own_active_record, [a(member), member], ["actor", "user"]),
    (A.require_operator, [op(admin), admin], ["actor", "user"]),
    (A.require_platform_admin, [a(admin), admin], ["actor", "user"]),
    (A.require_tenant_member, [a(member), member, acme], ["actor", "user", "tenant"]),
    (A.require_tenant_admin, [a(tadmin), tadmin, acme], ["actor", "user", "tenant"]),
    (A.require_partner_staff, [a(staff), staff, nordic], ["actor", "user", "partner"]),
    (A.require_partner_tenant, [a(staff), staff, nordic, acme], ["actor", "user", "partner", "tenant"]),
    (A.require_can_suspend, [a(tadmin), tadmin, acme, member], ["actor", "user", "tenant", "target"]),
    (A.require_can_force_logout, [a(tadmin), tadmin, acme, member], ["actor", "user", "tenant", "target"]),
]


@pytest.mark.parametrize(("fn", "good", "names"), FUNCTIONS, ids=[f[0].__name__ for f in FUNCTIONS])
def test_bad_input_of_every_function(fn: Callable[..., None], good: list[Any], names: list[str]) -> None:
    fn(*good)
    bads: tuple[object, ...] = (None, 42, "x", [], 1.5)
    for i, name in enumerate(names):
        for bad in bads:
            args = list(good)
            args[i] = bad
            with pytest.raises(dezky.InvalidArgumentError) as info:
                fn(*args)
            assert info.value.code == "DEZKY_INVALID_ARGUMENT"
            assert name in (getattr(info.value, "argument", None), getattr(info.value, "field", "").split(".")[0])


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: A.require_tenant_member({"surface": "portal"}, member, acme), "actor.subject"),
        (lambda: A.require_tenant_member({"subject": "", "surface": "portal"}, member, acme), "actor.subject"),
        (lambda: A.require_tenant_member({"subject": "s", "surface": "partner"}, member, acme), "actor.surface"),
        (lambda: A.require_tenant_member(a(member), {"authentikSubjectId": "s"}, acme), "user.id"),
        (lambda: A.require_tenant_member(a(member), {"_id": "a", "id": "b", "authentikSubjectId": "s"}, acme), "user.id"),
        (lambda: A.require_tenant_member(a(member), {"_id": "u"}, acme), "user.authentikSubjectId"),
        (lambda: A.require_tenant_member(a(member), {**member, "tenantIds": "acme"}, acme), "user"),
        (lambda: A.require_tenant_member(a(member), {**member, "platformAdmin": "yes"}, acme), "user"),
        (lambda: A.require_tenant_member(a(member), member, {"slug": "acme"}), "tenant.id"),
        (lambda: A.require_tenant_member(a(member), member, {**acme, "slug": 5}), "tenant.slug"),
        (lambda: A.require_partner_staff(a(staff), staff, {"slug": "nordic-it"}), "partner.id"),
        (lambda: A.require_can_suspend(a(tadmin), tadmin, acme, {"_id": "x"}), "target.authentikSubjectId"),
    ],
)
def test_bad_fields_name_the_field(call: Callable[[], None], field: str) -> None:
    with pytest.raises(dezky.InvalidArgumentError) as info:
        call()
    assert getattr(info.value, "field", None) == field or getattr(info.value, "argument", None) == field


def test_the_module_docstring_example_runs() -> None:
    assert doctest.testmod(dezky.auth).failed == 0
