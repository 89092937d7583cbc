"""Settings loading, bad input and calibration."""
import json

import pytest

from classic import SETTINGS, Emulator, SettingsError, load_settings
from classic.calibrate import calibrate, parse_known_event_types


def test_all_37_settings_with_catalog_defaults():
    settings, warnings = load_settings({"apiKey": "k"})
    assert len(SETTINGS) == 37 and set(settings) == set(SETTINGS)
    assert settings["trackNamedPages"] is True and settings["useLogRevenueV2"] is True
    assert settings["trackReferrer"] is True and settings["trackAllPages"] is False
    assert warnings == [] and settings.given == {"apiKey"}


def test_public_api_document():
    doc = {"data": {"destination": {"id": "d1", "enabled": True, "metadata": {"id": "54521fd525e721e32a72ee91"},
                                    "settings": {"apiKey": "k", "trackAllPages": True}}}}
    settings, _ = load_settings(doc)
    assert settings["trackAllPages"] is True and settings["apiKey"] == "k"


def test_unknown_key_warns_by_name():
    _, warnings = load_settings({"apiKey": "k", "trackEverything": True})
    assert len(warnings) == 1 and "'trackEverything'" in warnings[0]


@pytest.mark.parametrize("key,value", [("traitsToIncrement", "logins"), ("trackAllPages", "yes"),
                                       ("mapQueryParams", ["a"]), ("eventUploadThreshold", "30")])
def test_wrong_type_names_the_key(key, value):
    with pytest.raises(SettingsError, match=repr(key)):
        load_settings({"apiKey": "k", key: value}, source="classic.json")


def test_secret_not_in_error():
    with pytest.raises(SettingsError) as err:
        load_settings({"apiKey": 123456789})
    assert "123456789" not in str(err.value)


def test_code_defaults_option():
    android = Emulator({"apiKey": "k"}, mode="android", options={"defaults": "code"})
    assert android.settings["trackAllPagesV2"] is True and android.settings["trackNamedPages"] is False
    web = Emulator({"apiKey": "k", "useLogRevenueV2": True}, mode="web", options={"defaults": "code"})
    assert web.settings["useLogRevenueV2"] is True and web.settings["trackReferrer"] is False


def test_bad_option():
    with pytest.raises(SettingsError, match="page_naming"):
        Emulator({"apiKey": "k"}, options={"page_naming": "fancy"})


@pytest.mark.parametrize("mode", ["cloud", "web", "ios", "android"])
@pytest.mark.parametrize("event", [
    "a string", [1, 2], {"userId": "u"}, {"type": ""},
    {"type": "track", "event": "E", "properties": {"revenue": "not a number", "price": "x"}},
    {"type": "track", "event": "Order Completed", "properties": {"revenue": "abc", "products": "nope"}},
    {"type": "track", "event": "Order Completed", "properties": {"products": [None, 3, {"price": "x"}]}},
    {"type": "group", "traits": {"name": "x"}}, {"type": "alias", "userId": "u"},
    {"type": "identify", "traits": "not an object", "context": "nope", "integrations": {"Amplitude": 5}},
    {"type": "page", "properties": None, "name": 3, "category": ["x"]},
    {"type": "screen", "name": None, "context": {"device": "x", "library": 5}},
    {"type": "delete"},
])
def test_bad_input_never_crashes(mode, event):
    out = Emulator({"apiKey": "k", "trackAllPages": True, "sendAlias": True}, mode=mode).send(event)
    assert isinstance(out["requests"], list)
    if not isinstance(event, dict) or not event.get("type"):
        assert out["skipped"]
    records = out["records"] or []
    if not out["requests"] and not records:
        assert out.get("note") or out.get("skipped")


def test_known_event_types_formats():
    assert parse_known_event_types("Loaded a Page\nViewed Home Page\n") == {"Loaded a Page", "Viewed Home Page"}
    assert parse_known_event_types("Event Type,Count\nViewed Home Page,3\n") == {"Viewed Home Page"}
    assert parse_known_event_types(json.dumps({"data": [{"event_type": "A"}, "B"]})) == {"A", "B"}
    with pytest.raises(ValueError):
        parse_known_event_types("")


PAGES = [{"type": "page", "name": "Settings", "category": "Merchant", "userId": "u1"},
         {"type": "page", "category": "Docs", "userId": "u1"}]


def test_calibration_picks_the_2017_names():
    settings, _ = load_settings({"apiKey": "k"})
    known = {"Viewed Merchant Settings Page", "Loaded a Page", "Order Completed"}
    options, choices = calibrate(settings, known, PAGES)
    assert options["page_naming"] == "code2017" and options["order_completed"] == "code2017"
    assert "Viewed Merchant Settings Page" in choices[0].evidence


def test_calibration_picks_docs_table_names_and_default():
    settings, _ = load_settings({"apiKey": "k"})
    options, _ = calibrate(settings, {"Loaded Merchant Settings Page", "Loaded Merchant Page", "Loaded Docs Page"},
                           PAGES)
    assert options["page_naming"] == "loaded"
    known = {"Viewed Merchant Page", "Viewed Merchant Settings Page", "Viewed Docs Page", "Product Purchased"}
    options, _ = calibrate(settings, known, PAGES)
    assert options["page_naming"] == "viewed" and options["order_completed"] == "expand"
    options, choices = calibrate(settings, {"Loaded Home Page"})  # no events: name patterns only
    assert options["page_naming"] == "loaded" and "Loaded Home Page" in choices[0].evidence
