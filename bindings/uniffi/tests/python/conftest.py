"""Puts the generated bindings on sys.path.

test.sh generates the Python module into build/python/dezky_ffi/ (a package,
since the generated dezky_uniffi.py imports its sibling dezky_flags.py
relatively) next to a copy of libdezky_uniffi.so. DEZKY_UNIFFI_PYTHON overrides
the directory that holds that package.
"""

import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
GENERATED = pathlib.Path(os.environ.get("DEZKY_UNIFFI_PYTHON", HERE.parents[1] / "build" / "python"))
sys.path.insert(0, str(GENERATED))
