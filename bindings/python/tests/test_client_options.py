"""The options every upstream client shares (timeout, connect_timeout,
max_retries) are read and bounded alike: a bad value is an
InvalidArgumentError naming the option, before any request is made."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from dezky import ConfigError, InvalidArgumentError
from dezky.authentik import AuthentikClient
from dezky.ocis import OcisClient
from dezky.stalwart import StalwartClient
from dezky.stripe import StripeClient

BASE = "http://127.0.0.1:9"

CLIENTS: dict[str, Callable[..., object]] = {
    "authentik": lambda base=BASE, **kw: AuthentikClient(base, "t", **kw),
    "ocis": lambda base=BASE, **kw: OcisClient(base, access_token="t", **kw),
    "stalwart": lambda base=BASE, **kw: StalwartClient(base, api_key="k", **kw),
    "stripe": lambda base=BASE, **kw: StripeClient("sk_test_x", base_url=base, **kw),
}


@pytest.mark.parametrize("make", CLIENTS.values(), ids=CLIENTS.keys())
def test_valid_options_build_a_client(make: Callable[..., object]) -> None:
    make(timeout=1.5, connect_timeout=0.2, max_retries=0)
    make(max_retries=10)


BAD: list[tuple[dict[str, Any], str]] = [
    ({"timeout": 0.0}, "timeout"),
    ({"timeout": -1.0}, "timeout"),
    ({"timeout": math.nan}, "timeout"),
    ({"timeout": 90_000.0}, "timeout"),
    ({"connect_timeout": 0.0}, "connect_timeout"),
    ({"connect_timeout": math.inf}, "connect_timeout"),
    ({"max_retries": 11}, "max_retries"),
]


@pytest.mark.parametrize("make", CLIENTS.values(), ids=CLIENTS.keys())
@pytest.mark.parametrize(("options", "field"), BAD)
def test_bad_options_name_the_option(make: Callable[..., object], options: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        make(**options)
    assert caught.value.code == "DEZKY_INVALID_ARGUMENT"
    assert caught.value.field == field


@pytest.mark.parametrize("make", CLIENTS.values(), ids=CLIENTS.keys())
def test_a_base_url_with_credentials_is_a_configuration_error(make: Callable[..., object]) -> None:
    with pytest.raises(ConfigError) as caught:
        make(base="http://admin:pw@127.0.0.1:9")
    assert "pw" not in str(caught.value)
