"""Bad input to every exported function: wrong types, missing fields, invalid
JSON, out-of-range values. Each must raise a DezkyError with the stable code,
never crash the interpreter or leak a bare TypeError."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import dezky
from conftest import FLAGS

S = dezky.FlagSet.from_flags(FLAGS)
STORE = dezky.FlagStore(S)

INVALID_ARG = (dezky.InvalidArgumentError, "DEZKY_INVALID_ARGUMENT")
TYPE_ARG = (dezky.ArgumentTypeError, "DEZKY_INVALID_ARGUMENT")
BAD_JSON = (dezky.MalformedJsonError, "DEZKY_MALFORMED_JSON")
BAD_FLAG = (dezky.InvalidFlagError, "DEZKY_INVALID_FLAG")
DUPLICATE = (dezky.DuplicateFlagError, "DEZKY_DUPLICATE_FLAG")
BAD_CTX = (dezky.InvalidContextError, "DEZKY_INVALID_CONTEXT")
NOT_FOUND = (dezky.FlagNotFoundError, "DEZKY_FLAG_NOT_FOUND")
SOURCE = (dezky.FlagSourceError, "DEZKY_FLAG_SOURCE")
CONFIG = (dezky.ConfigError, "DEZKY_CONFIG")
TENANT = {"_id": "6650f1c2a9b4e3d2c1b0a998", "slug": "acme", "plan": "business"}

Call = Callable[[], Any]

CASES: list[tuple[str, Call, tuple[type[dezky.DezkyError], str]]] = [
    # FlagSet.from_json
    ("from_json int", lambda: dezky.FlagSet.from_json(42), TYPE_ARG),  # type: ignore[arg-type]
    ("from_json None", lambda: dezky.FlagSet.from_json(None), TYPE_ARG),  # type: ignore[arg-type]
    ("from_json missing", lambda: dezky.FlagSet.from_json(), TYPE_ARG),  # type: ignore[call-arg]
    ("from_json invalid", lambda: dezky.FlagSet.from_json("[{"), BAD_JSON),
    ("from_json empty", lambda: dezky.FlagSet.from_json(""), BAD_JSON),
    ("from_json object", lambda: dezky.FlagSet.from_json('{"key": "a"}'), BAD_JSON),
    ("from_json pct 101", lambda: dezky.FlagSet.from_json('[{"key":"a","state":"rollout","pct":101}]'), BAD_FLAG),
    ("from_json dup", lambda: dezky.FlagSet.from_json('[{"key":"a","state":"on"},{"key":"a","state":"on"}]'), DUPLICATE),
    # FlagSet.from_flags / FlagSet(...)
    ("from_flags dict", lambda: dezky.FlagSet.from_flags({"key": "a"}), TYPE_ARG),  # type: ignore[arg-type]
    ("from_flags str", lambda: dezky.FlagSet.from_flags("[]"), TYPE_ARG),  # type: ignore[arg-type]
    ("from_flags int item", lambda: dezky.FlagSet.from_flags([1]), BAD_FLAG),  # type: ignore[list-item]
    ("from_flags missing key", lambda: dezky.FlagSet.from_flags([{"state": "on"}]), BAD_FLAG),
    ("from_flags missing state", lambda: dezky.FlagSet.from_flags([{"key": "a"}]), BAD_FLAG),
    ("from_flags bad key", lambda: dezky.FlagSet.from_flags([{"key": "Bad-Key", "state": "on"}]), BAD_FLAG),
    ("from_flags pct -1", lambda: dezky.FlagSet.from_flags([{"key": "a", "state": "rollout", "pct": -1}]), BAD_FLAG),
    ("from_flags pct float", lambda: dezky.FlagSet.from_flags([{"key": "a", "state": "rollout", "pct": 2.5}]), BAD_FLAG),
    ("from_flags pct huge", lambda: dezky.FlagSet.from_flags([{"key": "a", "state": "on", "pct": 10**30}]), INVALID_ARG),
    ("from_flags pct nan", lambda: dezky.FlagSet.from_flags([{"key": "a", "state": "on", "pct": float("nan")}]), INVALID_ARG),
    ("from_flags object value", lambda: dezky.FlagSet.from_flags([{"key": "a", "state": object()}]), TYPE_ARG),
    ("from_flags int dict key", lambda: dezky.FlagSet.from_flags([{1: "a"}]), TYPE_ARG),  # type: ignore[dict-item]
    ("from_flags dup", lambda: dezky.FlagSet.from_flags([{"key": "a", "state": "on"}] * 2), DUPLICATE),
    ("FlagSet() int", lambda: dezky.FlagSet(5), TYPE_ARG),  # type: ignore[arg-type]
    # evaluate / evaluate_all (set and store)
    ("evaluate missing key", lambda: S.evaluate(), TYPE_ARG),  # type: ignore[call-arg]
    ("evaluate int key", lambda: S.evaluate(1), TYPE_ARG),  # type: ignore[arg-type]
    ("evaluate ctx list", lambda: S.evaluate("a", [1]), TYPE_ARG),  # type: ignore[arg-type]
    ("evaluate ctx int value", lambda: S.evaluate("a", {"tenantId": 5}), BAD_CTX),  # type: ignore[dict-item]
    ("evaluate ctx unknown", lambda: S.evaluate("a", {"tenantID": "x"}), BAD_CTX),
    ("evaluate ctx int key", lambda: S.evaluate("a", {1: "x"}), TYPE_ARG),  # type: ignore[dict-item]
    ("evaluate bad kwarg", lambda: S.evaluate("a", tenantId="x"), BAD_CTX),
    ("evaluate kwarg int", lambda: S.evaluate("a", plan=3), BAD_CTX),  # type: ignore[arg-type]
    ("evaluate_all ctx int", lambda: S.evaluate_all(7), TYPE_ARG),  # type: ignore[arg-type]
    ("evaluate_all ctx str", lambda: S.evaluate_all("tenant"), TYPE_ARG),  # type: ignore[arg-type]
    ("evaluate_all ctx list value", lambda: S.evaluate_all({"plan": ["a"]}), BAD_CTX),  # type: ignore[dict-item]
    ("evaluate_all too many args", lambda: S.evaluate_all({}, {}), TYPE_ARG),  # type: ignore[call-arg]
    ("evaluate_all unknown kwarg", lambda: S.evaluate_all(tenant="x"), BAD_CTX),
    ("store evaluate int key", lambda: STORE.evaluate(3), TYPE_ARG),  # type: ignore[arg-type]
    ("store evaluate_all bad ctx", lambda: STORE.evaluate_all({"tenantId": 1.5}), BAD_CTX),  # type: ignore[dict-item]
    ("store evaluate_all ctx int", lambda: STORE.evaluate_all(1), TYPE_ARG),  # type: ignore[arg-type]
    # get
    ("get int", lambda: S.get(1), TYPE_ARG),  # type: ignore[arg-type]
    # create / update / kill / delete
    ("create missing actor", lambda: S.create("x", "d"), TYPE_ARG),  # type: ignore[call-arg]
    ("create blank actor", lambda: S.create("x_new", "d", "  "), INVALID_ARG),
    ("create bad key", lambda: S.create("Bad", "d", "a@b.c"), BAD_FLAG),
    ("create existing", lambda: S.create("always_on", "d", "a@b.c"), DUPLICATE),
    ("create at str", lambda: S.create("x_new", "d", "a@b.c", at="yesterday"), TYPE_ARG),  # type: ignore[arg-type]
    ("update unknown flag", lambda: S.update("nope", {"pct": 1}, "a@b.c"), NOT_FOUND),
    ("update changes list", lambda: S.update("never", [], "a@b.c"), TYPE_ARG),  # type: ignore[arg-type]
    ("update pct 200", lambda: S.update("never", {"pct": 200}, "a@b.c"), BAD_FLAG),
    ("update pct str", lambda: S.update("never", {"pct": "5"}, "a@b.c"), BAD_FLAG),
    ("update state bad", lambda: S.update("never", {"state": "enabled"}, "a@b.c"), BAD_FLAG),
    ("update key field", lambda: S.update("never", {"key": "other"}, "a@b.c"), BAD_FLAG),
    ("update scope str", lambda: S.update("never", {"scope": "all"}, "a@b.c"), BAD_FLAG),
    ("update actor int", lambda: S.update("never", {"pct": 1}, 5), TYPE_ARG),  # type: ignore[arg-type]
    ("kill unknown", lambda: S.kill("nope", "a@b.c"), NOT_FOUND),
    ("kill blank actor", lambda: S.kill("never", ""), INVALID_ARG),
    ("kill missing actor", lambda: S.kill("never"), TYPE_ARG),  # type: ignore[call-arg]
    ("delete unknown", lambda: S.delete("nope", "a@b.c"), NOT_FOUND),
    ("delete key None", lambda: S.delete(None, "a@b.c"), TYPE_ARG),  # type: ignore[arg-type]
    # bucket
    ("bucket int", lambda: dezky.bucket(1, "x"), TYPE_ARG),  # type: ignore[arg-type]
    ("bucket missing", lambda: dezky.bucket("x"), TYPE_ARG),  # type: ignore[call-arg]
    # preview_rollout
    ("preview flag str", lambda: dezky.preview_rollout("x", []), TYPE_ARG),  # type: ignore[arg-type]
    ("preview bad flag", lambda: dezky.preview_rollout({"key": "x", "state": "rollout", "pct": 101}, []), BAD_FLAG),
    ("preview contexts dict", lambda: dezky.preview_rollout({"key": "x", "state": "on"}, {}), TYPE_ARG),  # type: ignore[arg-type]
    ("preview context int", lambda: dezky.preview_rollout({"key": "x", "state": "on"}, [1]), TYPE_ARG),  # type: ignore[list-item]
    ("preview context field", lambda: dezky.preview_rollout({"key": "x", "state": "on"}, [{}, {"plan": 1}]), BAD_CTX),  # type: ignore[dict-item]
    ("preview missing", lambda: dezky.preview_rollout({"key": "x", "state": "on"}), TYPE_ARG),  # type: ignore[call-arg]
    # openfeature_reason
    ("openfeature_reason unknown", lambda: dezky.openfeature_reason("maybe"), INVALID_ARG),
    ("openfeature_reason int", lambda: dezky.openfeature_reason(1), TYPE_ARG),  # type: ignore[arg-type]
    # FlagStore
    ("store flags int", lambda: dezky.FlagStore(3), TYPE_ARG),  # type: ignore[arg-type]
    ("store replace dict", lambda: STORE.replace({}), TYPE_ARG),  # type: ignore[arg-type]
    ("store on_change int", lambda: STORE.on_change(5), TYPE_ARG),  # type: ignore[arg-type]
    ("store refresh no source", lambda: STORE.refresh_sync(), INVALID_ARG),
    ("store start no source", lambda: STORE.start(), INVALID_ARG),
    ("from_file missing", lambda: dezky.FlagStore.from_file("/nonexistent/flags.json"), SOURCE),
    ("from_file int", lambda: dezky.FlagStore.from_file(5), TYPE_ARG),  # type: ignore[arg-type]
    ("from_file interval 0", lambda: dezky.FlagStore.from_file("x", interval=0), INVALID_ARG),
    ("from_file interval -1", lambda: dezky.FlagStore.from_file("x", interval=-1), INVALID_ARG),
    ("from_file interval inf", lambda: dezky.FlagStore.from_file("x", interval=float("inf")), INVALID_ARG),
    ("from_file backoff < interval", lambda: dezky.FlagStore.from_file("x", interval=10, max_backoff=1), INVALID_ARG),
    ("from_file interval str", lambda: dezky.FlagStore.from_file("x", interval="1"), TYPE_ARG),  # type: ignore[arg-type]
    ("from_http scheme", lambda: dezky.FlagStore.from_http("file:///etc/passwd"), CONFIG),
    ("from_http int url", lambda: dezky.FlagStore.from_http(5), TYPE_ARG),  # type: ignore[arg-type]
    ("from_http interval 0", lambda: dezky.FlagStore.from_http("http://127.0.0.1:1/flags", interval=0), INVALID_ARG),
    # flag_context
    ("flag_context tenant str", lambda: dezky.flag_context("acme", environment="prod"), TYPE_ARG),  # type: ignore[arg-type]
    ("flag_context no environment", lambda: dezky.flag_context(TENANT), TYPE_ARG),  # type: ignore[call-arg]
    ("flag_context bad id", lambda: dezky.flag_context(dict(TENANT, _id="x"), environment="prod"), INVALID_ARG),
    ("flag_context missing slug", lambda: dezky.flag_context({"_id": TENANT["_id"], "plan": "p"}, environment="prod"), INVALID_ARG),
    ("flag_context foreign partner", lambda: dezky.flag_context(TENANT, {"_id": "6650f1c2a9b4e3d2c1b0aaaa", "slug": "p"}, environment="prod"), INVALID_ARG),
    ("flag_context partner value", lambda: dezky.flag_context(TENANT, {"_id": object(), "slug": "p"}, environment="prod"), TYPE_ARG),
]


@pytest.mark.parametrize(("name", "call", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_input(name: str, call: Call, expected: tuple[type[dezky.DezkyError], str]) -> None:
    cls, code = expected
    with pytest.raises(dezky.DezkyError) as info:
        call()
    assert type(info.value) is cls, f"{name}: {type(info.value).__name__}: {info.value}"
    assert info.value.code == code
    assert str(info.value)


def test_structured_fields() -> None:
    with pytest.raises(dezky.InvalidFlagError) as flag_err:
        dezky.FlagSet.from_json('[{"key": "a", "state": "rollout", "pct": 101}]')
    assert (flag_err.value.flag, flag_err.value.field) == ("a", "pct")
    with pytest.raises(dezky.MalformedJsonError) as json_err:
        dezky.FlagSet.from_json('[\n{"key": }]')
    assert json_err.value.line == 2 and json_err.value.column > 0
    with pytest.raises(dezky.DuplicateFlagError) as dup:
        dezky.FlagSet.from_json('[{"key":"a","state":"on"},{"key":"a","state":"on"}]')
    assert dup.value.flag == "a"
    with pytest.raises(dezky.InvalidContextError) as ctx:
        dezky.preview_rollout({"key": "x", "state": "on"}, [{}, {"plan": 1}])  # type: ignore[dict-item]
    assert ctx.value.field == "[1].plan"
    with pytest.raises(dezky.FlagNotFoundError) as nf:
        S.kill("nope", "a@b.c")
    assert nf.value.flag == "nope"


def test_hierarchy() -> None:
    for cls in (
        dezky.MalformedJsonError,
        dezky.InvalidFlagError,
        dezky.DuplicateFlagError,
        dezky.InvalidContextError,
        dezky.FlagNotFoundError,
        dezky.InvalidArgumentError,
        dezky.FlagSourceError,
        dezky.ArgumentTypeError,
        dezky.ConfigError,
        dezky.TransportError,
        dezky.UpstreamError,
    ):
        assert issubclass(cls, dezky.DezkyError)
        assert dezky.errors.error_class(cls("x").code) is (
            dezky.InvalidArgumentError if cls is dezky.ArgumentTypeError else cls
        )
    assert issubclass(dezky.ConfigError, ValueError)
    assert issubclass(dezky.TransportError, ConnectionError)
    upstream = dezky.UpstreamError("HTTP 503", status=503, url="http://x/flags", service="s", request_id=None)
    assert upstream.code == "DEZKY_UPSTREAM" and upstream.status == 503
    assert issubclass(dezky.ArgumentTypeError, TypeError)
    assert issubclass(dezky.InvalidFlagError, ValueError)
    err = dezky.InvalidFlagError("boom", flag="a", field="pct")
    assert err.code == "DEZKY_INVALID_FLAG" and err.flag == "a" and err.message == "boom"


def test_recursive_structure_is_refused() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(dezky.InvalidArgumentError):
        dezky.FlagSet.from_flags([{"key": "a", "state": "on", "extra": loop}])


def test_source_error_has_no_secret_beyond_the_path(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_text("not json")
    with pytest.raises(dezky.MalformedJsonError):
        dezky.FlagStore.from_file(str(path))
    with pytest.raises(dezky.FlagSourceError) as info:
        dezky.FlagStore.from_file(str(tmp_path / "missing.json"))
    assert info.value.source == str(tmp_path / "missing.json")
