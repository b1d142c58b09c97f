"""DezkyProvider through the OpenFeature SDK's own client."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import EventDetails, ProviderEvent
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

import dezky
from conftest import FLAGS, TENANT
from dezky.openfeature import DezkyProvider


@pytest.fixture
def store(flags: dezky.FlagSet) -> Iterator[dezky.FlagStore]:
    store = dezky.FlagStore(flags)
    yield store
    api.shutdown()


def client_for(store: dezky.FlagStore, domain: str = "dezky-test") -> tuple[DezkyProvider, object]:
    provider = DezkyProvider(store)
    api.set_provider(provider, domain)
    return provider, api.get_client(domain)


def test_boolean_details(store: dezky.FlagStore) -> None:
    provider, _ = client_for(store)
    client = api.get_client("dezky-test")
    ctx = EvaluationContext(targeting_key=TENANT, attributes={"plan": "business", "email": "ignored@x"})
    details = client.get_boolean_details("gdpr_export_v2", False, ctx)
    assert details.value is True
    assert details.reason == "SPLIT"
    assert details.variant == "on"
    assert details.error_code is None
    assert details.flag_metadata["dezkyReason"] == "in_rollout"
    assert details.flag_metadata["bucket"] == 12
    out = client.get_boolean_details("new_billing_engine", True, ctx)
    assert (out.value, out.reason, out.variant) == (False, "SPLIT", "off")
    on = client.get_boolean_details("always_on", False)
    assert (on.value, on.reason, on.variant) == (True, "STATIC", "on")
    targeted = client.get_boolean_details("jmap_native_v2", False, ctx)
    assert (targeted.value, targeted.reason) == (True, "TARGETING_MATCH")
    assert client.get_boolean_details("never", True, ctx).reason == "DISABLED"
    assert client.get_boolean_value("gdpr_export_v2", False, ctx) is True
    assert provider.get_metadata().name == "dezky"


def test_flag_not_found(store: dezky.FlagStore) -> None:
    client_for(store)
    client = api.get_client("dezky-test")
    details = client.get_boolean_details("no_such_flag", True, EvaluationContext(targeting_key=TENANT))
    assert details.value is True
    assert details.error_code == ErrorCode.FLAG_NOT_FOUND
    assert details.reason == Reason.ERROR


def test_type_mismatch(store: dezky.FlagStore) -> None:
    client_for(store)
    client = api.get_client("dezky-test")
    for details in (
        client.get_string_details("always_on", "x"),
        client.get_integer_details("always_on", 3),
        client.get_float_details("always_on", 1.5),
        client.get_object_details("always_on", {"a": 1}),
    ):
        assert details.error_code == ErrorCode.TYPE_MISMATCH
        assert details.reason == Reason.ERROR
    assert client.get_string_value("always_on", "fallback") == "fallback"
    assert client.get_string_details("no_such_flag", "x").error_code == ErrorCode.FLAG_NOT_FOUND


def test_invalid_context(store: dezky.FlagStore) -> None:
    client_for(store)
    client = api.get_client("dezky-test")
    details = client.get_boolean_details("always_on", False, EvaluationContext(attributes={"plan": 3}))
    assert details.error_code == ErrorCode.INVALID_CONTEXT
    assert details.value is False


def test_configuration_changed_on_refresh(flag_file: Path) -> None:
    store = dezky.FlagStore.from_file(flag_file)
    provider = DezkyProvider(store)
    events: list[EventDetails] = []
    got = threading.Event()

    def handler(details: EventDetails) -> None:
        events.append(details)
        got.set()

    api.set_provider(provider, "dezky-events")
    client = api.get_client("dezky-events")
    client.add_handler(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, handler)
    try:
        flag_file.write_text('[{"key": "always_on", "state": "off"}]')
        store.refresh_sync()
        assert got.wait(5)
        changed = events[-1].flags_changed or []
        assert "always_on" in changed and "gdpr_export_v2" in changed
        assert client.get_boolean_value("always_on", True) is False
        # replace() is a change too
        got.clear()
        store.replace(dezky.FlagSet.from_flags(FLAGS))
        assert got.wait(5)
    finally:
        client.remove_handler(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, handler)
        api.shutdown()
    # after shutdown the provider no longer listens
    assert provider._subscription is None


def test_provider_rejects_non_store() -> None:
    with pytest.raises(dezky.ArgumentTypeError):
        DezkyProvider({})  # type: ignore[arg-type]
