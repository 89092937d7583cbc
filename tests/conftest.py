"""Shared fixtures: the pinned real Amplitude (Actions) runtime (tests/reference)."""

import os
import sys
from pathlib import Path

import pytest

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:  # the harness package lives at tests/reference
    sys.path.insert(0, _TESTS)

from reference.harness import ReferenceRuntime, missing_reason  # noqa: E402


@pytest.fixture(scope="session")
def reference_runtime():
    """One running reference process for the session; skipped locally if not installed, fatal in CI."""
    reason = missing_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the reference runtime, but {reason}", pytrace=False)
        pytest.skip(reason)
    with ReferenceRuntime() as ref:
        yield ref
