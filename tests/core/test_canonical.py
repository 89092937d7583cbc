"""Requests of every wire format reduce to the same canonical records, with Amplitude's server rules."""

import json

from migrate.canonical import records_from_requests

V2 = "https://api2.amplitude.com/2/httpapi"


def v2(*events, options=None):
    body = {"api_key": "k", "events": list(events)}
    if options:
        body["options"] = options
    return {"method": "POST", "url": V2, "headers": {"content-type": "application/json"}, "json": body}


def form(url, **fields):
    return {"method": "POST", "url": url, "headers": {"content-type": "application/x-www-form-urlencoded"},
            "form": {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}}


def test_v1_and_v2_events_give_the_same_record():
    event = {"event_type": "Viewed Home", "user_id": "user1234", "user_properties": {"plan": "pro"},
             "event_properties": {"a": 1}, "time": 1672531200000, "session_id": -1, "library": "segment"}
    v1 = form("https://api.amplitude.com/httpapi", api_key="k", event=[event])
    as_v2 = dict(event, user_properties={"$set": {"plan": "pro"}})
    assert records_from_requests([v1]) == records_from_requests([v2(as_v2)])
    (record,) = records_from_requests([v1])
    assert record == {"kind": "event", "event_type": "Viewed Home", "user_id": "user1234",
                      "user_properties": {"$set": {"plan": "pro"}}, "event_properties": {"a": 1},
                      "time": 1672531200000, "library": "segment"}


def test_short_and_junk_ids_are_dropped_and_rejection_is_kept():
    (a, b, c) = records_from_requests([v2({"event_type": "x", "user_id": "abc", "device_id": "device-1"},
                                          {"event_type": "x", "user_id": "null", "device_id": "0"},
                                          {"event_type": "x", "user_id": "abc"}, options={"min_id_length": 3})])
    assert a == {"kind": "event", "event_type": "x", "user_id": "abc", "device_id": "device-1"}
    assert "rejected" in b and "user_id" not in b
    assert c == {"kind": "event", "event_type": "x", "user_id": "abc"}
    (d,) = records_from_requests([v2({"event_type": "x", "user_id": "abc"})])
    assert "rejected" in d


def test_revenue_is_price_times_quantity_and_unknown_keys_are_not_stored():
    (r,) = records_from_requests([v2({"event_type": "Order", "user_id": "user1", "price": 2.5, "quantity": 4,
                                      "revenue": 99, "products": [{}], "use_batch_endpoint": False})])
    assert r["revenue"] == 10 and "products" not in r and "use_batch_endpoint" not in r


def test_identify_group_identify_usermap():
    reqs = [
        form("https://api2.amplitude.com/identify", api_key="k",
             identification={"user_id": "user1234", "user_properties": {"$set": {"a": 1}, "$setOnce": {}},
                              "library": "segment"}, options="undefined"),
        form("https://api2.amplitude.com/groupidentify", api_key="k",
             identification={"group_type": "org", "group_value": "acme", "group_properties": {"size": 5}}),
        form("https://api.amplitude.com/usermap", api_key="k", mapping=[{"user_id": "old-1", "global_user_id": "new-1"}]),
        {"method": "POST", "url": "https://amplitude.com/api/2/deletions/users", "json": {}},
    ]
    assert records_from_requests(reqs) == [
        {"kind": "identify", "user_id": "user1234", "user_properties": {"$set": {"a": 1}}, "library": "segment"},
        {"kind": "group_identify", "group_type": "org", "group_value": "acme", "group_properties": {"$set": {"size": 5}}},
        {"kind": "usermap", "user_id": "old-1", "global_user_id": "new-1"},
    ]


def test_long_strings_are_cut_at_1024():
    (r,) = records_from_requests([v2({"event_type": "x", "user_id": "user1", "event_properties": {"t": "é" * 2000}})])
    assert len(r["event_properties"]["t"]) == 1024


def test_v1_keeps_short_ids_that_v2_drops():
    event = {"event_type": "x", "user_id": "u1", "device_id": "dev-1"}
    (v1,) = records_from_requests([form("https://api.amplitude.com/httpapi", api_key="k", event=event)])
    (v2r,) = records_from_requests([v2(event)])
    assert v1["user_id"] == "u1" and "user_id" not in v2r


def test_revenue_is_derived_from_price_when_not_sent():
    (a, b) = records_from_requests([v2({"event_type": "P", "user_id": "user1", "price": 3, "quantity": 2},
                                       {"event_type": "P", "user_id": "user1", "price": 3})])
    assert a["revenue"] == 6 and b["revenue"] == 3


def test_language_tags_become_names_as_amplitude_stores_them():
    (a, b, c) = records_from_requests([v2({"event_type": "x", "user_id": "user1", "language": "pt-BR"},
                                          {"event_type": "x", "user_id": "user1", "language": "Portuguese"},
                                          {"event_type": "x", "user_id": "user1", "language": "Klingon-ish!"})])
    assert a["language"] == b["language"] == "Portuguese" and c["language"] == "Klingon-ish!"


# ---- the short cuts of the normaliser give what its general steps give

from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from migrate import canonical as _canonical  # noqa: E402
from migrate.amplitude import INVALID_IDS, language_name  # noqa: E402

_IDS = st.one_of(
    st.text(max_size=8), st.sampled_from(sorted(INVALID_IDS)).map(lambda s: s.upper() if len(s) % 2 else s),
    st.integers(-99, 10**7), st.floats(allow_nan=False), st.booleans(), st.lists(st.integers(), max_size=3),
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(["user_id", "device_id", "event_type"]), _IDS), st.integers(1, 8))
def test_kept_ids_short_cut_matches_the_id_rule(fields, min_len):
    record = {"kind": "event", **{k: v for k, v in fields.items() if v is not None}}
    expected = dict(record)
    for key in ("user_id", "device_id"):
        if key in expected:
            kept = _canonical._clean_id(expected[key], min_len)
            if kept is None:
                del expected[key]
            else:
                expected[key] = kept
    if "user_id" not in expected and "device_id" not in expected:
        expected["rejected"] = (f"no valid user_id or device_id (ids shorter than {min_len} or reserved are "
                                "dropped)")
    _canonical._apply_ids(record, min_len)
    assert record == expected and list(record) == list(expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["en-US", "en", "de-DE", "fr", "xx-YY", "English", "", "e", "zh-Hant-TW"]),
                min_size=1, max_size=6))
def test_remembered_language_names_are_the_language_rule(values):
    for value in values:
        assert _canonical._language(value) == language_name(value)


def _fold_reference(props):
    """`_fold_properties` as first written: the operation test on the tuple, `_cut` per value."""
    from migrate.amplitude import USER_PROPERTY_OPS

    plain, ops = {}, {}
    for key, value in props.items():
        if key in USER_PROPERTY_OPS:
            if isinstance(value, dict):
                if value:
                    ops.setdefault(key, {}).update({k: _canonical._cut(v) for k, v in value.items()})
            elif value not in (None, [], ""):
                ops[key] = value
        else:
            plain[key] = _canonical._cut(value)
    if plain:
        if "$set" in ops and not isinstance(ops["$set"], dict):
            return {**plain, **ops}  # nothing to fold the plain keys into
        merged = dict(plain)
        merged.update(ops.get("$set", {}))
        ops["$set"] = merged
    return ops


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["$set", "$setOnce", "$add", "$unset", "plan", "name", "$bogus", "n"]),
                       st.one_of(st.text(max_size=3), st.just("x" * 1030), st.none(), st.integers(),
                                 st.dictionaries(st.text(max_size=2), st.one_of(st.just("y" * 1100), st.integers()),
                                                 max_size=2))))
def test_folded_properties_are_the_first_written_rule(props):
    expected = _fold_reference(props)
    folded = _canonical._fold_properties(props)
    assert folded == expected and list(folded) == list(expected)


def test_a_non_object_set_beside_plain_keys_is_kept_as_sent():
    # it used to raise (dict.update on a string), which made compare stop with a traceback
    assert _canonical._fold_properties({"$set": "x", "plan": "paid"}) == {"plan": "paid", "$set": "x"}
    assert _canonical._fold_properties({"$set": ["a", "b"], "n": 1, "$add": {"k": 1}}) == \
        {"n": 1, "$set": ["a", "b"], "$add": {"k": 1}}
    # an object $set still takes the plain keys, its own values winning
    assert _canonical._fold_properties({"plan": "free", "$set": {"plan": "paid"}}) == {"$set": {"plan": "paid"}}


def _normalize_event_reference(event, min_id_length=None):
    """`normalize_event` as first written: every step run on every event, in the documented order."""
    from migrate.amplitude import DEFAULT_MIN_ID_LENGTH, EVENT_FIELDS, MAX_STRING

    min_len = min_id_length or DEFAULT_MIN_ID_LENGTH
    record = {"kind": "event"}
    for key, value in event.items():
        if key in EVENT_FIELDS and value is not None:
            record[key] = value
    for key in ("user_id", "device_id"):
        if record.get(key) is not None:
            kept = _canonical._clean_id(record[key], min_len)
            if kept is None:
                del record[key]
            else:
                record[key] = kept
    if "user_id" not in record and "device_id" not in record:
        record["rejected"] = f"no valid user_id or device_id (ids shorter than {min_len} or reserved are dropped)"
    if isinstance(record.get("language"), str):
        record["language"] = language_name(record["language"])
    if record.get("event_type") in (None, ""):
        record["rejected"] = "missing event_type"
    if record.get("session_id") == -1:
        del record["session_id"]
    if isinstance(record.get("time"), str) and record["time"].isdigit():
        record["time"] = int(record["time"])
    if "user_properties" in record:
        folded = _fold_reference(record["user_properties"]) if isinstance(record["user_properties"], dict) \
            else record["user_properties"]
        if folded:
            record["user_properties"] = folded
        else:
            del record["user_properties"]
    for key in ("event_properties", "group_properties"):
        if key in record:
            if record[key] == {}:
                del record[key]
            elif isinstance(record[key], dict):
                record[key] = {k: _canonical._cut(v) for k, v in record[key].items()}
    if record.get("groups") == {}:
        del record["groups"]
    price, quantity = record.get("price"), record.get("quantity")
    number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)  # noqa: E731
    if number(price) and (number(quantity) or "revenue" not in record):
        record["revenue"] = price * (quantity if number(quantity) else 1)
    for key, value in record.items():
        if isinstance(value, str) and len(value) > MAX_STRING:
            record[key] = value[:MAX_STRING]
    return record


_LONG = "z" * 1030
_ANY = st.one_of(st.just(_LONG), st.none(), st.booleans(), st.integers(-2, 3), st.floats(-2, 3, allow_nan=False), st.just(-1),
                 st.text(max_size=4), st.sampled_from(["", "123", "en-US", "de", _LONG, "anonymous", "user-1"]),
                 st.dictionaries(st.sampled_from(["$set", "$add", "plan", "k"]),
                                 st.one_of(st.none(), st.just(_LONG), st.integers(), st.just({}),
                                           st.dictionaries(st.just("p"), st.sampled_from(["v", _LONG]))),
                                 max_size=3),
                 st.lists(st.integers(), max_size=2))
_EVENT_KEYS = st.sampled_from(["user_id", "device_id", "event_type", "time", "language", "session_id", "price",
                               "quantity", "revenue", "user_properties", "event_properties", "group_properties",
                               "groups", "platform", "library", "use_batch_endpoint", "kind", "device_type"])


@settings(max_examples=1000, deadline=None)
@given(st.dictionaries(_EVENT_KEYS, _ANY, max_size=10), st.sampled_from([None, 1, 5, 8]))
@example({"user_id": "user-1", "event_type": "e", "platform": _LONG}, None)  # a long string last
@example({"device_id": "d-123", "event_type": _LONG, "session_id": -1.0, "time": "17"}, 1)
@example({"device_id": "d-123", "event_type": "e", "price": 2.5, "quantity": True, "revenue": 1}, None)
def test_normalized_events_are_the_plain_rule(event, min_len):
    expected = _normalize_event_reference(event, min_len)
    record = _canonical.normalize_event(event, min_len)
    assert record == expected and list(record) == list(expected)
    assert [type(v) for v in record.values()] == [type(v) for v in expected.values()]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(st.one_of(st.dictionaries(_EVENT_KEYS, _ANY, max_size=5), st.integers(), st.none()),
                          max_size=3),
                 st.dictionaries(_EVENT_KEYS, _ANY, max_size=5), st.none(), st.text(max_size=2)),
       st.one_of(st.none(), st.just({}), st.fixed_dictionaries({"min_id_length": st.integers(0, 9)})))
def test_v2_records_are_the_items_rule(events, options):
    body = {"api_key": "k", "events": events} if options is None else {"events": events, "options": options}
    request = {"url": "https://api2.amplitude.com/2/httpapi", "json": body}
    min_len = _canonical._min_id_length(options)
    expected = [_normalize_event_reference(e, min_len) for e in _canonical._items(events)]
    assert _canonical.records_from_request(request) == expected


class _Text(str):
    """A string of another class: the id rule's own path (`_clean_id`), never the inline one."""


_ID_VALUES = st.one_of(_IDS, st.sampled_from(["user-1", "abcde", "abcd", "NULL", "Anonymous", "None", "0"]),
                       st.text(min_size=4, max_size=7).map(_Text))
_PROPS = st.one_of(st.none(), st.just({}), st.text(max_size=3), st.integers(),
                   st.dictionaries(st.sampled_from(["a", "b", "$set"]),
                                   st.one_of(st.integers(), st.none(), st.sampled_from(["x", "y" * 1024, "y" * 1025]),
                                             st.just(_Text("z" * 1025)), st.just({})),
                                   max_size=3))


@settings(max_examples=1000, deadline=None)
@given(st.fixed_dictionaries({}, optional={"user_id": _ID_VALUES, "device_id": _ID_VALUES,
                                           "event_type": st.sampled_from(["e", ""]),
                                           "event_properties": _PROPS, "group_properties": _PROPS,
                                           "platform": st.just("p")}),
       st.sampled_from([None, 1, 4, 5, 6, 8]))
def test_inline_id_rule_and_property_cut_are_the_plain_rule(event, min_len):
    """`normalize_event` tests the usual ids and looks for long property strings without calling
    `_apply_ids` and `_cut_props`: the same records, key order and value types as the rule."""
    expected = _normalize_event_reference(event, min_len)
    record = _canonical.normalize_event(event, min_len)
    assert record == expected and list(record) == list(expected)
    assert [type(v) for v in record.values()] == [type(v) for v in expected.values()]
    for key in ("event_properties", "group_properties"):
        if isinstance(event.get(key), dict) and event[key] and key in record:
            assert record[key] == expected[key] and list(record[key]) == list(expected[key])
            assert [type(v) for v in record[key].values()] == [type(v) for v in expected[key].values()]


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.dictionaries(st.sampled_from(["plan", "name", "n", "$bogus", "set", "1"]),
                                 st.one_of(st.text(max_size=3), st.just("x" * 1024), st.just("x" * 1025),
                                           st.just(_Text("t" * 1025)), st.none(), st.integers(), st.just({}),
                                           st.just([])),
                                 max_size=5),
                 st.dictionaries(st.sampled_from(["plan", "$set", "$add"]), st.one_of(st.integers(), st.just({})),
                                 max_size=2)))
def test_plain_user_properties_fold_as_the_first_written_rule(props):
    """The plain-keys-only path of `_fold_properties`: the same `$set`, key order and value types as the
    rule, in a new object (never the event's own)."""
    expected = _fold_reference(props)
    folded = _canonical._fold_properties(props)
    assert folded == expected and list(folded) == list(expected)
    for key, value in expected.items():
        if isinstance(value, dict):
            assert list(folded[key]) == list(value) and folded[key] is not props
            assert [type(v) for v in folded[key].values()] == [type(v) for v in value.values()]


class _Lang(str):
    """A language value of another class than `str`: never taken from the remembered names."""


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["en-US", "de", "xx-YY", "English", "", "nl-NL"]), st.booleans()),
                min_size=1, max_size=6),
       st.sampled_from(["https://api2.amplitude.com/2/httpapi", "https://api.eu.amplitude.com/batch",
                        "https://api2.amplitude.com/httpapi", "https://x.example/2/httpapi/", "", "https://a/b"]))
def test_remembered_languages_and_endpoints_are_the_rules(values, url):
    """The language names and URL endpoints `normalize_event` and `records_from_request` remember give what
    `language_name` and `_endpoint` give, for repeated values and for a `str` subclass."""
    for value, other_class in values:
        value = _Lang(value) if other_class else value
        event = {"user_id": "u1", "event_type": "e", "language": value}  # an id v1 keeps and v2 drops
        expected = _normalize_event_reference(event)
        for _ in range(2):
            record = _canonical.normalize_event(event)
            assert record == expected and type(record["language"]) is type(expected["language"])
        body = {"events": [event]}
        request = {"url": url, "json": body, "form": {"event": json.dumps([event])}}
        endpoint, version2 = _canonical._endpoint(url)
        _canonical._ENDPOINTS.clear()
        first = _canonical.records_from_request(request)
        assert _canonical.records_from_request(request) == first
        if endpoint in ("httpapi", "batch") and (version2 or endpoint == "batch"):
            assert first == [expected]
        elif endpoint == "httpapi":
            assert first == [_normalize_event_reference(event, 1)]
        else:
            assert first == []


_LONG_ID = list(range(400))  # an id Amplitude reads as the text "0,1,2,...": longer than it keeps


@settings(max_examples=500, deadline=None)
@given(st.fixed_dictionaries({"event_type": st.sampled_from(["e", "", _Text("e" * 1025), "e" * 1025])},
                             optional={"user_id": st.sampled_from([_LONG_ID, "user-1", _Text("u" * 1030), "x"]),
                                       "device_id": st.sampled_from([_LONG_ID, "dev-12", 12345]),
                                       "language": st.sampled_from(["en-US", "l" * 1030, _Text("l" * 1030)]),
                                       "platform": st.sampled_from([_Text("p" * 1025), "p" * 1024, "p"])}),
       st.sampled_from([None, 1, 5, 10 ** 1100]))
def test_long_top_level_strings_are_cut_as_the_plain_rule(event, min_len):
    """`normalize_event` looks for long top-level strings as it copies the fields and after the steps that
    make text (the id rule, a language name): the same cuts as looking at every value at the end."""
    expected = _normalize_event_reference(event, min_len)
    record = _canonical.normalize_event(event, min_len)
    assert record == expected and list(record) == list(expected)
    assert [type(v) for v in record.values()] == [type(v) for v in expected.values()]
