"""The engine runs a subscription's mapping and the action's payload preparation as one generated function
(`compile_prepared`); it must give exactly what the two stages give one after the other: the same payload
(types, key order) or the same error, for every action's schema, on random mappings and events."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions import ACTIONS, ActionError, _schema
from actions.mapping_kit import MappingError, compile_mapping
from actions.mapping_kit.compile import compile_prepared

from test_mapping_kit_compiled import json_value, scalar, strict

SLUGS = sorted(ACTIONS)
EVENT_KEYS = ["a", "b", "n", "o", "arr", "t", "0"]
VALUES = st.one_of(
    json_value,
    st.sampled_from(["", "", " ", None, True, 0, "x", "2024-03-14T23:15:51.751Z", "2024-03-14T23:15:51Z", "1710382241033", "2024-02-30T00:00:00Z",
                     "not a date", 1710382241033, 1.5, float("nan"), float("inf"), -0.0, [], {}, [1], ["x"],
                     {"initial_referrer": "x", "k": 1}, {"utm_source": ""}, [{"price": "1"}]]),  # fmt: skip
)
event = st.dictionaries(st.sampled_from(EVENT_KEYS), VALUES, max_size=6)


def field_mapping(slug):
    keys = st.sampled_from(sorted(ACTIONS[slug].FIELDS) + ["unknown", "0"])
    path = st.sampled_from(EVENT_KEYS).map(lambda k: {"@path": f"$.{k}"})
    literal = VALUES.map(lambda v: {"@literal": v})
    value = st.one_of(
        path, path, path, literal, scalar,
        st.dictionaries(st.sampled_from(["x", "initial_referrer", "utm_source", "0"]), st.one_of(path, literal),
                        max_size=3),
        st.builds(lambda a, b, c: {"@if": {"exists": a, "then": b, "else": c}}, path, literal, path),
        st.sampled_from([{"@template": "{{a}}"}, {"@template": "{{o}} {{b}}"}, {"@arrayPath": ["$.arr"]},
                         {"@arrayPath": ["$.arr", {"price": {"@path": "$.price"}}]},
                         {"@merge": {"objects": [{"@path": "$.o"}, {"k": 1}], "direction": "right"}},
                         {"@case": {"operator": "upper", "value": {"@path": "$.t"}}}]),
    )  # fmt: skip
    # the required fields mapped to constants in most examples, so that payloads (not only the
    # missing-field error) are compared
    required = {key: "x" for key, spec in ACTIONS[slug].FIELDS.items() if spec.get("required") is True}
    return st.builds(
        lambda fields, with_required: {**(required if with_required else {}), **fields},
        st.dictionaries(keys, value, min_size=1, max_size=8),
        st.sampled_from([True, True, True, False]),
    )


def outcome(fn, data):
    try:
        return ("ok", strict(fn(copy.deepcopy(data))))
    except ActionError as err:
        return ("error", type(err).__name__, err.message, getattr(err, "messages", None))
    except MappingError as err:
        return ("error", type(err).__name__, str(err), getattr(err, "errors", None))
    except RecursionError:
        return ("recursion",)


@pytest.mark.parametrize("slug", SLUGS)
def test_fused_preparation_equals_mapping_then_prepare(slug):
    schema = _schema(slug)

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(field_mapping(slug), event, event)
    def check(mapping_doc, first, second):
        try:
            transform = compile_mapping(mapping_doc)
        except MappingError:
            return  # invalid mappings never reach an engine
        fused = compile_prepared(mapping_doc, schema)
        if fused is None:
            return
        ran[0] += 1
        for data in (first, second, first):
            expected = outcome(lambda d: schema.prepare(transform(d)), data)
            assert outcome(fused, data) == expected

    ran = [0]
    check()
    assert ran[0] > 50, "too few valid mappings were generated to compare the two forms"


def test_the_presets_run_fused():
    from actions import preset_subscriptions

    for sub in preset_subscriptions():
        assert compile_prepared(sub["mapping"], _schema(sub["partnerAction"])) is not None
