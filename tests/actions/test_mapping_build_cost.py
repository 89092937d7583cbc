"""What keeps building a subscription cheap must not change what it computes.

- Validation remembers the nodes it found valid (by `repr`): with any memory, a mapping is accepted or
  rejected exactly as without it, with the same messages; an invalid mapping raises the same error every
  time; mappings that differ only in types or key order do not share a result.
- The generated code looks up the prefixes of a parent once per parent (one type test, `.get` for a plain
  object, one assignment for a missing parent, `walk` for anything else): for mappings with many paths
  sharing prefixes, on events whose intermediate values are of every kind, it gives what the reference
  resolver gives, and the fused preparation gives what the resolver then the schema give.
"""

from __future__ import annotations

import copy
from collections import OrderedDict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_mapping_kit_compiled import outcome, strict, top_mapping

from actions import ACTIONS, ActionError, Engine, _schema, preset_subscriptions
from actions.mapping_kit import (
    MappingError,
    ValidationError,
    compile_mapping,
    interpret,
    validate_mapping,
)
from actions.mapping_kit import compile as compile_module
from actions.mapping_kit import validate as validate_module
from actions.mapping_kit.compile import compile_prepared


class _NoMemory(dict):
    """A memo that never remembers: validation as it was before the memo."""

    def __setitem__(self, key, value):
        pass


def validation(mapping):
    try:
        validate_mapping(copy.deepcopy(mapping))
    except MappingError as err:
        return ("error", type(err).__name__, err.js_name, str(err), getattr(err, "errors", None))
    return ("ok",)


def without_memory(mapping, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(validate_module, "_valid", _NoMemory())
        return validation(mapping)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(top_mapping, min_size=1, max_size=4), top_mapping)
def test_validation_with_memory_equals_validation_without(monkeypatch, others, mapping_doc):
    expected = without_memory(mapping_doc, monkeypatch)
    for other in others:  # fill the memory with other mappings' nodes (valid ones are remembered)
        validation(other)
    # also with the mapping's own parts (objects under the root) remembered first
    if isinstance(mapping_doc, dict):
        for value in mapping_doc.values():
            validation({"k": value})
    assert validation(mapping_doc) == expected
    assert validation(mapping_doc) == expected


BASE = {"user_id": {"@path": "$.userId"},
        "event_type": {"@path": "$.event"},
        "event_properties": {"@replace": {"pattern": "a", "replacement": "b", "value": {"@path": "$.x"},
                                          "global": True}}}  # fmt: skip


def test_an_invalid_mapping_raises_the_same_error_every_time():
    validate_mapping(BASE)  # every node of it remembered as valid
    bad = copy.deepcopy(BASE)
    bad["event_properties"]["@replace"]["global"] = 1  # differs only in type: True -> 1
    bad["device_id"] = {"@path": 3}
    errors = []
    for _ in range(3):
        with pytest.raises(ValidationError) as caught:
            validate_mapping(bad)
        errors.append((caught.value.js_name, str(caught.value), caught.value.errors))
    assert errors[0] == errors[1] == errors[2]
    assert errors[0][2] == ["/event_properties/@replace/global should be a boolean but it is a number.",
                            "/device_id/@path should be a string or a mapping directive but it is a number."]
    validate_mapping(BASE)  # and the valid one is still valid


def test_an_invalid_node_is_reported_at_each_of_its_places():
    bad_node = {"@path": 3}
    for where in (["a"], ["b", "c"]):
        mapping = {"ok": {"@path": "$.x"}}
        holder = mapping
        for key in where[:-1]:
            holder = holder.setdefault(key, {})
        holder[where[-1]] = bad_node
        with pytest.raises(ValidationError) as caught:
            validate_mapping(mapping)
        assert caught.value.errors == ["/" + "/".join(where) + "/@path should be a string or a mapping directive "
                                       "but it is a number."]


@pytest.mark.parametrize("valid, invalid", [
    ({"@replace": {"pattern": "a", "value": "x", "global": True}}, {"@replace": {"pattern": "a", "value": "x", "global": 1}}),
    ({"@case": {"operator": "upper", "value": "x"}}, {"@case": {"operator": 1.0, "value": "x"}}),
    ({"@json": {"mode": "encode", "value": 1}}, {"@json": {"mode": True, "value": 1}}),
])  # fmt: skip
def test_mappings_differing_only_in_types_do_not_share_a_result(valid, invalid):
    assert repr(valid) != repr(invalid)
    validate_mapping({"k": valid})
    with pytest.raises(ValidationError):
        validate_mapping({"k": invalid})


def test_key_order_is_part_of_the_memory_key():
    one = {"a": {"@path": "$.x"}, "b": {"@path": 3}}
    other = {"b": {"@path": 3}, "a": {"@path": "$.x"}}
    for mapping in (one, other):
        with pytest.raises(ValidationError):
            validate_mapping(mapping)
    before = dict(validate_module.validate_counts)
    validate_mapping({"a": {"@path": "$.x"}, "b": {"@path": "$.key_order_y"}})
    validate_mapping({"b": {"@path": "$.key_order_y"}, "a": {"@path": "$.x"}})  # other order: a new root
    after = validate_module.validate_counts
    assert after["checked"] - before["checked"] == 1  # the new field, once (whole mappings are not remembered)
    assert after["known"] - before["known"] == 3


def test_shared_nodes_are_validated_once():
    subs = preset_subscriptions()
    for sub in subs:
        validate_mapping(sub["mapping"])
    before = dict(validate_module.validate_counts)
    patched = copy.deepcopy(subs[0]["mapping"])
    patched["user_id"] = {"@path": "$.context.traits.id"}  # one root key changed
    validate_mapping(patched)
    after = validate_module.validate_counts
    # the new field is checked; every other field (object or directive) is known
    assert after["checked"] - before["checked"] == 1
    assert after["known"] - before["known"] == sum(isinstance(v, dict) for k, v in patched.items() if k != "user_id")


# -- lookups of shared prefixes

SEGMENTS = ["a", "b", "c", "0", "length"]
path = st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4).map(lambda keys: "$." + ".".join(keys))
leaf = st.sampled_from([None, 0, "", "x", "abc", True, 1.5, [], [1, "y"], {}, {"a": None}])


def tree(depth):
    if depth == 0:
        return leaf
    child = tree(depth - 1)
    return st.one_of(leaf, st.dictionaries(st.sampled_from(SEGMENTS), child, max_size=4),
                     st.lists(child, max_size=3))


shared_event = st.dictionaries(st.sampled_from(SEGMENTS), tree(3), max_size=5)
field = st.one_of(
    path.map(lambda p: {"@path": p}),
    path.map(lambda p: {"@path": p}),
    st.builds(lambda a, b, c: {"@if": {"exists": {"@path": a}, "then": {"@path": b}, "else": {"@path": c}}},
              path, path, path),
    st.builds(lambda a, b: {"@if": {"blank": {"@path": a}, "then": {"@path": b}}}, path, path),
    st.dictionaries(st.sampled_from(["p", "q", "0"]), path.map(lambda p: {"@path": p}), min_size=1, max_size=3),
    st.sampled_from([None, "x", "", 0, True, 2.5]),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(SEGMENTS + ["k", "m"]), field, min_size=1, max_size=8),
       shared_event, shared_event)  # fmt: skip
def test_shared_prefix_lookups_equal_the_reference_resolver(mapping_doc, first, second):
    fn = compile_mapping(mapping_doc)
    for data in (first, second, first):
        assert outcome(fn, copy.deepcopy(data)) == outcome(interpret, mapping_doc, copy.deepcopy(data))


def prepared_outcome(fn, data):
    try:
        return ("ok", strict(fn(copy.deepcopy(data))))
    except (ActionError, MappingError) as err:
        return ("error", type(err).__name__, str(err))


@pytest.mark.parametrize("slug", sorted(ACTIONS))
def test_shared_prefix_lookups_in_the_fused_preparation(slug):
    schema = _schema(slug)
    names = sorted(ACTIONS[slug].FIELDS)
    fused_field = st.one_of(field, st.sampled_from(["", "x", 0, None, True]))

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.dictionaries(st.sampled_from(names), fused_field, min_size=2, max_size=10), shared_event, shared_event)
    def check(mapping_doc, first, second):
        fused = compile_prepared(mapping_doc, schema)
        if fused is None:
            return
        for data in (first, second, OrderedDict(first)):  # (the data may be any dict)
            expected = prepared_outcome(lambda d: schema.prepare(interpret(mapping_doc, d)), data)
            assert prepared_outcome(fused, data) == expected

    check()


def test_deep_paths_compile():
    # prefixes deeper than the nested lookup blocks go one line each
    keys = [f"k{i}" for i in range(40)]
    mapping_doc = {"a": {"@path": "$." + ".".join(keys)}, "b": {"@path": "$." + ".".join(keys[:30] + ["z"])}}
    data: dict = {}
    holder = data
    for key in keys:
        holder[key] = {}
        holder = holder[key]
    holder["k"] = 1
    data_b = copy.deepcopy(data)
    assert outcome(compile_mapping(mapping_doc), data_b) == outcome(interpret, mapping_doc, data)


def test_generated_lookups_test_each_parent_once():
    """The generated source for the presets: no parent with several children is type-tested per child."""
    sources = []
    original = compile_module._code_for

    def record(source):
        sources.append(source)
        return original(source)

    compile_module._code_cache.clear()
    compile_module._fused_cache.clear()
    try:
        compile_module._code_for = record
        for sub in preset_subscriptions():
            compile_prepared(copy.deepcopy(sub["mapping"]), _schema(sub["partnerAction"]))
    finally:
        compile_module._code_for = original
    assert sources
    for source in sources:
        tested = [line.split("type(")[1].split(")")[0] for line in source.splitlines() if "type(" in line]
        assert len(tested) == len(set(tested)), "a parent is type-tested more than once"


def test_an_engine_gives_the_same_output_with_a_fresh_or_a_filled_memory():
    from migrate.generate import generate_events

    events = list(generate_events(40, 3))
    settings_ = {"apiKey": "k", "secretKey": "s", "endpoint": "north_america"}
    first = [Engine(settings_, preset_subscriptions(), now=1).send(copy.deepcopy(e)) for e in events]
    validate_module._valid.clear()
    compile_module._cache.clear()
    compile_module._fused_cache.clear()
    compile_module._code_cache.clear()
    import actions

    actions._RUNS.clear()
    second = [Engine(settings_, preset_subscriptions(), now=1).send(copy.deepcopy(e)) for e in events]
    assert strict(first) == strict(second)


# -- a lazy engine's first runs: closures, then the compiled function


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(top_mapping, shared_event, st.dictionaries(st.sampled_from(["a", "o", "arr", "0", "x"]), leaf, max_size=5))
def test_closures_equal_the_reference_resolver(mapping_doc, first, second):
    from actions.mapping_kit.compile import compile_closures

    try:
        fn = compile_closures(copy.deepcopy(mapping_doc))
    except MappingError as err:
        failure = ("error", type(err).__name__, getattr(err, "js_name", None), str(err), getattr(err, "errors", None))
        assert outcome(interpret, copy.deepcopy(mapping_doc), {}) == failure
        return
    for data in (first, second, first):
        assert outcome(fn, copy.deepcopy(data)) == outcome(interpret, copy.deepcopy(mapping_doc), copy.deepcopy(data))


@pytest.mark.parametrize("slug", sorted(ACTIONS))
def test_closures_then_preparation_equal_the_fused_function(slug):
    from actions.mapping_kit.compile import compile_closures

    schema = _schema(slug)
    names = sorted(ACTIONS[slug].FIELDS)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.dictionaries(st.sampled_from(names), field, min_size=2, max_size=10), shared_event)
    def check(mapping_doc, data):
        fused = compile_prepared(mapping_doc, schema)
        if fused is None:
            return
        closures = compile_closures(mapping_doc)
        assert prepared_outcome(lambda d: schema.prepare(closures(d)), data) == prepared_outcome(fused, data)

    check()


def test_a_lazy_engine_runs_closures_first_then_the_compiled_function():
    import actions
    from migrate.generate import generate_events

    mapping = copy.deepcopy(preset_subscriptions()[0]["mapping"])
    mapping["user_id"] = {"@path": "$.context.traits.first_runs_test"}  # a mapping not compiled yet
    subs = [{"name": "t", "partnerAction": "logEventV2", "subscribe": "type = \"track\"", "mapping": mapping}]
    settings_ = {"apiKey": "k", "secretKey": "s", "endpoint": "north_america"}
    tracks = [e for e in generate_events(400, 7) if e.get("type") == "track"][: actions._FIRST_RUNS + 5]
    assert len(tracks) == actions._FIRST_RUNS + 5
    own = [copy.deepcopy(subs) for _ in range(2)]
    lazy = [Engine(settings_, own[i], now=1, lazy=True) for i in range(2)]
    before = dict(actions.compile_counts)
    got = []
    for index, event in enumerate(tracks):
        engine = lazy[index % 2]  # the runs are counted over both engines
        got.append(engine.send(copy.deepcopy(event)))
        if index == 1:  # both engines have run the mapping: the caller may change its own objects now
            for subs_ in own:
                subs_[0]["mapping"].clear()
        if index < actions._FIRST_RUNS:
            assert actions.compile_counts["compiled"] == before["compiled"], "compiled before its first runs"
    assert actions.compile_counts["compiled"] == before["compiled"] + 1  # once, for both engines
    compiled = [engine._subs[0].run for engine in lazy]
    assert compiled[0] is compiled[1]
    eager = Engine(settings_, [{**subs[0], "mapping": lazy_mapping()}], now=1)
    assert eager._subs[0].run is compiled[0]
    expected = [eager.send(copy.deepcopy(event)) for event in tracks]
    assert strict(got) == strict(expected)


def lazy_mapping():
    mapping = copy.deepcopy(preset_subscriptions()[0]["mapping"])
    mapping["user_id"] = {"@path": "$.context.traits.first_runs_test"}
    return mapping
