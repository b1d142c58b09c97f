"""The error contract through the UniFFI Python output: every code the bindings
can throw (error_codes(), from the crates' own lists) arrives as a DezkyError
with that code, its message, its variant and its details by their contract
names; the deprecated fields carry the same values as their new names."""

import pytest

from dezky_ffi.dezky_uniffi import DezkyError, error_codes, throw_error_example

CODES = error_codes()

# The one table of variants; every other code is DezkyError.Other.
VARIANTS = {
    "DEZKY_MALFORMED_JSON": DezkyError.MalformedJson,
    "DEZKY_INVALID_FLAG": DezkyError.InvalidFlag,
    "DEZKY_DUPLICATE_FLAG": DezkyError.DuplicateKey,
    "DEZKY_INVALID_CONTEXT": DezkyError.InvalidContext,
    "DEZKY_FLAG_NOT_FOUND": DezkyError.FlagNotFound,
    "DEZKY_INVALID_ARGUMENT": DezkyError.InvalidArgument,
    "DEZKY_FLAG_SOURCE": DezkyError.Source,
    "DEZKY_FORBIDDEN": DezkyError.Forbidden,
    "DEZKY_ILLEGAL_TRANSITION": DezkyError.IllegalTransition,
    "DEZKY_VERSION_CONFLICT": DezkyError.VersionConflict,
    "DEZKY_TENANT_INACTIVE": DezkyError.TenantInactive,
}


def example(code, index=0):
    with pytest.raises(DezkyError) as info:
        throw_error_example(code, index)
    return info.value


def test_the_codes_come_from_the_crates():
    assert len(CODES) == len(set(CODES))
    for code in ["DEZKY_INVALID_FLAG", "DEZKY_FLAG_SOURCE", "DEZKY_FORBIDDEN", "DEZKY_TOKEN_EXPIRED", "DEZKY_ZONE_PARSE"]:
        assert code in CODES
    assert set(VARIANTS) <= set(CODES)


@pytest.mark.parametrize("code", CODES)
def test_every_code_is_thrown_with_its_code_message_and_details(code):
    error = example(code)
    assert error.code() == code
    assert error.detail, f"{code} arrived without its message"
    assert isinstance(error, VARIANTS.get(code, DezkyError.Other)), type(error)
    assert error.details, f"{code} arrived without details"
    for name in error.details:
        assert name == name.lower() and " " not in name, name


def test_details_hold_the_contract_values():
    malformed = example("DEZKY_MALFORMED_JSON")
    assert (malformed.line, malformed.column) == (1, 2)
    assert malformed.details["line"].value == 1
    flag = example("DEZKY_INVALID_FLAG")
    assert (flag.flag, flag.field) == ("a", "pct")
    assert flag.details["flag"].value == "a" and flag.details["reason"].value == flag.reason
    source = example("DEZKY_FLAG_SOURCE")
    assert source.source == source.source_name == "https://cp.example/flags"
    assert source.details["status"].value == 502
    assert source.details["cause_code"].value == "DEZKY_UPSTREAM_UNAVAILABLE"
    illegal = example("DEZKY_ILLEGAL_TRANSITION")
    assert (illegal.from_status, illegal.action) == ("deleted", "resume")
    conflict = example("DEZKY_VERSION_CONFLICT")
    assert (conflict.tenant, conflict.expected_version) == ("6650f1c2a9b4e3d2c1b0a998", 3)
    assert conflict.details["expected_version"].value == 3
    inactive = example("DEZKY_TENANT_INACTIVE")
    assert (inactive.tenant, inactive.slug, inactive.from_status) == ("6650f1c2a9b4e3d2c1b0a998", "acme", "suspended")
    expired = example("DEZKY_TOKEN_EXPIRED")
    assert expired.error_code == "DEZKY_TOKEN_EXPIRED"
    assert expired.details["expired_at"].value == 1_700_000_000


def test_deprecated_fields_repeat_the_new_ones():
    for code in ["DEZKY_DUPLICATE_FLAG", "DEZKY_FLAG_NOT_FOUND"]:
        error = example(code)
        assert error.key == error.flag == "a"
    argument = example("DEZKY_INVALID_ARGUMENT", 0)
    assert isinstance(argument, DezkyError.InvalidArgument)
    assert argument.name == argument.argument == "actor"
    assert "field" not in argument.details


def test_an_invalid_field_is_its_own_variant():
    invalid = example("DEZKY_INVALID_ARGUMENT", 1)
    assert isinstance(invalid, DezkyError.Invalid)
    assert (invalid.argument, invalid.field) == ("tenant", "tenant.slug")
    assert invalid.details["field"].value == "tenant.slug"
    assert throw_error_example("DEZKY_INVALID_ARGUMENT", 2) is None
    assert throw_error_example("DEZKY_NO_SUCH_CODE", 0) is None
