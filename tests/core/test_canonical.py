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
