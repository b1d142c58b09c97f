"""The examples in the package's docstrings run."""

from __future__ import annotations

import doctest

import dezky
import dezky.flags
import dezky.provisioning
import dezky.tenant


def test_docstring_examples() -> None:
    for module in (dezky, dezky.flags, dezky.tenant, dezky.provisioning):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__
    assert doctest.testmod(dezky).attempted > 0
