"""The engine API: loading subscriptions (both shapes, errors), presets, and Engine.send."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from actions import ConfigError, Engine, load_subscriptions, preset_subscriptions
from actions.destination import ACTIONS
from actions.fields import default_values

CASES = Path(__file__).resolve().parent.parent / "cases" / "actions" / "upstream"
SETTINGS = {"apiKey": "fake-api-key", "secretKey": "fake-secret", "endpoint": "north_america"}
NOW = 1710460800000


def _event(case: str) -> dict:
    return json.loads((CASES / f"{case}.json").read_text(encoding="utf-8"))["event"]


TRACK = _event("logEventV2__works-with-default-mappings")


def _with(base: dict, **changes) -> dict:
    out = copy.deepcopy(base)
    out.update(changes)
    return out


# ---------------------------------------------------------------------------------------------------------
# load_subscriptions


def test_runtime_shape_is_normalised():
    subs = load_subscriptions(
        [{"name": "Track", "partnerAction": "logEvent", "subscribe": 'type = "track"', "mapping": {"a": 1}}],
        source="subs.json",
    )
    assert subs == [
        {"name": "Track", "partnerAction": "logEvent", "subscribe": 'type = "track"', "mapping": {"a": 1}, "enabled": True}
    ]


def test_public_api_shape_with_slug_or_action_name():
    doc = {
        "data": {
            "subscriptions": [
                {"name": "A", "actionSlug": "logEventV2", "trigger": 'type = "page"', "settings": {}, "enabled": True},
                {"name": "B", "action": "Identify User", "trigger": 'type = "identify"', "settings": {"x": 1}},
                {"name": "C", "actionSlug": "mapUser", "trigger": 'type = "alias"', "enabled": False},
            ]
        }
    }
    subs = load_subscriptions(doc, source="api.json")
    assert [(s["name"], s["partnerAction"], s["subscribe"], s["mapping"]) for s in subs] == [
        ("A", "logEventV2", 'type = "page"', {}),
        ("B", "identifyUser", 'type = "identify"', {"x": 1}),
    ]


def test_unknown_action_names_valid_slugs_and_source():
    with pytest.raises(ConfigError) as err:
        load_subscriptions([{"name": "X", "partnerAction": "logEvnt", "subscribe": 'type = "track"'}], "subs.json")
    text = str(err.value)
    assert "subs.json" in text and "'X'" in text and "logEvnt" in text
    for slug in ACTIONS:
        assert slug in text


def test_bad_fql_names_the_subscription():
    with pytest.raises(ConfigError) as err:
        load_subscriptions([{"name": "Broken", "partnerAction": "logEvent", "subscribe": 'type = "track'}], "s.json")
    assert "s.json" in str(err.value) and "'Broken'" in str(err.value) and "does not parse" in str(err.value)


def test_missing_trigger_and_bad_shapes():
    with pytest.raises(ConfigError, match="missing trigger"):
        load_subscriptions([{"name": "N", "partnerAction": "logEvent"}], "s.json")
    with pytest.raises(ConfigError, match="expected a list"):
        load_subscriptions("nope", "s.json")
    with pytest.raises(ConfigError, match="subscription #2"):
        load_subscriptions([{"partnerAction": "logEvent", "subscribe": 'type = "track"'}, 5], "s.json")
    with pytest.raises(ConfigError, match="mapping must be an object"):
        load_subscriptions([{"partnerAction": "logEvent", "subscribe": 'type = "track"', "mapping": []}], "s.json")


def test_invalid_mapping_is_a_config_error():
    with pytest.raises(ConfigError, match="invalid mapping"):
        load_subscriptions(
            [{"name": "M", "partnerAction": "logEvent", "subscribe": 'type = "track"', "mapping": {"a": {"@path": 5}}}],
            "s.json",
        )


def test_session_plugin_subscription_gets_a_hint():
    with pytest.raises(ConfigError, match="browser"):
        load_subscriptions([{"name": "S", "partnerAction": "sessionId", "subscribe": 'type = "track"'}], "s.json")


# ---------------------------------------------------------------------------------------------------------
# presets


def test_presets_are_the_destination_defaults():
    presets = {p["name"]: p for p in preset_subscriptions()}
    assert list(presets) == ["Track Calls", "Order Completed Calls", "Page Calls", "Screen Calls", "Identify Calls"]
    assert presets["Track Calls"]["mapping"] == default_values(ACTIONS["logEventV2"].FIELDS)
    assert presets["Order Completed Calls"]["mapping"]["trackRevenuePerProduct"] is False
    assert presets["Page Calls"]["mapping"]["event_type"] == {"@template": "Viewed {{name}}"}
    assert "groups" not in presets["Track Calls"]["mapping"]
    # a copy: changing it does not change the next call's presets
    presets["Track Calls"]["mapping"]["event_type"] = "x"
    assert preset_subscriptions()[0]["mapping"]["event_type"] == {"@path": "$.event"}


# ---------------------------------------------------------------------------------------------------------
# Engine.send


@pytest.fixture(scope="module")
def engine():
    return Engine(SETTINGS, preset_subscriptions(), now=NOW)


def test_track_fires_track_calls_only(engine):
    fired = engine.send(copy.deepcopy(TRACK))
    assert [(f["subscription"], f["action"], f["error"]) for f in fired] == [("Track Calls", "logEventV2", None)]
    (request,) = fired[0]["requests"]
    assert request["url"] == "https://api2.amplitude.com/2/httpapi"
    assert request["json"]["api_key"] == "fake-api-key"
    assert request["json"]["events"][0]["event_type"] == "Test Event"


def test_order_completed_goes_to_log_purchase(engine):
    event = _with(TRACK, event="Order Completed", properties={"revenue": 10, "products": [{"price": 2, "quantity": 3}]})
    fired = engine.send(event)
    assert [f["subscription"] for f in fired] == ["Order Completed Calls"]
    events = fired[0]["requests"][0]["json"]["events"]
    assert [e["event_type"] for e in events] == ["Order Completed", "Product Purchased"]
    assert events[0]["revenue"] == 10 and "revenue" not in events[1]


def test_page_and_screen_use_the_template(engine):
    page = engine.send(_with(TRACK, type="page", name="Home"))
    screen = engine.send(_with(TRACK, type="screen"))
    assert page[0]["subscription"] == "Page Calls"
    assert page[0]["requests"][0]["json"]["events"][0]["event_type"] == "Viewed Home"
    assert screen[0]["requests"][0]["json"]["events"][0]["event_type"] == "Viewed "


def test_identify_sends_a_form(engine):
    fired = engine.send(_with(TRACK, type="identify", traits={"plan": "pro"}))
    assert [f["subscription"] for f in fired] == ["Identify Calls"]
    form = fired[0]["requests"][0]["form"]
    assert list(form) == ["api_key", "identification", "options"]
    assert form["api_key"] == "fake-api-key" and form["options"] == "undefined"
    assert json.loads(form["identification"])["user_properties"] == {"plan": "pro"}


def test_unmatched_event_fires_nothing(engine):
    assert engine.send(_with(TRACK, type="alias")) == []


def test_validation_error_is_reported_not_raised(engine):
    fired = engine.send(_with(TRACK, event=None))
    assert fired[0]["requests"] == []
    assert fired[0]["error"] == {
        "name": "AggregateAjvError",
        "message": "The root value is missing the required field 'event_type'.",
        "status": 400,
    }


MAP_USER = default_values(ACTIONS["mapUser"].FIELDS)


def test_disabled_subscription_is_skipped():
    subs = [
        {"name": "on", "partnerAction": "mapUser", "subscribe": 'type = "alias"', "mapping": MAP_USER, "enabled": True},
        {"name": "off", "partnerAction": "mapUser", "subscribe": 'type = "alias"', "mapping": MAP_USER, "enabled": False},
    ]
    fired = Engine(SETTINGS, subs).send(_with(TRACK, type="alias", previousId="old"))
    assert [f["subscription"] for f in fired] == ["on"]
    assert fired[0]["requests"][0]["form"]["mapping"] == '[{"user_id":"old","global_user_id":"user1234"}]'


def test_group_identify_time_defaults_to_frozen_now():
    subs = load_subscriptions(
        [
            {
                "name": "G",
                "partnerAction": "groupIdentifyUser",
                "subscribe": 'type = "group"',
                "mapping": {
                    **default_values(ACTIONS["groupIdentifyUser"].FIELDS),
                    "group_type": "org",
                    "group_value": {"@path": "$.groupId"},
                },
            }
        ],
        "g.json",
    )
    event = _with(TRACK, type="group", groupId="g1")
    del event["timestamp"]
    fired = Engine(SETTINGS, subs, now=NOW).send(event)
    identify, group = fired[0]["requests"]
    assert json.loads(identify["form"]["identification"])[0]["time"] == NOW
    assert json.loads(group["form"]["identification"])[0]["group_value"] == "g1"


def test_event_is_not_modified_by_coercion():
    event = _with(TRACK, event="Order Completed", properties={"products": [{"price": "5", "quantity": "2"}]})
    before = copy.deepcopy(event)
    subs = [{**preset_subscriptions()[1], "mapping": {**preset_subscriptions()[1]["mapping"], "products": {"@path": "$.properties.products"}}}]
    fired = Engine(SETTINGS, subs).send(event)
    assert event == before
    product_event = fired[0]["requests"][0]["json"]["events"][1]
    assert product_event["event_properties"] == {"price": 5, "quantity": 2}
    # the main event's event_properties keep the original strings
    assert fired[0]["requests"][0]["json"]["events"][0]["event_properties"]["products"] == [{"price": "5", "quantity": "2"}]


def test_responder_turns_status_into_http_error_and_stops():
    subs = [
        {
            "name": "G",
            "partnerAction": "groupIdentifyUser",
            "subscribe": 'type = "group"',
            "mapping": {"user_id": {"@path": "$.userId"}, "group_type": "org", "group_value": "v"},
        }
    ]
    fired = Engine(SETTINGS, subs, now=NOW, responder=lambda request: 429).send(_with(TRACK, type="group"))
    assert fired[0]["error"] == {"name": "HTTPError", "message": "Too Many Requests", "status": 429}
    assert [r["url"] for r in fired[0]["requests"]] == ["https://api2.amplitude.com/identify"]


def test_settings_region_and_missing_api_key():
    fired = Engine({"endpoint": "europe"}, preset_subscriptions()).send(copy.deepcopy(TRACK))
    request = fired[0]["requests"][0]
    assert request["url"] == "https://api.eu.amplitude.com/2/httpapi"
    assert "api_key" not in request["json"]
