"""The examples in the package's docstrings run."""

from __future__ import annotations

import doctest

import dezky
import dezky.audit
import dezky.billing
import dezky.branding
import dezky.flags
import dezky.members
import dezky.policy
import dezky.provisioning
import dezky.tenant


def test_docstring_examples() -> None:
    for module in (
        dezky,
        dezky.flags,
        dezky.tenant,
        dezky.provisioning,
        dezky.policy,
        dezky.branding,
        dezky.billing,
        dezky.audit,
        dezky.members,
    ):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__
    assert doctest.testmod(dezky).attempted > 0
