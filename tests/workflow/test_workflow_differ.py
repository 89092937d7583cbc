"""The differ on hand-made canonical records: equivalence rules, alignment and categories."""

import pytest

from migrate.canonical import normalize_record
from migrate.differ import align, categorize, diff_event, same


def ev(event_type="Song Played", **fields):
    return {"kind": "event", "event_type": event_type, "user_id": "user-1234", "device_id": "device-1234",
            "time": 1718175688937, **fields}


def test_identical_records_match():
    out = diff_event([ev(event_properties={"a": 1})], [ev(event_properties={"a": 1})])
    assert out.matched and out.differences == []


@pytest.mark.parametrize(
    "classic, actions",
    [
        (ev(event_properties={"n": 1}), ev(event_properties={"n": 1.0})),  # one JSON number type
        (ev(event_properties={}), ev()),  # empty object == absent
        (ev(session_id=-1), ev()),  # -1 is "no session"
        (ev(language="English"), ev(language="en-US")),  # Amplitude rewrites tags to names
        (ev(user_id=None), {k: v for k, v in ev().items() if k != "user_id"}),
    ],
)
def test_equivalent_in_amplitude(classic, actions):
    assert diff_event([classic], [actions]).matched


def test_boolean_is_not_a_number():
    out = diff_event([ev(event_properties={"flag": True})], [ev(event_properties={"flag": 1})])
    assert not out.matched
    assert [d.category for d in out.differences] == ["event_properties"]
    assert not same(True, 1) and same(1, 1.0)


def test_unknown_language_tag_still_differs():
    assert not diff_event([ev(language="Klingon")], [ev(language="qq-KL")]).matched  # qq: no ISO 639 language


def test_one_language_table_for_both_sides():
    # a device-mode record carries the SDK's tag, a cloud record the name canonical gave it: same table
    from migrate.canonical import records_from_requests

    (cloud,) = records_from_requests([{"method": "POST", "url": "https://api2.amplitude.com/2/httpapi",
                                       "json": {"events": [ev(language="el-GR")]}}])
    assert diff_event([ev(language="el")], [cloud]).matched
    assert diff_event([ev(language="tlh")], [ev(language="Klingon")]).matched


def test_normalize_does_not_touch_input():
    record = ev(groups={}, session_id=-1)
    normalize_record(record)
    assert record["groups"] == {} and record["session_id"] == -1


def test_changed_fields_are_categorised_with_paths():
    classic = ev(user_properties={"$set": {"plan": "pro", "id": "user-1234"}}, library="segment",
                 revenue=10, session_id=1718175000000)
    actions = ev(user_properties={"$set": {"plan": "pro"}}, library="analytics.js", session_id=1718175999999)
    out = diff_event([classic], [actions])
    got = {(d.category, d.path) for d in out.differences}
    assert got == {
        ("user_properties", "user_properties.$set.id"),
        ("platform_fields", "library"),
        ("revenue", "revenue"),
        ("session", "session_id"),
    }
    removed = next(d for d in out.differences if d.path == "revenue")
    assert removed.classic == 10 and removed.actions is None


def test_insert_id_is_wire_only_and_keeps_parity():
    out = diff_event([ev()], [ev(insert_id="msg-1")])
    assert out.differences and out.differences[0].category == "wire_only"
    assert out.matched


def test_renamed_event_is_paired_not_missing():
    out = diff_event([ev("Viewed Docs Page")], [ev("Viewed Docs")])
    assert [(d.category, d.classic, d.actions) for d in out.differences] == [
        ("event_renamed", "Viewed Docs Page", "Viewed Docs")]


def test_missing_extra_and_product_purchased():
    classic = [ev("Order Completed"), ev("Product Purchased", event_properties={"sku": "a"}),
               {"kind": "identify", "user_id": "user-1234"}]
    actions = [ev("Order Completed"), {"kind": "group_identify", "group_type": "t", "group_value": "v"}]
    out = diff_event(classic, actions)
    cats = sorted(d.category for d in out.differences)
    # the identify has no counterpart; the Product Purchased pairs with nothing of its kind left
    assert cats == ["event_missing", "group", "product_purchased"]
    assert not out.matched


def test_extra_event_in_actions():
    out = diff_event([ev("A")], [ev("A"), ev("A")])
    assert [d.category for d in out.differences] == ["event_extra"]


def test_alignment_prefers_same_event_type():
    a1, a2 = ev("A"), ev("B")
    pairs = align([ev("B"), ev("A")], [a1, a2])
    assert [(c["event_type"], a["event_type"]) for c, a in pairs] == [("B", "B"), ("A", "A")]


def test_device_mode_placeholder_never_matches():
    classic = ev(device_id="<sdk-device-id>")
    out = diff_event([classic], [ev(device_id="<sdk-device-id>")])
    assert [d.category for d in out.differences] == ["device_id"]
    assert not out.matched


def test_rejected_record_counts():
    classic = ev()
    actions = {k: v for k, v in ev().items() if k not in ("user_id", "device_id")}
    actions["rejected"] = "no valid user_id or device_id"
    out = diff_event([classic], [actions])
    assert "rejected" in {d.category for d in out.differences}
    assert not out.matched


@pytest.mark.parametrize(
    "path, category",
    [
        (["event_type"], "event_renamed"),
        (["device_id"], "device_id"),
        (["user_id"], "user_id"),
        (["groups", "org"], "group"),
        (["time"], "time"),
        (["os_name"], "platform_fields"),
        (["country"], "other_fields"),
        (["event_properties", "x"], "event_properties"),
        (["use_batch_endpoint"], "wire_only"),
    ],
)
def test_categorize(path, category):
    assert categorize("event", "Song Played", path)[0] == category


def test_product_purchased_fields_have_their_own_category():
    assert categorize("event", "Product Purchased", ["event_properties", "sku"])[0] == "product_purchased"
