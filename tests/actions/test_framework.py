"""The framework steps between mapping and perform: empty values, coercion, validation messages."""

from __future__ import annotations

import math

import pytest

from actions import ACTIONS, AggregateAjvError
from actions.enrich import plain_iso_ms
from actions.framework import compile_schema, js_to_number, merge_default_mapping

LOG_EVENT = compile_schema(ACTIONS["logEvent"].FIELDS)
LOG_PURCHASE = compile_schema(ACTIONS["logPurchase"].FIELDS)
GROUP = compile_schema(ACTIONS["groupIdentifyUser"].FIELDS)


@pytest.mark.parametrize(
    "text, number",
    [("19.99", 19.99), (" 12 ", 12), ("", 0), ("  ", 0), ("0x10", 16), ("1e3", 1000), ("-Infinity", -math.inf),
     (".5", 0.5), ("5.", 5), ("1_000", math.nan), ("inf", math.nan), ("12abc", math.nan), ("+3", 3)],
)
def test_js_to_number(text, number):
    value = js_to_number(text)
    assert (math.isnan(value) and math.isnan(number)) or value == number


@pytest.mark.parametrize(
    "text",
    ["2021-08-17T15:21:15.449Z", "1970-01-01T00:00:00Z", "2999-12-28T23:59:59.999Z", "2024-02-28T12:00:00.000Z"],
)
def test_plain_iso_fast_path_agrees_with_the_date_parser(text):
    from actions import dayjs

    assert plain_iso_ms(text) == dayjs.utc_ms(text)
    assert dayjs.is_date_like(text)


@pytest.mark.parametrize("text", ["2024-02-29T00:00:00Z", "2021-08-17T15:21:15.4Z", "2021-08-17 15:21:15", "1629213675"])
def test_plain_iso_fast_path_leaves_other_forms_to_the_parser(text):
    assert plain_iso_ms(text) is None


def test_root_empty_strings_and_disallowed_nulls_are_removed():
    out = LOG_EVENT.prepare(
        {"event_type": "E", "user_id": None, "device_id": None, "city": "", "utm_properties": {"utm_source": ""}}
    )
    assert out == {"event_type": "E", "user_id": None, "utm_properties": {"utm_source": ""}}


def test_coercion_and_unknown_keys():
    payload = {
        "event_type": 5,
        "price": "19.99",
        "quantity": ["2"],
        "use_batch_endpoint": "true",
        "time": 1629213675449,
        "library2": {"behavior": "auto", "extra": 1},
        "not_a_field": "x",
    }
    out = LOG_EVENT.prepare(payload)
    assert out == {
        "event_type": "5",
        "price": 19.99,
        "quantity": 2,
        "use_batch_endpoint": True,
        "time": 1629213675449,
        "library2": {"behavior": "auto"},
    }
    assert payload["library2"] == {"behavior": "auto", "extra": 1}  # the input is not changed


def test_all_errors_in_runtime_order():
    with pytest.raises(AggregateAjvError) as err:
        LOG_EVENT.prepare(
            {"time": "not a date", "quantity": 1.5, "event_properties": [1], "library2": {"behavior": "legacy"}}
        )
    assert err.value.status == 400
    assert err.value.messages == [
        "The root value is missing the required field 'event_type'.",
        "Timestamp must be a valid date-like string but it was not.",
        "Event Properties must be an object but it was an array.",
        "Quantity must be an integer but it was a number.",
        'Behavior must be one of: "auto" or "use_mapping".',
    ]


def test_multi_type_fields_do_not_unwrap_single_item_arrays():
    # AJV checks an unwrapped item against all the types at once: a string item fails for string|number
    with pytest.raises(AggregateAjvError, match="Timestamp must be a string or number but it was a string"):
        LOG_EVENT.prepare({"event_type": "E", "time": ["2021-01-01"]})
    assert LOG_EVENT.prepare({"event_type": "E", "time": [5]})["time"] == "5"


def test_product_items_are_validated_but_not_cleaned():
    out = LOG_PURCHASE.prepare({"event_type": "E", "products": [None, {"price": None, "quantity": "3", "sku": 1}]})
    assert out["products"] == [{"price": 0, "quantity": 3, "sku": 1}]
    with pytest.raises(AggregateAjvError, match=r"The value at /products/0 must be an object but it was a string\."):
        LOG_PURCHASE.prepare({"event_type": "E", "products": ["x"]})


def test_group_type_required():
    with pytest.raises(AggregateAjvError) as err:
        GROUP.prepare({"group_value": "v"})
    assert str(err.value) == "The root value is missing the required field 'group_type'."


def test_default_mapping_merge_replaces_whole_defaults():
    fields = ACTIONS["logEvent"].FIELDS
    merged = merge_default_mapping(fields, {"library2": {}, "extra": 1})
    assert merged["library2"] == {}
    assert "groups" not in merged
    assert list(merged)[-1] == "extra"
    assert list(merged)[:3] == ["user_id", "device_id", "event_type"]
