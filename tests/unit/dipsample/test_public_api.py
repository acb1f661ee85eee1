"""The package's public API is curated: complete, sorted, and every name importable."""

from __future__ import annotations

import inspect

import dipsample
from dipsample import errors


def test_all_is_sorted_and_every_name_exists():
    assert dipsample.__all__ == sorted(dipsample.__all__)
    for name in dipsample.__all__:
        assert hasattr(dipsample, name), name


def test_every_error_class_is_exported():
    classes = {n for n, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, errors.DipSampleError) and not n.startswith("_")}
    assert classes <= set(dipsample.__all__)
