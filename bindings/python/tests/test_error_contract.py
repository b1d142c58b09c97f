"""The error contract in Python: every code of the Rust crates has its own
class in dezky.errors, and one error of every code (made up by the crates)
arrives as that class with its details as attributes under the contract names.
The deprecated attribute names of 0.1.0 still read, with a warning."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import dezky
from dezky import _dezky
from dezky.errors import DezkyError, error_class

CODES = _dezky.ERROR_CODES
EXAMPLES = _dezky._error_examples()


def by_code(code: str) -> Any:
    return next(e for e in reversed(EXAMPLES) if e.code == code)


def test_the_codes_come_from_the_crates() -> None:
    assert len(CODES) >= 30
    assert len(set(CODES)) == len(CODES)
    assert all(code.startswith("DEZKY_") for code in CODES)


@pytest.mark.parametrize("code", CODES)
def test_every_code_has_its_own_class(code: str) -> None:
    cls = error_class(code)
    assert cls is not DezkyError, f"{code} is not in the table of dezky.errors"
    assert cls.default_code == code
    assert cls.__name__ in dezky.errors.__all__
    assert getattr(dezky, cls.__name__) is cls


@pytest.mark.parametrize("code", CODES)
def test_an_example_of_every_code_is_raised_as_its_class(code: str) -> None:
    matching = [e for e in EXAMPLES if e.code == code]
    assert matching, f"no example of {code}"
    for error in matching:
        assert type(error) is error_class(code)
        assert error.message == str(error) and error.message
        assert isinstance(error, Exception)


def test_details_are_attributes_under_the_contract_names() -> None:
    for error in EXAMPLES:
        for name, value in error.details.items():
            assert name == name.lower(), name
            assert getattr(error, name) == value
    assert by_code("DEZKY_INVALID_FLAG").flag == "a"
    assert by_code("DEZKY_INVALID_FLAG").field == "pct"
    assert by_code("DEZKY_DUPLICATE_FLAG").flag == "a"
    assert by_code("DEZKY_FLAG_NOT_FOUND").flag == "a"
    source = by_code("DEZKY_FLAG_SOURCE")
    assert (source.source, source.cause_code, source.status) == (
        "https://cp.example/flags",
        "DEZKY_UPSTREAM_UNAVAILABLE",
        502,
    )
    assert by_code("DEZKY_CONFIG").field == "AUTHENTIK_API_URL"
    assert by_code("DEZKY_TIMEOUT").timeout_ms == 1500
    assert by_code("DEZKY_CREDENTIAL_STORE").source == "/var/lib/dezky/ocis.json"
    assert by_code("DEZKY_ZONE_PARSE").line == 3
    assert by_code("DEZKY_TOKEN_EXPIRED").expired_at == 1_700_000_000
    assert by_code("DEZKY_TOKEN_UNKNOWN_KEY").kid == '"k1"'
    upstream = by_code("DEZKY_PAYMENT_FAILED")
    assert isinstance(upstream, dezky.PaymentFailedError)
    assert (upstream.service, upstream.method, upstream.status) == ("stripe", "POST", 400)
    assert upstream.upstream_code == "card_declined"
    assert upstream.request_id == "req_123"
    assert upstream.retry_after_ms == 2000
    assert upstream.fields == {"amount": ["too small"]}
    assert upstream.linked == ["g-1"]
    assert upstream.upstream_details == {"decline_code": "insufficient_funds"}
    arguments = [e for e in EXAMPLES if isinstance(e, dezky.InvalidArgumentError)]
    assert any(e.argument == "tenant" and e.field == "tenant.slug" for e in arguments)


def test_absent_details_are_none() -> None:
    error = dezky.UpstreamError("boom", code="DEZKY_UPSTREAM", request_id=None)
    assert error.request_id is None


def test_deprecated_names_still_read() -> None:
    cases = [
        (by_code("DEZKY_DUPLICATE_FLAG"), "key", "a"),
        (by_code("DEZKY_FLAG_NOT_FOUND"), "key", "a"),
        (by_code("DEZKY_TRANSPORT"), "url", "https://auth.example/api/v3/core/groups/"),
        (by_code("DEZKY_TIMEOUT"), "url", "https://auth.example/api/v3/core/groups/"),
        (by_code("DEZKY_UPSTREAM_DECODE"), "url", "https://auth.example/api/v3/core/groups/"),
        (by_code("DEZKY_NOT_FOUND"), "url", "https://api.stripe.com/v1/charges"),
        (by_code("DEZKY_CREDENTIAL_STORE"), "location", "/var/lib/dezky/ocis.json"),
    ]
    for error, old, value in cases:
        with pytest.warns(DeprecationWarning, match=f"use .{'flag' if old == 'key' else 'source'}"):
            assert getattr(error, old) == value
    with pytest.warns(DeprecationWarning):
        assert by_code("DEZKY_TIMEOUT").timeout == pytest.approx(1.5)
    with pytest.warns(DeprecationWarning):
        assert by_code("DEZKY_RATE_LIMITED").retry_after == pytest.approx(2.0)
    argument = next(e for e in EXAMPLES if e.code == "DEZKY_INVALID_ARGUMENT")
    assert isinstance(argument, dezky.InvalidArgumentError)
    with pytest.warns(DeprecationWarning):
        assert argument.name == argument.argument


def test_the_new_names_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for error in EXAMPLES:
            for name in error.details:
                getattr(error, name)


def test_old_keyword_arguments_set_the_new_attributes() -> None:
    error = dezky.FlagNotFoundError("gone", key="a")
    assert error.flag == "a"
    timeout = dezky.UpstreamTimeoutError("slow", timeout=0.25)
    assert timeout.timeout_ms == 250
