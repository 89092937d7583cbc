"""The per-event shortcuts of the engine against the plain rules they replace, on random inputs: the same
output (types, key order, undefined) or the same error.

- logEventV2's `perform` (helpers inline) against the helper-by-helper form it replaced;
- `event_properties` (inline platform, time and session steps) and `user_agent_layer` against their plain forms;
- `session_time`, remembered per string, against the computation;
- the generated mapping's written-out test of a nested object built by the mapping (`unchanged_inline`) and
  the skipped `finish`, against the two stages (mapping, then the schema's prepare);
- the schema's tests that a root value needs no change (dates, lists of products) against its slow step;
- `plain_iso_ms` (minute remembered, the string found plain not matched again) against the arithmetic;
- `_remove_undefined` (usual scalars skipped first) against its plain form;
- identifyUser's `perform` against its dict-comprehension form.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions import ACTIONS, ActionError, _schema
from actions import enrich, log_event, log_event_v2
from actions.enrich import (
    compact,
    convert_referrer_property,
    convert_utm_properties,
    event_time,
    library_value,
    merge_user_properties,
    normalize_platform,
    omit,
    truthy,
)
from actions.framework import endpoint_for
from actions.jsjson import UNDEFINED
from actions.mapping_kit import MappingError, compile_mapping
from actions.mapping_kit.compile import compile_prepared

from test_mapping_kit_compiled import strict

# -- the plain rules (the helper-by-helper forms the fast paths replaced)


def plain_session_time(value):
    return enrich._session_time(value)


def plain_event_properties(payload, dropped):
    properties = {k: v for k, v in payload.items() if k not in dropped}
    normalize_platform(properties, payload.get("library", UNDEFINED))
    time = event_time(payload.get("time", UNDEFINED))
    if time is not UNDEFINED:
        properties["time"] = time
    session = plain_session_time(payload.get("session_id", UNDEFINED))
    if session is not UNDEFINED:
        properties["session_id"] = session
    utm = payload.get("utm_properties", UNDEFINED)
    if (isinstance(utm, dict) and utm) or truthy(payload.get("referrer", UNDEFINED)):
        user_properties = properties.get("user_properties", UNDEFINED)
        properties["user_properties"] = merge_user_properties(
            convert_utm_properties(payload),
            convert_referrer_property(payload),
            omit(user_properties if isinstance(user_properties, dict) else {}, ("utm_properties", "referrer")),
        )
    return properties


def plain_user_agent_layer(payload):
    user_agent = payload.get("userAgent", UNDEFINED)
    layer: dict = {}
    holes = False
    if truthy(payload.get("userAgentParsing", UNDEFINED)) and truthy(user_agent):
        uad = payload.get("userAgentData", UNDEFINED)
        from actions.user_agent import current_build

        if isinstance(uad, dict):
            key = (user_agent, uad.get("model", UNDEFINED), uad.get("platformVersion", UNDEFINED), current_build())
        else:
            key = (user_agent, UNDEFINED, UNDEFINED, current_build())
        layer, holes = enrich._parsed_user_agent.__wrapped__(*key)
    if truthy(payload.get("includeRawUserAgent", UNDEFINED)):
        if user_agent is UNDEFINED:
            holes = True
        layer = {**layer, "user_agent": user_agent}
    return layer, holes


def plain_build_event(layer, holes, properties, tail, library):
    event = {**layer, **properties, **tail} if layer or tail else dict(properties)
    if library is not UNDEFINED:
        event["library"] = library
    elif "library" in event:
        del event["library"]
    if holes:
        event = {k: v for k, v in event.items() if v is not UNDEFINED}
    return event


def plain_event_request(settings, payload, events, options):
    api = "batch" if truthy(payload.get("use_batch_endpoint", UNDEFINED)) else "httpapi"
    body = {}
    api_key = settings.get("apiKey", UNDEFINED)
    if api_key is not UNDEFINED:
        body["api_key"] = api_key
    body["events"] = events
    if options is not UNDEFINED:
        body["options"] = options
    return {
        "method": "POST",
        "url": endpoint_for(api, settings.get("endpoint", UNDEFINED)),
        "headers": {"content-type": "application/json"},
        "json": body,
    }


def plain_options_of(payload):
    n = payload.get("min_id_length", UNDEFINED)
    if truthy(n) and n > 0:
        return {"min_id_length": n}
    return UNDEFINED


def plain_perform_v2(payload, settings):
    properties = plain_event_properties(payload, log_event_v2._DROPPED)
    for name, key in log_event_v2._USER_PROPERTY_FIELDS:
        obj = payload.get(key, UNDEFINED)
        if obj is not UNDEFINED and compact(obj):
            current = properties.get("user_properties", UNDEFINED)
            properties["user_properties"] = {**(current if isinstance(current, dict) else {}), name: obj}
    layer, holes = plain_user_agent_layer(payload)
    event = plain_build_event(layer, holes, properties, {}, library_value(payload.get("library2", UNDEFINED)))
    return [plain_event_request(settings, payload, [event], plain_options_of(payload))]


def outcome(fn, *args):
    args = copy.deepcopy(args)
    try:
        return ("ok", strict(fn(*args)))
    except Exception as err:  # the same exception, same message
        return ("error", type(err).__name__, str(err))


# -- random payloads of the logEvent family

USER_AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 15_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/15.6.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Safari/537.36",
    "curl/8.0",
    "",
]
ANY = st.sampled_from(
    ["", " ", "x", "0", None, True, False, 0, 1, -1, 1.5, 0.0, -0.0, float("nan"), [], {}, [""], {"a": ""},
     {"a": 1}, UNDEFINED]
)  # fmt: skip
TIMES = st.sampled_from(
    ["2024-03-14T07:50:29.267Z", "2024-03-14T07:50:29Z", "2024-02-30T00:00:00Z", "1999-12-31T23:59:59.999Z",
     "2024-03-14 07:50:29", "Thu, 14 Mar 2024 07:50:29 GMT", "not a date", "1710402598803", "0", "",
     1710402598803, 1710402598803.5, 0, -1, 8.64e15, 8.64e15 + 1, True, None, UNDEFINED, {}, []]
)  # fmt: skip
STRINGS_OBJECT = st.dictionaries(
    st.sampled_from(["initial_referrer", "referrer", "utm_source", "x", "0"]),
    st.sampled_from(["", "", "x", None, 0, False, [], {}]),
    max_size=4,
)
VALUE_FOR = {
    "time": TIMES,
    "session_id": TIMES,
    "platform": st.sampled_from(["ios", "IOS Android", "Web", "android", "iPadOS", "", None, 1, UNDEFINED]),
    "library": st.sampled_from(["analytics.js", "analytics-next", "", None, UNDEFINED]),
    "library2": st.one_of(
        st.fixed_dictionaries(
            {"behavior": st.sampled_from(["use_mapping", "auto", UNDEFINED, None])},
            optional={"mapping": st.sampled_from(["analytics.js", "", None, UNDEFINED])},
        ),
        ANY,
    ),
    "setOnce": st.one_of(STRINGS_OBJECT, ANY, st.just("xy"), st.just(["", "a"])),
    "setAlways": st.one_of(STRINGS_OBJECT, ANY),
    "add": st.one_of(st.dictionaries(st.sampled_from(["n", "m"]), ANY, max_size=2), ANY),
    "userAgent": st.one_of(st.sampled_from(USER_AGENTS), ANY),
    "userAgentParsing": ANY,
    "includeRawUserAgent": ANY,
    "userAgentData": st.one_of(
        st.fixed_dictionaries({}, optional={"model": st.sampled_from(["Pixel 7", "", UNDEFINED]),
                                            "platformVersion": st.sampled_from(["14.0.0", "", None])}),
        ANY,
    ),  # fmt: skip
    "use_batch_endpoint": ANY,
    "min_id_length": st.one_of(st.sampled_from([1, 5, 0, -3, 2.5, "7", float("nan")]), ANY),
    "user_properties": st.one_of(st.dictionaries(st.sampled_from(["a", "$set", "utm_properties"]), ANY), ANY),
    "utm_properties": st.one_of(st.dictionaries(st.sampled_from(["source", "medium"]), ANY, max_size=2), ANY),
    "referrer": ANY,
}
KEYS = sorted(set(log_event_v2.FIELDS) | set(VALUE_FOR))
payloads = st.lists(st.sampled_from(KEYS), unique=True, max_size=14).flatmap(
    lambda keys: st.fixed_dictionaries({k: VALUE_FOR.get(k, ANY) for k in keys})
)
SETTINGS = st.sampled_from(
    [{"apiKey": "k", "secretKey": "s", "endpoint": "north_america"}, {"apiKey": "k", "endpoint": "europe"}, {}]
)
FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(payloads, SETTINGS)
def test_log_event_v2_perform_equals_the_plain_rule(payload, settings_):
    assert outcome(log_event_v2.perform, payload, settings_) == outcome(plain_perform_v2, payload, settings_)


@FAST
@given(payloads, st.sampled_from([log_event._DROPPED, log_event_v2._DROPPED, frozenset()]))
def test_event_properties_equals_the_plain_rule(payload, dropped):
    assert outcome(log_event.event_properties, payload, dropped) == outcome(plain_event_properties, payload, dropped)


@FAST
@given(payloads)
def test_user_agent_layer_equals_the_plain_rule(payload):
    assert outcome(enrich.user_agent_layer, payload) == outcome(plain_user_agent_layer, payload)


@FAST
@given(
    st.lists(
        st.one_of(
            TIMES,
            st.text(alphabet="0123456789-:TZ. ", max_size=14),
            st.integers(-(10**16), 10**16),
            st.sampled_from([8_640_000_000_000_000, 8_640_000_000_000_001, -8_640_000_000_000_000, 2**53 + 1, 1]),
        ),
        max_size=6,
    )
)
def test_session_time_remembered_equals_the_computation(values):
    for value in values + values:  # the second time from memory
        assert strict(enrich.session_time(value)) == strict(plain_session_time(value))


def test_real_payloads_of_the_presets_perform_as_the_plain_rule():
    """The presets' own payloads (the mapping, then prepare) of a few typical events."""
    from actions import preset_subscriptions
    from actions.mapping_kit import transform

    events = [
        {"type": "track", "event": "Video Played", "userId": "u1", "anonymousId": "a1",
         "timestamp": "2024-03-14T07:50:29.267Z", "properties": {"x": 1},
         "context": {"userAgent": USER_AGENTS[0], "library": {"name": "analytics.js"}, "ip": "1.2.3.4",
                     "page": {"referrer": "https://r"}, "campaign": {"source": "s", "medium": ""}},
         "integrations": {"Actions Amplitude": {"session_id": "1710402598803"}}},
        {"type": "page", "name": "Home", "event": "Home", "anonymousId": "a2", "timestamp": "2024-03-14T07:50:29Z",
         "context": {"userAgent": USER_AGENTS[1], "os": {"name": "Android"}, "device": {"type": "android"}}},
    ]  # fmt: skip
    settings_ = {"apiKey": "k", "endpoint": "north_america"}
    ran = 0
    for sub in preset_subscriptions():
        if sub["partnerAction"] != "logEventV2":
            continue
        for event in events:
            payload = _schema("logEventV2").prepare(transform(sub["mapping"], event))
            assert outcome(log_event_v2.perform, payload, settings_) == outcome(plain_perform_v2, payload, settings_)
            ran += 1
    assert ran >= 3


# -- nested objects built by a mapping, under object fields with sub-fields

OBJECT_FIELDS = sorted(
    (slug, key)
    for slug, module in ACTIONS.items()
    for key, spec in module.FIELDS.items()
    if spec.get("type") == "object" and spec.get("properties") and not spec.get("multiple")
)
EVENT_KEYS = ["a", "b", "c"]
EVENT_VALUES = st.sampled_from(["", "x", "auto", "use_mapping", None, 0, 1.5, True, [], ["x"], {}, {"k": "v"},
                                {"k": 1}, "2024-03-14T07:50:29Z"])  # fmt: skip
events = st.dictionaries(st.sampled_from(EVENT_KEYS), EVENT_VALUES, max_size=3)


def nested_mappings(slug, key):
    sub_keys = sorted(ACTIONS[slug].FIELDS[key]["properties"]) + ["extra", "0"]
    path = st.sampled_from(EVENT_KEYS).map(lambda k: {"@path": f"$.{k}"})
    constant = st.sampled_from(["", "x", "auto", "use_mapping", None, 0, 2.5])
    value = st.one_of(path, path, constant, st.sampled_from([{"@template": "{{a}}"}, {"@literal": {"k": "v"}}]))
    required = {k: "x" for k, spec in ACTIONS[slug].FIELDS.items() if spec.get("required") is True}
    return st.builds(
        lambda nested, with_required, other: {**(required if with_required else {}), key: nested, **other},
        st.dictionaries(st.sampled_from(sub_keys), value, min_size=1, max_size=4),
        st.sampled_from([True, True, False]),
        st.dictionaries(st.sampled_from(["time", "user_id", "event_type"]), path, min_size=1, max_size=2),
    )


def prepared_outcome(fn, data):
    try:
        return ("ok", strict(fn(copy.deepcopy(data))))
    except ActionError as err:
        return ("error", type(err).__name__, err.message)


@pytest.mark.parametrize("slug,key", OBJECT_FIELDS)
def test_nested_objects_written_out_equal_mapping_then_prepare(slug, key):
    schema = _schema(slug)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(nested_mappings(slug, key), events, events)
    def check(mapping_doc, first, second):
        try:
            transform = compile_mapping(mapping_doc)
        except MappingError:
            return
        fused = compile_prepared(mapping_doc, schema)
        assert fused is not None
        for data in (first, second):
            expected = prepared_outcome(lambda d: schema.prepare(transform(d)), data)
            assert prepared_outcome(fused, data) == expected

    check()


def test_the_presets_write_out_their_nested_tests():
    """The Track/Page/Screen presets' setOnce, setAlways, library2 and userAgentData objects are tested
    inline: no object test of the schema is called by their generated functions."""
    from actions import preset_subscriptions

    ran = 0
    for sub in preset_subscriptions():
        if sub["partnerAction"] != "logEventV2":
            continue
        fused = compile_prepared(sub["mapping"], _schema("logEventV2"))
        (build,) = [c.cell_contents for c in fused.__closure__ if getattr(c.cell_contents, "__name__", "") == "build"]
        assert not [v for v in build.__globals__.values() if hasattr(v, "allowed")]
        ran += 1
    assert ran == 3


# -- triggers: the tests of `type` decided once per event type (`fql.residual_trigger`)

TRIGGER_FIELDS = ["type", "type", "type", "event", "name", "properties.x", "userId"]
TYPE_TESTS = ['type != "track"', 'type = "page"', 'type != "page"', 'contains(type, "ra")', 'type exists',
              'type = "track"', '!contains(type, "pa")']  # fmt: skip
TRIGGER_OPERATORS = ["=", "=", "!=", "contains", "<", "exists"]
TRIGGER_VALUES = ['"track"', '"page"', '"identify"', '"Order Completed"', '"X"', "null", "5", "true"]
TYPES = ["track", "track", "page", "page", "identify", "screen", "", 5, None, ["track"], UNDEFINED]


@st.composite
def triggers(draw):
    def condition():
        if draw(st.integers(0, 2)) == 0:
            return draw(st.sampled_from(TYPE_TESTS))
        field = draw(st.sampled_from(TRIGGER_FIELDS))
        operator = draw(st.sampled_from(TRIGGER_OPERATORS))
        if operator == "exists":
            return f"{field} exists"
        if operator == "contains":
            pattern = draw(st.sampled_from(['"tr"', '"X"']))
            return f"contains({field}, {pattern})"
        return f"{field} {operator} {draw(st.sampled_from(TRIGGER_VALUES))}"

    # mostly triggers limited by type (the ones dispatched and decided per type), some not
    prefix = draw(st.sampled_from(['type = "track"', '(type = "track" or type = "page")', 'type = "page"',
                                   'type = "track" and type != "page"', ""]))  # fmt: skip
    parts = [prefix, "and", condition()] if prefix else [condition()]
    for _ in range(draw(st.integers(0, 3))):
        joiner = draw(st.sampled_from(["and", "or"]))
        if draw(st.booleans()):
            parts += [joiner, f"({condition()} {draw(st.sampled_from(['and', 'or']))} {condition()})"]
        else:
            parts += [joiner, condition()]
    return " ".join(parts)


trigger_events = st.fixed_dictionaries(
    {"type": st.sampled_from(TYPES)},
    optional={
        "event": st.sampled_from(["Order Completed", "X", "tr", "", None, 5]),
        "name": st.sampled_from(["X", "", None]),
        "userId": st.sampled_from(["u", 5, None]),
        "properties": st.sampled_from([{}, {"x": 5}, {"x": "X"}, {"x": None}, None, "s"]),
    },
)


@FAST
@given(triggers(), trigger_events)
def test_residual_trigger_equals_the_trigger(text, event):
    from actions.fql import FQLError, compile_trigger, residual_trigger, trigger_types

    try:
        types = trigger_types(text)
    except FQLError:
        return
    event_type = event.get("type")
    if types is None or type(event_type) is not str or event_type not in types:
        return
    rest = residual_trigger(text, event_type)
    expected = compile_trigger(text)(event)
    assert (rest if rest is True or rest is False else rest(event)) is expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(triggers(), min_size=1, max_size=4), st.lists(trigger_events, min_size=1, max_size=4))
def test_engine_send_is_fire_for_each_matching_subscription(texts, events_):
    """`send` (dispatch by type, the tests of type decided once) against the plain rule: `fire` of every
    subscription whose full trigger `matches`, in order; the same error when a trigger raises."""
    from actions import Engine
    from actions.fql import FQLError

    subs = []
    for i, text in enumerate(texts):
        try:
            from actions.fql import compile_trigger

            compile_trigger(text)
        except FQLError:
            continue
        subs.append({"name": f"s{i}", "partnerAction": "logEventV2", "subscribe": text,
                     "mapping": {"event_type": {"@path": "$.event"}, "user_id": {"@path": "$.userId"}}})  # fmt: skip
    if not subs:
        return
    engine = Engine({"apiKey": "k"}, subs, now=0)
    for event in events_ + events_:  # the second time from the engine's dispatch table
        def plain():
            return [engine.fire(i, event) for i in range(len(subs)) if engine.matches(i, event)]

        assert outcome(engine.send, event) == outcome(plain)
        assert outcome(lambda e: [x for _, x in engine.send_indexed(e)], event) == outcome(plain)


# -- @arrayPath with a string path, written into the generated function (its root looked up with the paths)

ARRAY_ROOTS = st.sampled_from(
    [[], [{"price": 1, "x": None}], [{"price": "2"}, 3, None, [1]], {"price": 5}, {}, "s", 0, None, True,
     [{"price": {"a": 1}}], [[{"price": 1}]]]
)  # fmt: skip
array_events = st.fixed_dictionaries(
    {}, optional={"arr": ARRAY_ROOTS, "o": st.fixed_dictionaries({}, optional={"arr": ARRAY_ROOTS}), "t": ARRAY_ROOTS}
)
array_path = st.sampled_from(["$.arr", "arr", "$.o.arr", "o.arr", "$.t", "$.missing.arr", "$.", ""])
array_shape = st.one_of(
    st.none(),
    st.sampled_from([{}, {"price": {"@path": "price"}}, {"p": {"@path": "$.price"}, "k": "c"},
                     {"n": {"@path": "missing"}}, {"x": {"@if": {"exists": {"@path": "price"}, "then": 1}}}]),
)  # fmt: skip


def array_directive(path, shape):
    return {"@arrayPath": [path] if shape is None else [path, shape]}


array_mappings = st.dictionaries(
    st.sampled_from(["products", "items", "a", "0"]),
    st.one_of(
        st.builds(array_directive, array_path, array_shape),
        st.builds(lambda p, s: {"inner": array_directive(p, s), "k": {"@path": "$.t"}}, array_path, array_shape),
        st.builds(lambda p: {"@path": p}, array_path),
    ),
    min_size=1,
    max_size=3,
)


@FAST
@given(array_mappings, array_events)
def test_array_path_generated_equals_the_directive(mapping_doc, data):
    from actions.mapping_kit.compile import compile_closures

    expected = outcome(compile_closures(mapping_doc), data)  # `_b_array_path`, no generated code
    assert outcome(compile_mapping(mapping_doc), data) == expected
    # fresh containers (removeUndefined copies): nothing of the output is a container of the event
    if expected[0] == "ok":
        assert not containers(compile_mapping(mapping_doc)(data)) & containers(data)


def containers(value, out=None) -> set:
    out = set() if out is None else out
    if isinstance(value, (dict, list)):
        out.add(id(value))
        for item in value.values() if isinstance(value, dict) else value:
            containers(item, out)
    return out


@pytest.mark.parametrize("slug", ["logEventV2", "logPurchase"])
def test_array_path_products_fused_equals_mapping_then_prepare(slug):
    schema = _schema(slug)

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(array_path, array_shape, array_events)
    def check(path, shape, data):
        mapping_doc = {"event_type": {"@path": "$.t"}, "products": array_directive(path, shape)}
        fused = compile_prepared(mapping_doc, schema)
        expected = prepared_outcome(lambda d: schema.prepare(compile_mapping(mapping_doc)(d)), data)
        assert prepared_outcome(fused, data) == expected
        from actions.mapping_kit.compile import compile_closures

        assert prepared_outcome(lambda d: schema.prepare(compile_closures(mapping_doc)(d)), data) == expected

    check()


# -- the schema's tests that a root value needs no change (`framework._fast_value`), against its slow step

FAST_TESTED = sorted(
    (slug, key) for slug in ACTIONS for key, entry in _schema(slug)._root.items() if entry[2] is not None
)
SCALARS = st.sampled_from(
    ["", "x", "0", "1.5", "true", None, True, False, 0, 1, -7, 2**60, 1.5, 2.0, -0.0, float("nan"), float("inf"),
     "2024-03-14T07:50:29.267Z", "2024-03-14T07:50:29Z", "2024-03-14", "2024-02-30", "1710402598803",
     "99999999999999999999", "1e+21", "not a date", "2024-03-14T07:50:29.267+01:00"]
)  # fmt: skip
ITEM_KEYS = st.sampled_from(["price", "quantity", "revenue", "productId", "revenueType", "extra", "0"])
ROOT_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(ITEM_KEYS, st.sampled_from(["initial_referrer", "referrer", "behavior", "model"])),
                        inner, max_size=4),
    ),
    max_leaves=8,
)  # fmt: skip
PRODUCT_LISTS = st.lists(st.one_of(st.dictionaries(ITEM_KEYS, SCALARS, max_size=5), SCALARS), max_size=4)


def slow_outcome(schema, key, value):
    """The value as removeEmptyValues and the check leave it, by the slow step alone."""
    out: dict = {}
    slow: list = []
    schema._slow_step(out, key, copy.deepcopy(value), slow)
    errors: list = []
    if key in out:
        out[key] = schema._root[key][0].check(out[key], "/" + key, errors)
    return strict(out), errors


@pytest.mark.parametrize("slug,key", FAST_TESTED)
def test_root_values_the_schema_keeps_need_no_change(slug, key):
    schema = _schema(slug)
    fast = schema._root[key][2]

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.one_of(ROOT_VALUES, PRODUCT_LISTS))
    def check(value):
        for _ in range(2):  # the second time from what the date-like test remembers
            if fast(value):
                assert slow_outcome(schema, key, value) == (strict({key: value}), [])

    check()


def test_products_lists_of_plain_values_are_kept_by_the_fast_test():
    fast = _schema("logPurchase")._root["products"][2]
    assert fast([{"price": 1.5, "quantity": 2, "productId": "p", "extra": [None]}, {}, {"quantity": 3.0}])
    assert fast([])
    for changed in ([{"price": "1.5"}], [{"quantity": 1.5}], [None], [{"price": None}], [{"price": True}],
                    [{"revenue": float("nan")}], {"price": 1}, [[]]):  # fmt: skip
        assert not fast(changed)


def test_date_like_strings_are_kept_by_the_fast_test():
    fast = _schema("logEventV2")._root["session_id"][2]
    for kept in ("1710402598803", "2024-03-14", "2024-03-14T07:50:29Z", 1.5):
        assert fast(kept) and fast(kept)
    for changed in ("", "not a date", "1e+21", float("inf")):
        assert not fast(changed) and not fast(changed)


# -- plain ISO timestamps: the minute remembered, the string the schema step found plain not matched again


def plain_iso_reference(value):
    import calendar

    if enrich._PLAIN_ISO_UTC.fullmatch(value) is None:
        return None
    midnight = calendar.timegm((int(value[:4]), int(value[5:7]), int(value[8:10]), 0, 0, 0)) * 1000
    ms = midnight + int(value[11:13]) * 3_600_000 + int(value[14:16]) * 60_000 + int(value[17:19]) * 1000
    return ms + int(value[20:23]) if len(value) == 24 else ms


def two_digits(first: str):
    return st.tuples(st.sampled_from(first), st.sampled_from("0123456789\u0663\u0669")).map("".join)


iso_texts = st.builds(
    lambda y, mo, d, h, mi, s, frac, z: f"{y}-{mo}-{d}T{h}:{mi}:{s}{frac}{z}",
    st.sampled_from(["1970", "2024", "2999", "1969", "3000", "2\u066024"]),
    two_digits("01"), two_digits("0123"), two_digits("0123"), two_digits("056"), two_digits("056"),
    st.sampled_from(["", ".000", ".999", ".5", ".1234", ".\u06699"]), st.sampled_from(["Z", "", "z"]),
)  # fmt: skip


@FAST
@given(st.lists(iso_texts, min_size=1, max_size=8), st.lists(st.sampled_from([None, "enrich", "schema"]), min_size=8,
                                                             max_size=8))
def test_plain_iso_ms_equals_the_arithmetic(texts, tested_first):
    schema_test = _schema("logEventV2")._root["time"][2]  # remembers the plain strings it finds, as is_plain_iso
    for text, tested in zip(texts + texts, tested_first + tested_first):
        if tested == "enrich":
            assert enrich.is_plain_iso(text) is (plain_iso_reference(text) is not None)
        elif tested == "schema":
            schema_test(text)
        assert strict(enrich.plain_iso_ms(text)) == strict(plain_iso_reference(text))


# -- removeUndefined: the usual scalar values skipped first


def remove_undefined_reference(value):
    """`removeUndefined` in its plain form: fresh containers, object keys holding undefined dropped."""
    if isinstance(value, dict):
        return {k: remove_undefined_reference(v) for k, v in value.items() if v is not UNDEFINED}
    if isinstance(value, list):
        return [remove_undefined_reference(v) for v in value]
    return value


class _Str(str):
    pass


class _Dict(dict):
    pass


UNDEFINED_VALUES = st.recursive(
    st.sampled_from(["", "x", _Str("s"), 0, 1, True, False, None, 1.5, UNDEFINED]),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "0"]), inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2).map(_Dict),
    ),
    max_leaves=10,
)


@FAST
@given(UNDEFINED_VALUES)
def test_remove_undefined_equals_the_plain_rule(value):
    from actions.mapping_kit.values import _remove_undefined

    out = _remove_undefined(value)
    assert strict(out) == strict(remove_undefined_reference(value))
    assert not containers(out) & containers(value)  # fresh containers


# -- identifyUser's `perform` (the payload copied without its consumed keys) against the dict-comprehension form


def plain_perform_identify(payload, settings_):
    from actions import identify_user as I

    properties = {k: v for k, v in payload.items() if k not in I._DROPPED}
    normalize_platform(properties, payload.get("library", UNDEFINED))
    utm = payload.get("utm_properties", UNDEFINED)
    if (isinstance(utm, dict) and utm) or truthy(payload.get("referrer", UNDEFINED)):
        user_properties = properties.get("user_properties", UNDEFINED)
        properties["user_properties"] = merge_user_properties(
            omit(user_properties if isinstance(user_properties, dict) else {}, ("utm_properties", "referrer")),
            convert_utm_properties(payload),
            convert_referrer_property(payload),
        )
    layer, _ = plain_user_agent_layer(payload)
    identification = {**layer, **properties, "library": "segment"}
    return [
        I.form_request(
            endpoint_for("identify", settings_.get("endpoint", UNDEFINED)),
            {"api_key": settings_.get("apiKey", UNDEFINED), "identification": I.dumps(identification),
             "options": I.min_id_length_option(payload)},
        )
    ]  # fmt: skip


IDENTIFY_KEYS = sorted(set(ACTIONS["identifyUser"].FIELDS) | set(VALUE_FOR))
identify_payloads = st.lists(st.sampled_from(IDENTIFY_KEYS), unique=True, max_size=14).flatmap(
    lambda keys: st.fixed_dictionaries({k: VALUE_FOR.get(k, ANY) for k in keys})
)


@FAST
@given(identify_payloads, SETTINGS)
def test_identify_user_perform_equals_the_plain_rule(payload, settings_):
    from actions import identify_user

    assert outcome(identify_user.perform, payload, settings_) == outcome(plain_perform_identify, payload, settings_)
