"""translate: every classic setting accounted for, and the subscriptions each setting produces."""

import copy
import json
from pathlib import Path

import pytest

import actions
from classic.settings import SETTINGS
from migrate.canonical import records_from_requests
from migrate.translate import SESSION_ID, to_public_api, translate

DATA = Path(__file__).parent / "data"
FULL = json.loads((DATA / "classic-settings-full.json").read_text())


def by_name(result):
    return {s["name"]: s for s in result.subscriptions}


def log_of(result):
    return {e["key"]: e for e in result.log}


def test_every_catalog_key_is_in_the_log_with_a_valid_status():
    result = translate(FULL)
    log = log_of(result)
    assert set(SETTINGS) <= set(log)
    for entry in result.log:
        assert entry["status"] in ("exact", "approximated", "not_migratable", "default"), entry
        assert entry["reason"], entry


def test_absent_keys_are_logged_as_catalog_defaults():
    log = log_of(translate({"apiKey": "0123456789abcdef"}))
    assert set(SETTINGS) <= set(log)
    assert log["trackNamedPages"]["present"] is False
    assert "present" not in log["apiKey"]


def test_unknown_keys_are_not_silently_ignored():
    log = log_of(translate({**FULL, "someLegacyFlag": True}))
    assert log["someLegacyFlag"]["status"] == "not_migratable"


def test_secrets_never_appear():
    settings = {**FULL, "apiKey": "a1b2c3d4e5f6a7b8c9d0", "secretKey": "s3cr3t-s3cr3t-s3cr3t"}
    result = translate(settings)
    text = json.dumps([result.subscriptions, result.log, result.notes])
    assert "a1b2c3d4e5f6a7b8c9d0" not in text and "s3cr3t-s3cr3t-s3cr3t" not in text
    assert result.settings["apiKey"] == "a1b2c3d4e5f6a7b8c9d0"  # kept for the engine, never printed


def test_public_api_document_input_and_masked_secrets():
    doc = {"data": {"destination": {"id": "d1", "enabled": True, "settings": {**FULL, "apiKey": "••••7d35"}}}}
    result = translate(doc)
    assert log_of(result)["apiKey"]["value"] == "••••••••"
    assert result.settings["apiKey"] == "••••7d35"  # opaque: passed on, never unmasked
    assert by_name(result).keys() == by_name(translate(FULL)).keys()


def test_events_are_deduplicated_and_sessions_kept():
    subs = by_name(translate(FULL))
    for name in ("Track Calls", "Order Completed Calls", "Named Pages"):
        m = subs[name]["mapping"]
        assert m["insert_id"] == {"@path": "$.messageId"}
        assert m["session_id"] == SESSION_ID
    assert 'event != "Order Completed"' in subs["Track Calls"]["subscribe"]
    assert subs["Order Completed Calls"]["partnerAction"] == "logPurchase"


def test_trait_operations_become_identify_operations():
    settings = {**FULL, "traitsToIncrement": ["logins"], "traitsToSetOnce": ["first_seen", "logins"]}
    result = translate(settings)
    assert log_of(result)["traitsToIncrement"]["status"] == "exact"
    engine = actions.Engine(result.settings, [by_name(result)["Identify Calls"]])
    event = {"type": "identify", "userId": "user-1234", "messageId": "m1",
             "traits": {"logins": 3, "first_seen": "2024-01-01", "plan": "pro"}}
    [fired] = engine.send(event)
    [record] = records_from_requests(fired["requests"])
    assert record["user_properties"] == {
        "$set": {"plan": "pro"},
        "$add": {"logins": 3},  # $add wins over $setOnce, as in Classic
        "$setOnce": {"first_seen": "2024-01-01"},
    }


def test_prefer_anonymous_id_reorders_device_id():
    subs = translate({**FULL, "preferAnonymousIdForDeviceId": True}).subscriptions
    for sub in subs:
        if "device_id" in sub["mapping"]:
            assert sub["mapping"]["device_id"]["@if"]["exists"] == {"@path": "$.anonymousId"}, sub["name"]


def test_batch_endpoint_and_revenue_per_product():
    subs = by_name(translate({**FULL, "sendToBatchEndpoint": True, "trackRevenuePerProduct": True}))
    assert subs["Track Calls"]["mapping"]["use_batch_endpoint"] is True
    assert subs["Order Completed Calls"]["mapping"]["trackRevenuePerProduct"] is True


def test_alias_only_with_send_alias():
    assert "Map User (alias)" not in by_name(translate({**FULL, "sendAlias": False}))
    mapping = by_name(translate({**FULL, "sendAlias": True}))["Map User (alias)"]
    assert mapping["subscribe"] == 'type = "alias"'


def test_group_type_and_value_traits_with_legacy_fallback():
    group = by_name(translate({**FULL, "groupTypeTrait": "plan", "groupValueTrait": "company"}))["Group Identify User"]
    m = group["mapping"]
    assert m["group_type"]["@if"]["blank"] == {"@path": "$.traits.plan"}  # Classic: truthy values only
    assert "[Segment] Group" in json.dumps(m["group_type"])
    assert {"@path": "$.groupId"} in (m["group_value"]["@if"]["else"], m["group_value"]["@if"]["then"]["@if"]["else"])
    legacy = by_name(translate({**FULL, "groupTypeTrait": "", "groupValueTrait": ""}))["Group Identify User"]
    assert legacy["mapping"]["group_type"] == "[Segment] Group"


@pytest.mark.parametrize(
    "flags, names",
    [
        ({"trackAllPages": False, "trackCategorizedPages": True, "trackNamedPages": True},
         {"Categorized Pages", "Named Pages"}),
        ({"trackAllPages": True, "trackCategorizedPages": False, "trackNamedPages": False},
         {"All Pages (Loaded a Page)"}),
        ({"trackAllPages": False, "trackCategorizedPages": False, "trackNamedPages": False}, set()),
    ],
)
def test_one_page_subscription_per_enabled_setting(flags, names):
    subs = translate({**FULL, **flags}).subscriptions
    assert {s["name"] for s in subs if 'type = "page"' in s["subscribe"]} == names


def test_code2017_naming_uses_mutually_exclusive_triggers():
    flags = {"trackAllPages": True, "trackCategorizedPages": True, "trackNamedPages": True}
    subs = translate({**FULL, **flags}, page_naming="code2017").subscriptions
    triggers = sorted(s["subscribe"] for s in subs if 'type = "page"' in s["subscribe"])
    # an empty name is no name for Classic (a truthiness check), so the triggers test it too
    assert triggers == ['type = "page" and (name = null or name = "")', 'type = "page" and name != null and name != ""']


def test_web_mode_has_no_screen_subscriptions_and_mobile_no_pages():
    web = translate(FULL, mode="web").subscriptions
    assert not any('type = "screen"' in s["subscribe"] for s in web)
    ios = translate({**FULL, "trackAllPagesV2": True}, mode="ios").subscriptions
    assert not any('type = "page"' in s["subscribe"] for s in ios)
    [screen] = [s for s in ios if 'type = "screen"' in s["subscribe"]]
    assert screen["mapping"]["event_type"] == "Loaded a Screen"


def test_cloud_drops_referrer_and_initial_utm():
    m = by_name(translate({**FULL, "trackUtmProperties": True}))["Track Calls"]["mapping"]
    assert "referrer" not in json.dumps(m.get("setAlways", {})) and "initial_" not in json.dumps(m.get("setOnce", {}))
    assert "utm_source" in m["setAlways"]
    m = by_name(translate({**FULL, "trackUtmProperties": False}))["Track Calls"]["mapping"]
    assert "setAlways" not in m


def test_presets_are_not_mutated():
    before = copy.deepcopy(actions.preset_subscriptions())
    translate({**FULL, "sendToBatchEndpoint": True})
    assert actions.preset_subscriptions() == before


def test_both_output_shapes_load_in_the_engine():
    result = translate(FULL)
    for shape in (result.subscriptions, to_public_api(result.subscriptions)):
        loaded = actions.load_subscriptions(json.loads(json.dumps(shape)), source="test")
        assert [s["name"] for s in loaded] == [s["name"] for s in result.subscriptions]
