"""Compiled mappings are shared by every engine of a process: one compile per distinct (action, mapping),
a new compile for any difference that changes the output, nothing mutable shared between engines, and the
same errors as without the cache."""

from __future__ import annotations

import copy
import json

import pytest

import actions
from actions import Engine, load_subscriptions, preset_subscriptions
from actions.mapping_kit import MappingError
from actions.mapping_kit import compile as compile_module
from migrate.generate import generate_events

SETTINGS = {"apiKey": "fake-api-key", "secretKey": "fake-secret", "endpoint": "north_america"}
NOW = 1710460800000
EVENTS = list(generate_events(60, 5))
TRACK = {"type": "track", "event": "Song Played", "userId": "user-12345", "anonymousId": "anon-12345",
         "messageId": "m-1", "timestamp": "2024-03-14T23:15:51.751Z",
         "properties": {"plays": 3, "tags": ["a", "b"], "nested": {"k": "v"}},
         "context": {"traits": {"plan": "pro"}, "library": {"name": "analytics.js"}}}  # fmt: skip


def text(value) -> str:
    return json.dumps(value, default=repr)


def sub(action="logEventV2", mapping=None, name="s"):
    mapping = mapping if mapping is not None else {
        "user_id": {"@path": "$.userId"},
        "device_id": {"@path": "$.anonymousId"},
        "event_type": {"@path": "$.event"},
        "event_properties": {"@path": "$.properties"},
        "user_properties": {"@path": "$.context.traits"},
        "time": {"@path": "$.timestamp"},
    }
    return {"name": name, "partnerAction": action, "subscribe": 'type = "track"', "mapping": mapping}


def counts():
    return dict(actions.compile_counts)


def test_identical_subscriptions_compile_once_across_engines():
    subs = preset_subscriptions()
    first = Engine(SETTINGS, subs, now=NOW)
    before = counts()
    second = Engine(SETTINGS, copy.deepcopy(subs), now=NOW)
    after = counts()
    assert after["compiled"] == before["compiled"]
    assert after["hits"] - before["hits"] == len(subs)
    for a, b in zip(first._subs, second._subs):
        assert a.run is b.run
    for event in EVENTS:
        assert text(second.send(event)) == text(first.send(event))


def test_a_lazy_engine_takes_the_compiled_mapping_of_an_eager_one():
    eager = Engine(SETTINGS, [sub(name="shared-lazy")], now=NOW)
    lazy = Engine(SETTINGS, [sub(name="shared-lazy")], now=NOW, lazy=True)
    assert lazy._subs[0].run is None
    before = counts()
    assert text(lazy.send(TRACK)) == text(eager.send(TRACK))
    assert counts()["compiled"] == before["compiled"]
    assert lazy._subs[0].run is eager._subs[0].run


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s: {**s, "partnerAction": "logEvent"}, id="same mapping, other action"),
        pytest.param(lambda s: {**s, "mapping": {**s["mapping"], "event_type": "Fixed"}}, id="other value"),
        pytest.param(lambda s: {**s, "mapping": dict(reversed(list(s["mapping"].items())))}, id="key order"),
        pytest.param(lambda s: {**s, "mapping": {**s["mapping"], "use_batch_endpoint": True}}, id="true"),
        pytest.param(lambda s: {**s, "mapping": {**s["mapping"], "use_batch_endpoint": 1}}, id="1 not true"),
        pytest.param(lambda s: {**s, "mapping": {**s["mapping"], "min_id_length": 1.0}}, id="1.0 not 1"),
        pytest.param(lambda s: {**s, "mapping": {**s["mapping"], "setOnce": {"initial_referrer": "x"}}},
                     id="an added default"),
    ],
)
def test_any_difference_that_changes_the_output_compiles_anew(change):
    base = sub(name="diff")
    other = change(copy.deepcopy(base))
    first = Engine(SETTINGS, [base], now=NOW)
    before = counts()
    second = Engine(SETTINGS, [other], now=NOW)
    assert counts()["compiled"] == before["compiled"] + 1
    assert first._subs[0].run is not second._subs[0].run
    # each engine gives what an engine built with an empty cache gives
    expected = {}
    for key, subscription in (("first", base), ("second", other)):
        saved = dict(actions._RUNS)
        actions._RUNS.clear()
        try:
            expected[key] = text(Engine(SETTINGS, [copy.deepcopy(subscription)], now=NOW).send(TRACK))
        finally:
            actions._RUNS.clear()
            actions._RUNS.update(saved)
    assert text(first.send(TRACK)) == expected["first"]
    assert text(second.send(TRACK)) == expected["second"]


def test_engines_sharing_a_mapping_share_nothing_mutable():
    one = Engine(SETTINGS, [sub(name="mutable")], now=NOW)
    two = Engine(SETTINGS, [sub(name="mutable")], now=NOW)
    assert one._subs[0].run is two._subs[0].run
    expected = text(two.send(TRACK))
    fired = one.send(TRACK)
    event = fired[0]["requests"][0]["json"]["events"][0]
    # change every container of the first engine's output
    event["event_properties"]["plays"] = 99
    event["event_properties"]["tags"].append("c")
    event["event_properties"]["nested"]["k"] = "changed"
    event["user_properties"]["plan"] = "changed"
    event["user_id"] = "changed"
    fired[0]["requests"][0]["json"]["api_key"] = "changed"
    fired[0]["requests"][0]["headers"]["content-type"] = "changed"
    assert text(two.send(TRACK)) == expected
    assert text(one.send(TRACK)) == expected
    assert TRACK["properties"] == {"plays": 3, "tags": ["a", "b"], "nested": {"k": "v"}}


def test_changing_a_mapping_after_the_engine_is_built_changes_neither_that_engine_nor_the_cache():
    subscription = sub(name="changed-later")
    engine = Engine(SETTINGS, [subscription], now=NOW)
    expected = text(engine.send(TRACK))
    subscription["mapping"]["event_type"] = "Renamed"
    assert text(engine.send(TRACK)) == expected
    renamed = Engine(SETTINGS, [subscription], now=NOW).send(TRACK)
    assert renamed[0]["requests"][0]["json"]["events"][0]["event_type"] == "Renamed"
    subscription["mapping"]["event_type"] = {"@path": "$.event"}
    assert text(Engine(SETTINGS, [subscription], now=NOW).send(TRACK)) == expected


BAD = {"user_id": {"@path": "$.userId"}, "event_type": {"@nonsense": "$.event"}}


def test_an_invalid_mapping_raises_every_time_with_the_same_error():
    messages = []
    for _ in range(3):
        with pytest.raises(MappingError) as error:
            Engine(SETTINGS, [sub(mapping=copy.deepcopy(BAD), name="bad")])
        messages.append(str(error.value))
    assert len(set(messages)) == 1 and "@nonsense" in messages[0]
    # a lazy engine raises the same error from its first event, before and after the eager ones tried
    lazy = Engine(SETTINGS, [sub(mapping=copy.deepcopy(BAD), name="bad")], lazy=True)
    with pytest.raises(MappingError) as lazy_error:
        lazy.send(TRACK)
    assert str(lazy_error.value) == messages[0]
    # and the configuration loader still names the subscription
    with pytest.raises(actions.ConfigError, match="invalid mapping"):
        load_subscriptions([sub(mapping=copy.deepcopy(BAD), name="bad")])


def test_runtime_errors_of_a_shared_mapping_stay_per_event():
    mapping = {"user_id": {"@path": "$.userId"}, "event_type": {"@path": "$.event"},
               "time": {"@json": {"mode": "decode", "value": {"@path": "$.properties.raw"}}}}  # fmt: skip
    one = Engine(SETTINGS, [sub(mapping=mapping, name="per-event")], now=NOW)
    two = Engine(SETTINGS, [sub(mapping=copy.deepcopy(mapping), name="per-event")], now=NOW)
    bad = {**TRACK, "properties": {"raw": "{not json"}}
    good = {**TRACK, "properties": {"raw": "1710460800000"}}
    assert one.send(bad)[0]["error"] is not None
    assert two.send(good)[0]["error"] is None
    assert text(two.send(bad)) == text(one.send(bad))


def test_generated_code_is_reused_for_mappings_differing_only_in_values():
    a = {"user_id": {"@path": "$.userId"}, "event_type": {"@path": "$.event"}, "city": {"@path": "$.context.a"}}
    b = {"user_id": {"@path": "$.anonymousId"}, "event_type": {"@path": "$.type"}, "city": {"@path": "$.context.b"}}
    first = Engine(SETTINGS, [sub(mapping=a, name="values")], now=NOW)
    before = dict(compile_module.compile_counts)
    second = Engine(SETTINGS, [sub(mapping=b, name="values")], now=NOW)
    assert compile_module.compile_counts["code"] == before["code"]
    assert compile_module.compile_counts["code_hits"] > before["code_hits"]
    event = {**TRACK, "context": {"a": "Paris", "b": "Rome"}}
    one = first.send(event)[0]["requests"][0]["json"]["events"][0]
    two = second.send(event)[0]["requests"][0]["json"]["events"][0]
    assert (one["user_id"], one["event_type"], one["city"]) == ("user-12345", "Song Played", "Paris")
    assert (two["user_id"], two["event_type"], two["city"]) == ("anon-12345", "track", "Rome")
