"""Pinned real Segment runtime used as the conformance oracle (see harness.py)."""

from .harness import (
    FROZEN_NOW_MS,
    ReferenceRuntimeError,
    ReferenceRuntime,
    missing_reason,
    probe_user_agents,
    reference_available,
)

__all__ = [
    "FROZEN_NOW_MS",
    "ReferenceRuntimeError",
    "ReferenceRuntime",
    "missing_reason",
    "probe_user_agents",
    "reference_available",
]
