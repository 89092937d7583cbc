"""`Engine(..., lazy=True)`: mappings compiled on first use give, event by event, what an engine compiled at
construction gives (`send`, `fire`), and a mapping that does not compile still raises instead of becoming
a per-event error."""

from __future__ import annotations

import copy
import json

import pytest

from actions import Engine, load_subscriptions, preset_subscriptions
from migrate.generate import generate_events, generate_subscriptions

SETTINGS = {"apiKey": "fake-api-key", "secretKey": "fake-secret", "endpoint": "north_america"}
EVENTS = list(generate_events(150, 11))


def text(value) -> str:
    return json.dumps(value, default=repr)


def _sets():
    out = [(SETTINGS, preset_subscriptions())]
    for dest_settings, subs in generate_subscriptions(5)[:5]:
        out.append((dest_settings, load_subscriptions(subs)))
    return out


@pytest.mark.parametrize("which", range(6))
def test_lazy_engine_sends_what_an_eager_engine_sends(which):
    dest_settings, subs = _sets()[which]
    eager = Engine(dest_settings, subs, now=1710460800000)
    lazy = Engine(dest_settings, copy.deepcopy(subs), now=1710460800000, lazy=True)
    compiled = sum(sub.run is not None for sub in lazy._subs)
    assert compiled == 0  # nothing compiled before the first event
    for event in EVENTS:
        assert text(lazy.send(copy.deepcopy(event))) == text(eager.send(copy.deepcopy(event)))
        for index in range(len(eager.subscriptions())):
            if eager.matches(index, event):
                assert text(lazy.fire(index, copy.deepcopy(event))) == text(eager.fire(index, copy.deepcopy(event)))


def test_lazy_engine_compiles_only_what_runs():
    subs = preset_subscriptions()
    lazy = Engine(SETTINGS, subs, lazy=True)
    track = next(e for e in EVENTS if e.get("type") == "track" and e.get("event") != "Order Completed")
    lazy.send(track)
    ran = [sub.name for sub in lazy._subs if sub.run is not None]
    assert ran and all("Track" in name for name in ran)


def test_a_mapping_that_does_not_compile_raises_from_a_lazy_engine():
    subs = [{"name": "bad", "partnerAction": "logEventV2", "subscribe": 'type = "track"',
             "mapping": {"user_id": {"@nonsense": "$.userId"}, "event_type": {"@path": "$.event"}}}]
    with pytest.raises(Exception) as eager_error:
        Engine(SETTINGS, subs)
    lazy = Engine(SETTINGS, subs, lazy=True)  # nothing compiled yet
    event = {"type": "track", "event": "x", "userId": "u", "messageId": "m"}
    with pytest.raises(type(eager_error.value)) as lazy_error:
        lazy.send(event)
    assert str(lazy_error.value) == str(eager_error.value)
    with pytest.raises(type(eager_error.value)):
        Engine(SETTINGS, subs, lazy=True).fire(0, event)
