"""Destination settings are validated like the runtime does before any subscription runs."""

import pytest

from actions.destination import settings_errors
from reference.harness import ReferenceRuntimeError

SETTINGS = [
    {},
    {"apiKey": "k"},
    {"apiKey": "k", "secretKey": "s", "endpoint": "asia"},
    {"apiKey": 5, "secretKey": "s"},
    {"apiKey": "", "secretKey": "s"},
    {"apiKey": "k", "secretKey": "s", "endpoint": None},
    {"apiKey": {"a": 1}, "secretKey": None},
    {"apiKey": True, "secretKey": "s", "endpoint": 5},
    {"apiKey": "k", "secretKey": "s", "endpoint": "europe", "extra": 1},
]
SUBS = [{"name": "T", "partnerAction": "logEventV2", "subscribe": 'type = "track"',
         "mapping": {"event_type": {"@path": "$.event"}}}]
EVENT = {"type": "track", "event": "x", "userId": "user-1", "messageId": "m"}


def test_expected_messages_without_the_runtime():
    assert settings_errors({"apiKey": "k"}) == ["The root value is missing the required field 'secretKey'."]
    assert settings_errors({"apiKey": "k", "secretKey": "s", "endpoint": "asia"}) == [
        'Endpoint Region must be one of: "north_america" or "europe".'
    ]
    assert settings_errors({"apiKey": "k", "secretKey": "s"}) == []


@pytest.mark.reference
@pytest.mark.parametrize("settings", SETTINGS, ids=[str(s) for s in SETTINGS])
def test_same_verdict_as_the_runtime(reference_runtime, settings):
    try:
        reference_runtime.run_one(settings, SUBS, EVENT)
        real = []
    except ReferenceRuntimeError as exc:
        real = [exc.args[0]]
    ours = settings_errors(settings)
    if not real:
        assert ours == []
    else:
        assert ours and " ".join(ours) in real[0]
