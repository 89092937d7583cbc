"""Seeded generator of realistic Segment events and Amplitude (Actions) subscription sets.

Used by the conformance test (the same events go through the real runtime and our engine), by the
benchmark and for example data. Everything is deterministic for a seed and streamed: memory does not
grow with the number of events.

Events look like what analytics.js, the mobile SDKs and the server libraries send over one day
(2024-03-14 UTC): users keep their ids, device and locale across their events; sessions, campaigns
and referrers vary. A small share is deliberately awkward (short ids, unicode, numbers as strings,
nulls, missing fields, odd timestamps) and about 2% is rejected by the runtime (missing event name,
invalid timestamp, fractional quantity, missing group id).
"""

from __future__ import annotations

import copy
import datetime as _dt
import random
from typing import Iterator

__all__ = [
    "DAY_START_MS",
    "USER_AGENTS",
    "USER_AGENT_KINDS",
    "ACTION_DEFAULTS",
    "preset_subscription_list",
    "generate_events",
    "generate_subscriptions",
    "generate_subscription_sets",
]

DAY_START_MS = 1710374400000  # 2024-03-14T00:00:00.000Z
_DAY_MS = 86_400_000
_MAX_USERS = 5000

# --------------------------------------------------------------------------------------------------
# User agents: (kind, UA). Kinds pick the matching context (library, device, os) in generated events.
_UA_TABLE: list[tuple[str, str]] = [
    # iPhone / iPad browsers
    ("web_mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1"),
    ("web_mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1"),
    ("web_mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS 15_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6.6 Mobile/15E148 Safari/604.1"),
    ("web_mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS 9_1 like Mac OS X) AppleWebKit/601.1.46 (KHTML, like Gecko) Version/9.0 Mobile/13B143 Safari/601.1"),
    ("web_mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/121.0.6167.171 Mobile/15E148 Safari/604.1"),
    ("web_mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/123.0 Mobile/15E148 Safari/605.1.15"),
    ("web_mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 317.0.3.27.111 (iPhone15,3; iOS 17_1_2; en_US; en; scale=3.00; 1290x2796; 563459864)"),
    ("web_mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/445.0.0.35.117;FBBV/544005286;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/16.5;FBSS/3;FBID/phone;FBLC/de_DE;FBOP/5]"),
    ("web_tablet", "Mozilla/5.0 (iPad; CPU OS 16_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1"),
    ("web_tablet", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15"),
    # Android browsers, phones and tablets
    ("web_mobile", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Mobile Safari/537.36"),
    ("web_mobile", "Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.6167.178 Mobile Safari/537.36"),
    ("web_mobile", "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36"),
    ("web_mobile", "Mozilla/5.0 (Linux; Android 12; M2101K6G) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.193 Mobile Safari/537.36"),
    ("web_mobile", "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36"),
    ("web_mobile", "Mozilla/5.0 (Android 14; Mobile; rv:123.0) Gecko/123.0 Firefox/123.0"),
    ("web_mobile", "Mozilla/5.0 (Linux; Android 11; moto g(30)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.5735.196 Mobile Safari/537.36 OPR/76.2.4027.73374"),
    ("web_mobile", "Mozilla/5.0 (Linux; Android 13; 2201116SG Build/TKQ1.221114.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/121.0.6167.101 Mobile Safari/537.36"),
    ("web_mobile", "Mozilla/5.0 (Linux; U; Android 4.4.2; en-us; GT-I9505 Build/KOT49H) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30"),
    ("web_tablet", "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.6167.143 Safari/537.36"),
    ("web_tablet", "Mozilla/5.0 (Linux; Android 12; Lenovo TB-J606F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.230 Safari/537.36"),
    ("web_tablet", "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/121.3.3 like Chrome/121.0.6167.164 Safari/537.36"),
    # Desktop browsers
    ("web_desktop", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"),
    ("web_desktop", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2785.143 Safari/537.36"),
    ("web_desktop", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.3; rv:123.0) Gecko/20100101 Firefox/123.0"),
    ("web_desktop", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Safari/605.1.15"),
    ("web_desktop", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66"),
    ("web_desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"),
    ("web_desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36 Edg/121.0.2277.128"),
    ("web_desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0"),
    ("web_desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 OPR/107.0.0.0"),
    ("web_desktop", "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko"),
    ("web_desktop", "Mozilla/5.0 (Windows NT 6.3; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36"),
    ("web_desktop", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"),
    ("web_desktop", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:122.0) Gecko/20100101 Firefox/122.0"),
    ("web_desktop", "Mozilla/5.0 (X11; Fedora; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"),
    ("web_desktop", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36"),
    ("web_desktop", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.36.140 Chrome/120.0.6099.291 Electron/28.2.3 Safari/537.36 AppleWebKit/537.36 (KHTML, like Gecko) Sonic/4.36.140"),
    ("web_desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.28 Safari/537.36"),
    # App user agents (mobile SDK events)
    ("ios_app", "Shopwise/5.12.0 (com.example.shopwise; build:5120; iOS 17.3.1) Alamofire/5.8.0"),
    ("ios_app", "Shopwise/5.11.2 CFNetwork/1490.0.4 Darwin/23.2.0"),
    ("ios_app", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"),
    ("ios_app", "Mozilla/5.0 (iPad; CPU OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"),
    ("android_app", "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 7 Build/UQ1A.240205.004)"),
    ("android_app", "Dalvik/2.1.0 (Linux; U; Android 13; SM-G991B Build/TP1A.220624.014)"),
    ("android_app", "Dalvik/2.1.0 (Linux; U; Android 12; Redmi Note 11 MIUI/V13.0.4.0.SGCMIXM)"),
    ("android_app", "Dalvik/2.1.0 (Linux; U; Android 13; SM-X200 Build/TP1A.220624.014)"),
    ("android_app", "okhttp/4.12.0"),
    ("android_app", "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.64 Mobile Safari/537.36"),
    # Odd ones: TVs, consoles, bots, tools, truncated and junk
    ("odd", "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36"),
    ("odd", "Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko)"),
    ("odd", "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063"),
    ("odd", "Mozilla/5.0 (Mobile; LYF/F300B/LYF-F300B-001-01-15-130718-i; Android; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5"),
    ("odd", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
    ("odd", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36"),
    ("odd", "curl/8.4.0"),
    ("odd", "python-requests/2.31.0"),
    ("odd", "PostmanRuntime/7.36.3"),
    ("odd", "Mozilla/5.0"),
    ("odd", "-"),
    ("odd", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/74.0.0.0 Safari/537.36\""),
    ("odd", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/21E219 [FBAN/FBIOS;FBAV/458.0.0.40.98;FBBV/580311476;FBDV/iPhone16,2;FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/en_GB;FBOP/5;FBRV/582716418;IABMV/1] LinkedInApp/9.29.8 (Build 2024.03.12; com.linkedin.LinkedIn; scale 3.00; locale en_GB) Pinterest/iOS 12.9 Snapchat/12.80.0.43"),
    ("odd", "Mozilla/5.0 (X11; Linux armv7l) AppleWebKit/537.36 (KHTML, like Gecko) Raspbian Chromium/78.0.3904.108 Chrome/78.0.3904.108 Safari/537.36"),
]

USER_AGENTS: list[str] = [ua for _, ua in _UA_TABLE]
USER_AGENT_KINDS: dict[str, str] = {ua: kind for kind, ua in _UA_TABLE}

# --------------------------------------------------------------------------------------------------
# Default mappings of the destination's actions (each field's `default`, in field order). Kept here
# as independent data so the conformance test does not take presets from the engine it checks; a
# reference test compares them with the real runtime's definitions.


def _p(path: str) -> dict:
    return {"@path": path}


def _if_exists(first: str, second: str) -> dict:
    return {"@if": {"exists": _p(first), "then": _p(first), "else": _p(second)}}


_IDS = {
    "user_id": _p("$.userId"),
    "device_id": _if_exists("$.context.device.id", "$.anonymousId"),
}
_DEVICE_BLOCK = {
    "app_version": _p("$.context.app.version"),
    "platform": _p("$.context.device.type"),
    "os_name": _p("$.context.os.name"),
    "os_version": _p("$.context.os.version"),
    "device_brand": _p("$.context.device.brand"),
    "device_manufacturer": _p("$.context.device.manufacturer"),
    "device_model": _p("$.context.device.model"),
    "carrier": _p("$.context.network.carrier"),
    "country": _p("$.context.location.country"),
    "region": _p("$.context.location.region"),
    "city": _p("$.context.location.city"),
    "language": _p("$.context.locale"),
}
_EVENT_SCHEMA = {
    **_IDS,
    "event_type": _p("$.event"),
    "session_id": _p("$.integrations.Actions Amplitude.session_id"),
    "time": _p("$.timestamp"),
    "event_properties": _p("$.properties"),
    "user_properties": _p("$.traits"),
    **_DEVICE_BLOCK,
    "price": _p("$.properties.price"),
    "quantity": _p("$.properties.quantity"),
    "revenue": _p("$.properties.revenue"),
    "productId": _p("$.properties.productId"),
    "revenueType": _p("$.properties.revenueType"),
    "location_lat": _p("$.context.location.latitude"),
    "location_lng": _p("$.context.location.longitude"),
    "ip": _p("$.context.ip"),
    "idfa": _if_exists("$.context.device.advertisingId", "$.context.device.idfa"),
    "idfv": _p("$.context.device.id"),
    "adid": _if_exists("$.context.device.advertisingId", "$.context.device.idfa"),
    "library": _p("$.context.library.name"),
    "library2": {"behavior": "use_mapping", "mapping": _p("$.context.library.name")},
    "products": {
        "@arrayPath": [
            "$.properties.products",
            {k: _p(k) for k in ("price", "revenue", "quantity", "productId", "revenueType")},
        ]
    },
}
_CAMPAIGN = {k: _p(f"$.context.campaign.{src}") for k, src in
             (("utm_source", "source"), ("utm_medium", "medium"), ("utm_campaign", "name"),
              ("utm_term", "term"), ("utm_content", "content"))}
_UA_BLOCK = {
    "userAgent": _p("$.context.userAgent"),
    "userAgentParsing": True,
    "includeRawUserAgent": False,
}
_UA_DATA = {
    "userAgentData": {
        "model": _p("$.context.userAgentData.model"),
        "platformVersion": _p("$.context.userAgentData.platformVersion"),
    }
}
_UTM_REFERRER = {"utm_properties": _CAMPAIGN, "referrer": _p("$.context.page.referrer")}

ACTION_DEFAULTS: dict[str, dict] = {
    "logEvent": {**_EVENT_SCHEMA, "use_batch_endpoint": False, **_UA_BLOCK, **_UTM_REFERRER, **_UA_DATA},
    "logEventV2": {
        **_EVENT_SCHEMA,
        "setOnce": {"initial_referrer": _p("$.context.page.referrer"),
                    **{f"initial_{k}": v for k, v in _CAMPAIGN.items()}},
        "setAlways": {"referrer": _p("$.context.page.referrer"), **_CAMPAIGN},
        "use_batch_endpoint": False,
        **_UA_BLOCK,
        **_UA_DATA,
    },
    "logPurchase": {"trackRevenuePerProduct": False, **_EVENT_SCHEMA, "use_batch_endpoint": False,
                    **_UA_BLOCK, **_UTM_REFERRER, **_UA_DATA},
    "identifyUser": {**_IDS, "user_properties": _p("$.traits"), **_DEVICE_BLOCK, **_UA_BLOCK,
                     **_UTM_REFERRER, "library": _p("$.context.library.name"), **_UA_DATA},
    "groupIdentifyUser": {**_IDS, "time": _p("$.timestamp"), "group_properties": _p("$.traits")},
    "mapUser": {"user_id": _p("$.previousId"), "global_user_id": _p("$.userId")},
}


def _defaults(action: str, **overrides) -> dict:
    mapping = copy.deepcopy(ACTION_DEFAULTS[action])
    mapping.update(overrides)
    return mapping


def _sub(name: str, action: str, subscribe: str, mapping: dict) -> dict:
    return {"name": name, "partnerAction": action, "subscribe": subscribe, "mapping": mapping, "enabled": True}


def preset_subscription_list() -> list[dict]:
    """The destination's five cloud presets (the browser session plugin preset is not a cloud action)."""
    viewed = {"@template": "Viewed {{name}}"}
    return [
        _sub("Track Calls", "logEventV2", 'type = "track" and event != "Order Completed"', _defaults("logEventV2")),
        _sub("Order Completed Calls", "logPurchase", 'type = "track" and event = "Order Completed"',
             _defaults("logPurchase")),
        _sub("Page Calls", "logEventV2", 'type = "page"', _defaults("logEventV2", event_type=viewed)),
        _sub("Screen Calls", "logEventV2", 'type = "screen"', _defaults("logEventV2", event_type=viewed)),
        _sub("Identify Calls", "identifyUser", 'type = "identify"', _defaults("identifyUser")),
    ]


# --------------------------------------------------------------------------------------------------
# Subscription sets


def _settings(rng: random.Random, endpoint: str | None) -> dict:
    settings = {"apiKey": f"fake-api-key-{rng.randrange(16**8):08x}", "secretKey": f"fake-secret-{rng.randrange(16**8):08x}"}
    if endpoint is not None:
        settings["endpoint"] = endpoint
    return settings


def generate_subscription_sets(seed: int = 0) -> list[dict]:
    """Named subscription sets: ``[{"name", "settings", "subscriptions"}]``, deterministic for a seed."""
    rng = random.Random(f"subscriptions:{seed}")
    sets: list[dict] = []

    def add(name: str, endpoint: str | None, subscriptions: list[dict]) -> None:
        sets.append({"name": name, "settings": _settings(rng, endpoint), "subscriptions": subscriptions})

    add("presets", rng.choice(["north_america", None]), preset_subscription_list())
    add("presets-eu", "europe", preset_subscription_list())

    group_type = rng.choice(["company", "account", "org"])
    add("all-actions", rng.choice(["north_america", "europe"]), [
        _sub("Log Event", "logEvent", 'type = "track" and event != "Order Completed"', _defaults("logEvent")),
        _sub("Purchases per product", "logPurchase", 'type = "track" and event = "Order Completed"',
             _defaults("logPurchase", trackRevenuePerProduct=True)),
        _sub("Pages", "logEventV2", 'type = "page" or type = "screen"',
             _defaults("logEventV2", event_type={"@template": "Loaded {{name}}"})),
        _sub("Identify", "identifyUser", 'type = "identify"', _defaults("identifyUser")),
        _sub("Group", "groupIdentifyUser", 'type = "group"',
             _defaults("groupIdentifyUser", group_type=group_type, group_value=_p("$.groupId"),
                       insert_id=_p("$.messageId"))),
        _sub("Alias", "mapUser", 'type = "alias"', _defaults("mapUser")),
    ])

    min_id = rng.choice([1, 3])
    add("batch-minid-rawua", rng.choice(["north_america", "europe", None]), [
        _sub("Track batch", "logEventV2", 'type = "track" and event != "Order Completed"',
             _defaults("logEventV2", use_batch_endpoint=True, min_id_length=min_id, userAgentParsing=False,
                       includeRawUserAgent=True, insert_id=_p("$.messageId"))),
        _sub("Orders batch", "logPurchase", 'type = "track" and event = "Order Completed"',
             _defaults("logPurchase", use_batch_endpoint=True, min_id_length=min_id, includeRawUserAgent=True,
                       insert_id=_p("$.messageId"), trackRevenuePerProduct=rng.random() < 0.5)),
        _sub("Identify min id", "identifyUser", 'type = "identify"',
             _defaults("identifyUser", min_id_length=min_id, userAgentParsing=False, includeRawUserAgent=True,
                       paying=True, start_version=_p("$.context.app.version"))),
        _sub("Group min id", "groupIdentifyUser", 'type = "group"',
             _defaults("groupIdentifyUser", group_type=_p("$.traits.industry"), group_value=_p("$.groupId"),
                       min_id_length=min_id)),
        _sub("Alias min id", "mapUser", 'type = "alias"', _defaults("mapUser", min_id_length=min_id)),
        _sub("Pages no UA parsing", "logEvent", 'type = "page"',
             _defaults("logEvent", event_type={"@template": "Viewed {{name}}"}, userAgentParsing=False,
                       min_id_length=None)),
    ])

    add("library2-variants", None, [
        _sub("V2 library auto", "logEventV2", 'type = "track" and event != "Order Completed"',
             _defaults("logEventV2", library2={"behavior": "auto"})),
        _sub("V1 library empty", "logEvent", 'type = "screen"',
             _defaults("logEvent", event_type={"@template": "Viewed {{name}}"}, library2={})),
        _sub("Purchase library literal", "logPurchase", 'type = "track" and event = "Order Completed"',
             _defaults("logPurchase", library2={"behavior": "use_mapping", "mapping": "checkout-service"})),
        _sub("Page library version", "logEventV2", 'type = "page"',
             _defaults("logEventV2", event_type={"@template": "Viewed {{name}}"},
                       library2={"behavior": "use_mapping", "mapping": _p("$.context.library.version")})),
        _sub("Identify no library", "identifyUser", 'type = "identify"', _defaults("identifyUser", library=None)),
    ])

    add("custom-directives", rng.choice(["north_america", "europe"]), [
        _sub("Lower-cased product events", "logEventV2", 'contains(event, "Product")', {
            **_defaults("logEventV2"),
            "event_type": {"@case": {"operator": "lower", "value": _p("$.event")}},
            "event_properties": {"@merge": {"direction": "right", "objects": [
                _p("$.properties"),
                {"source_library": _p("$.context.library.name"), "page_path": _p("$.context.page.path")},
            ]}},
            "insert_id": _p("$.messageId"),
        }),
        _sub("Snake-case sign ups", "logEvent", 'event = "Signed Up" or event = "Signed In"', {
            "user_id": {"@if": {"exists": _p("$.userId"), "then": _p("$.userId"), "else": _p("$.traits.email")}},
            "device_id": _p("$.anonymousId"),
            "event_type": {"@replace": {"pattern": " ", "replacement": "_", "value": _p("$.event")}},
            "time": _p("$.timestamp"),
            "event_properties": {"method": _p("$.properties.method"), "plan": _p("$.properties.plan"),
                                 "referrer": _p("$.context.page.referrer")},
            "session_id": _p("$.integrations.Amplitude.session_id"),
            "groups": {"plan": _p("$.properties.plan")},
            "user_properties": {"@merge": {"direction": "left", "objects": [_p("$.traits"), _p("$.context.traits")]}},
            "utm_properties": _CAMPAIGN,
            "referrer": _p("$.context.page.referrer"),
            "userAgent": _p("$.context.userAgent"),
            "userAgentParsing": True,
        }),
        _sub("Orders with custom products", "logPurchase", 'type = "track" and event = "Order Completed"', {
            **_defaults("logPurchase", trackRevenuePerProduct=rng.random() < 0.5),
            "products": {"@arrayPath": ["$.properties.products", {
                "productId": _p("$.product_id"), "price": _p("$.price"), "quantity": _p("$.quantity"),
                "revenueType": "Purchase", "name": _p("$.name"), "category": _p("$.category"),
            }]},
            "revenue": {"@if": {"exists": _p("$.properties.revenue"), "then": _p("$.properties.revenue"),
                                "else": _p("$.properties.total")}},
            "insert_id": _p("$.messageId"),
        }),
        _sub("Page with template and flags", "logEventV2", 'type = "page" and name != "Home"', {
            **_defaults("logEventV2"),
            "event_type": {"@template": "{{category}} / {{name}}"},
            "event_properties": {"@merge": {"direction": "right", "objects": [
                _p("$.properties"),
                {"campaign": {"@json": {"mode": "encode", "value": _p("$.context.campaign")}}},
            ]}},
            "add": {"page_views": 1},
            "setAlways": {"last_page": _p("$.name"), "utm_source": _p("$.context.campaign.source")},
            "setOnce": {"first_page": _p("$.name"), "initial_referrer": _p("$.context.page.referrer")},
        }),
        _sub("Big spenders", "logEventV2", 'type = "track" and properties.revenue > 100', {
            **_defaults("logEventV2"),
            "event_type": {"@literal": "High Value Event"},
            "event_properties": {"@flatten": {"value": _p("$.properties"), "separator": "."}},
            "platform": {"@case": {"operator": "upper", "value": _p("$.context.device.type")}},
        }),
        _sub("Identify with email", "identifyUser", 'type = "identify" and traits.email != null', {
            **_defaults("identifyUser"),
            "user_properties": {"@merge": {"direction": "right", "objects": [
                _p("$.traits"), {"email_domain": {"@replace": {"pattern": "@", "replacement": " at ",
                                                              "value": _p("$.traits.email")}}},
            ]}},
            "groups": {"company": _p("$.traits.company.name")},
        }),
        _sub("Group plan", "groupIdentifyUser", 'type = "group" and traits.plan != null', {
            "group_type": "plan",
            "group_value": {"@case": {"operator": "upper", "value": _p("$.traits.plan")}},
            "group_properties": {"@merge": {"direction": "right", "objects": [_p("$.traits"), {"source": "segment"}]}},
            "time": _p("$.timestamp"),
            "insert_id": _p("$.messageId"),
        }),
        _sub("Mobile screens", "logEventV2", 'type = "screen" and context.device.type = "android"', {
            **_defaults("logEventV2", event_type={"@template": "Screen: {{name}}"}),
            "android_id": _p("$.context.device.id"),
            "event_id": _p("$.properties.step"),
        }),
    ])
    return sets


def generate_subscriptions(seed: int = 0) -> list[tuple[dict, list[dict]]]:
    """Subscription sets as ``(settings, subscriptions)`` pairs."""
    return [(s["settings"], s["subscriptions"]) for s in generate_subscription_sets(seed)]


# --------------------------------------------------------------------------------------------------
# Events

_FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Emma", "Farid", "Grace", "Hiroshi", "Ingrid", "Jamal", "Kenji",
          "Léa", "Mateo", "Nadia", "Olivia", "Priya", "Quentin", "Rosa", "Søren", "Tomás", "Uma", "Zoë",
          "Łukasz", "Ahmet", "Björn", "Mei", "Noah", "Sofía", "李", "Αλέξης"]
_LAST = ["Silva", "Müller", "Nguyen", "O'Brien", "Kowalski", "Smith", "García", "Rossi", "Tanaka", "Dubois",
         "Johansson", "Khan", "Novák", "Öztürk", "Brown", "王", "Иванова", "Costa"]
_COMPANIES = [("Acme Inc", "Software"), ("Globex", "Manufacturing"), ("Initech", "Finance"),
              ("Umbrella Corp", "Healthcare"), ("Stark Industries", "Energy"), ("Café Müller GmbH", "Retail"),
              ("Hooli", "Software"), ("Wayne Enterprises", "Conglomerate"), ("株式会社サンプル", "Retail")]
_PLANS = ["free", "starter", "pro", "enterprise", "trial"]
_LOCALES = ["en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "pt-BR", "ja-JP", "nl-NL", "sv-SE", "pl-PL", "tr-TR"]
_LOCATIONS = [
    {"city": "San Francisco", "country": "United States", "region": "CA", "latitude": 37.7749, "longitude": -122.4194},
    {"city": "New York", "country": "United States", "region": "NY", "latitude": 40.7128, "longitude": -74.006},
    {"city": "London", "country": "United Kingdom", "region": "England", "latitude": 51.5072, "longitude": -0.1276},
    {"city": "Berlin", "country": "Germany", "region": "BE", "latitude": 52.52, "longitude": 13.405},
    {"city": "São Paulo", "country": "Brazil", "region": "SP", "latitude": -23.5505, "longitude": -46.6333},
    {"city": "Tokyo", "country": "Japan", "region": "13", "latitude": 35.6762, "longitude": 139.6503},
    {"city": "Zürich", "country": "Switzerland", "region": "ZH", "latitude": 47.3769, "longitude": 8.5417},
    {"city": "Kraków", "country": "Poland", "region": "MA", "latitude": 50.0647, "longitude": 19.945},
]
_CARRIERS = ["T-Mobile", "Verizon", "AT&T", "Vodafone", "Orange", "O2 - DE", "NTT DOCOMO", "Claro BR"]
_CAMPAIGNS = [
    {"source": "google", "medium": "cpc", "name": "spring_sale", "term": "running shoes", "content": "ad_1"},
    {"source": "newsletter", "medium": "email", "name": "march-digest"},
    {"source": "facebook", "medium": "social", "name": "Frühjahr 2024", "content": "carousel"},
    {"source": "partner", "medium": "referral"},
    {"source": "", "medium": "", "name": ""},
    {"name": "retargeting", "source": "bing", "medium": "cpc", "term": ""},
]
_REFERRERS = ["https://www.google.com/", "https://t.co/abc123", "https://www.facebook.com/",
              "https://news.ycombinator.com/item?id=39600000", "https://duckduckgo.com/", "android-app://com.google.android.gm/",
              "https://example.com/blog/2024/03/launch?ref=nav&utm_source=blog", ""]
_PAGES = [("Home", "/", None), ("Pricing", "/pricing", "Marketing"), ("Product", "/products/trail-runner-2", "Shop"),
          ("Checkout", "/checkout", "Shop"), ("Blog Post", "/blog/how-we-ship", "Blog"), ("Docs", "/docs/getting-started", "Docs"),
          ("Café Menu", "/de/café", "Marketing"), ("Sign Up", "/signup", None), (None, "/landing/lp-7", None)]
_SCREENS = ["Home", "Product Detail", "Cart", "Settings", "Onboarding Step 2", "Search Results", "Profile", "Bestätigung"]
_PRODUCTS = [
    {"product_id": "sku-1001", "sku": "TR-2-BLK-42", "name": "Trail Runner 2", "category": "Shoes", "brand": "Stride", "price": 129.99},
    {"product_id": "sku-1002", "sku": "HB-01", "name": "Hydration Belt", "category": "Accessories", "brand": "Stride", "price": 24.5},
    {"product_id": "sku-2001", "sku": "BT-10", "name": "Bowflex Treadmill 10", "category": "Fitness", "brand": "Bowflex", "price": 1999},
    {"product_id": "sku-3001", "sku": "SOCK-3PK", "name": "Merino Socks (3 pack)", "category": "Apparel", "brand": "Woolly", "price": 19.99},
    {"product_id": "sku-4001", "sku": "GC-50", "name": "Gift Card €50", "category": "Gift Cards", "brand": "Shop", "price": 50},
    {"product_id": "sku-5001", "sku": "YM-PRO", "name": "Yoga Mat Pro", "category": "Fitness", "brand": "Zen", "price": 0.99},
]
_LIBRARIES = {
    "web": [("analytics.js", "next-1.64.0"), ("analytics.js", "2.11.1"), ("analytics-next", "1.61.0")],
    "ios": [("analytics-ios", "4.1.8"), ("analytics-swift", "1.5.3"), ("analytics-react-native", "2.17.0")],
    "android": [("analytics-android", "4.11.3"), ("analytics-kotlin", "1.14.2"), ("analytics-react-native", "2.17.0")],
    "server": [("analytics-node", "1.3.0"), ("analytics-python", "2.3.2"), ("analytics-ruby", "2.4.1"),
               ("analytics-go", "3.3.0"), ("analytics-java", "3.4.0"), ("http", None)],
}
_IOS_DEVICES = [("iPhone15,2", "Apple", "17.3.1"), ("iPhone14,5", "Apple", "16.6"), ("iPhone12,1", "Apple", "15.8"),
                ("iPad13,1", "Apple", "17.2")]
_ANDROID_DEVICES = [("Pixel 7", "Google", "14"), ("SM-G991B", "samsung", "13"), ("Redmi Note 11", "Xiaomi", "12"),
                    ("SM-X200", "samsung", "13"), ("moto g(30)", "motorola", "11")]

_TRACK_WEB = ["Product Viewed", "Product Added", "Product Clicked", "Products Searched", "Cart Viewed",
              "Checkout Started", "Order Completed", "Signed Up", "Signed In", "Signed Out", "Button Clicked",
              "Form Submitted", "Coupon Applied", "Video Playback Started", "Subscription Started", "Feature Used"]
_TRACK_APP = ["Application Opened", "Application Backgrounded", "Application Installed", "Push Notification Received",
              "Product Viewed", "Product Added", "Order Completed", "Signed In", "Feature Used", "Deep Link Opened"]
_TRACK_SERVER = ["Order Completed", "Subscription Started", "Subscription Renewed", "Invoice Paid", "Signed Up",
                 "Email Delivered", "Trial Ended"]


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def _iso(ms: int, *, millis: bool = True, offset_min: int = 0, zone: str | None = "Z", sep: str = "T") -> str:
    t = _dt.datetime(1970, 1, 1) + _dt.timedelta(milliseconds=ms + offset_min * 60_000)
    text = t.strftime(f"%Y-%m-%d{sep}%H:%M:%S")
    if millis:
        text += f".{t.microsecond // 1000:03d}"
    if zone is None:
        return text
    if offset_min or zone != "Z":
        sign = "+" if offset_min >= 0 else "-"
        return text + f"{sign}{abs(offset_min) // 60:02d}:{abs(offset_min) % 60:02d}"
    return text + "Z"


def _rfc2822(ms: int) -> str:
    t = _dt.datetime(1970, 1, 1) + _dt.timedelta(milliseconds=ms)
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{days[t.weekday()]}, {t.day:02d} {months[t.month - 1]} {t.year} {t:%H:%M:%S} GMT"


def _timestamp(rng: random.Random, ms: int, platform: str):
    """A timestamp in one of the formats real sources send (mostly ISO with ms and Z)."""
    r = rng.random()
    if platform == "web" or r < 0.80:
        return _iso(ms) if rng.random() < 0.97 else _iso(ms, millis=False)
    if platform in ("ios", "android") and r < 0.93:
        return _iso(ms, offset_min=rng.choice([60, -300, 330, 540, -180]))
    choices = [
        lambda: _iso(ms, millis=False),
        lambda: _iso(ms, zone=None),
        lambda: _iso(ms, millis=False, zone=None, sep=" "),
        lambda: _iso(ms)[:10],
        lambda: ms,
        lambda: ms // 1000,
        lambda: str(ms),
        lambda: _rfc2822(ms),
    ]
    return rng.choice(choices)()


class _User:
    """One person's stable attributes across their events."""

    def __init__(self, rng: random.Random, index: int):
        kind, ua = rng.choice(_UA_TABLE)
        self.kind = kind
        self.ua = ua
        self.platform = {"ios_app": "ios", "android_app": "android", "odd": rng.choice(["web", "server"])}.get(
            kind, "web")
        if rng.random() < 0.12:
            self.platform = "server"
        self.anonymous_id = _uuid(rng) if rng.random() < 0.93 else rng.choice(["a1", "x", "anon-" + str(index)])
        r = rng.random()
        if r < 0.55:
            self.user_id = f"user_{rng.randrange(10**6):06d}"
        elif r < 0.63:
            self.user_id = rng.choice(["u1", "42", "ab", "7", "zoë"])  # shorter than Amplitude's 5 chars
        elif r < 0.66:
            self.user_id = rng.randrange(1000, 10**7)  # a JSON number, coerced by the runtime
        elif r < 0.72:
            self.user_id = f"{rng.choice(_FIRST).lower()}.{index}@example.com"
        else:
            self.user_id = None  # anonymous visitor
        # The id an alias call links this visitor to (their own id once known).
        self.alias_to = self.user_id if isinstance(self.user_id, str) else f"user_{rng.randrange(10**6):06d}"
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        self.traits = {"name": f"{first} {last}", "first_name": first, "last_name": last,
                       "email": f"{first.lower()}.{index}@example.com", "plan": rng.choice(_PLANS),
                       "createdAt": _iso(DAY_START_MS - rng.randrange(1, 400) * _DAY_MS)}
        company, industry = rng.choice(_COMPANIES)
        self.company = {"name": company, "industry": industry, "id": f"grp_{rng.randrange(10**5)}"}
        self.locale = rng.choice(_LOCALES)
        self.location = dict(rng.choice(_LOCATIONS))
        self.ip = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        lib_platform = "web" if self.platform == "web" else self.platform
        self.library = rng.choice(_LIBRARIES[lib_platform])
        self.clock = DAY_START_MS + rng.randrange(_DAY_MS)
        self.session_start = self.clock
        self.session_style = rng.choice(["actions", "actions", "actions", "classic", "none", "string"])
        self.campaign = dict(rng.choice(_CAMPAIGNS)) if rng.random() < 0.4 else None
        self.referrer = rng.choice(_REFERRERS) if rng.random() < 0.6 else None
        if self.platform == "ios":
            model, maker, version = rng.choice(_IOS_DEVICES)
            self.device = {"id": _uuid(rng).upper(), "advertisingId": _uuid(rng).upper(), "adTrackingEnabled": True,
                           "manufacturer": maker, "model": model, "name": "iPhone", "type": "ios"}
            self.os = {"name": "iOS", "version": version}
        elif self.platform == "android":
            model, maker, version = rng.choice(_ANDROID_DEVICES)
            self.device = {"id": f"{rng.getrandbits(64):016x}", "advertisingId": _uuid(rng), "adTrackingEnabled": True,
                           "manufacturer": maker, "model": model, "name": model.lower(), "type": "android"}
            self.os = {"name": "Android", "version": version}
        else:
            self.device = None
            self.os = None
        self.app = {"name": "Shopwise", "version": rng.choice(["5.12.0", "5.11.2", "4.0"]),
                    "build": str(rng.choice([5120, 5112, 400])), "namespace": "com.example.shopwise"}

    def tick(self, rng: random.Random) -> int:
        gap = int(rng.expovariate(1 / 90_000))  # about 90 s between a user's events
        if gap > 30 * 60_000:
            self.session_start = self.clock + gap
        self.clock = min(self.clock + gap, DAY_START_MS + _DAY_MS - 1)
        return self.clock


def _product(rng: random.Random, edge: bool) -> dict:
    base = dict(rng.choice(_PRODUCTS))
    product = {"product_id": base["product_id"], "sku": base["sku"], "name": base["name"],
               "category": base["category"], "brand": base["brand"], "price": base["price"],
               "quantity": rng.choice([1, 1, 1, 2, 3])}
    if rng.random() < 0.5:
        product["productId"] = base["product_id"]  # some sources use Amplitude's camelCase key
    if edge:
        trick = rng.randrange(6)
        if trick == 0:
            product["price"] = str(product["price"])
        elif trick == 1:
            product["quantity"] = str(product["quantity"])
        elif trick == 2:
            product["revenue"] = round(product["price"] * product["quantity"], 2)
            del product["price"]
        elif trick == 3:
            product["price"] = None
        elif trick == 4:
            product["revenueType"] = rng.choice(["Refund", "Subscription"])
        else:
            product.pop("quantity")
    return product


def _track_properties(rng: random.Random, name: str, edge: bool) -> dict:
    if name == "Order Completed":
        products = [_product(rng, edge and rng.random() < 0.5) for _ in range(rng.choice([0, 1, 1, 2, 3]))]
        subtotal = round(sum((p.get("price") or 0) * int(p.get("quantity") or 1) for p in products
                             if not isinstance(p.get("price"), str)), 2)
        props = {"order_id": f"ord_{rng.randrange(10**7)}", "checkout_id": _uuid(rng)[:13], "total": subtotal + 5,
                 "subtotal": subtotal, "shipping": 5, "tax": round(subtotal * 0.08, 2), "currency": "USD",
                 "revenue": subtotal, "products": products}
        if rng.random() < 0.3:
            props["coupon"] = rng.choice(["SPRING10", "WELCOME", "ÉTÉ-24"])
        if rng.random() < 0.25:  # single-product orders often carry top-level price/quantity
            props.update(price=rng.choice([19.99, 49, 0.5]), quantity=rng.choice([1, 2, 4]))
        if rng.random() < 0.15:
            props["revenueType"] = rng.choice(["Purchase", "Subscription"])
        if rng.random() < 0.1:
            props["productId"] = rng.choice(_PRODUCTS)["product_id"]
        if edge:
            trick = rng.randrange(5)
            if trick == 0:
                props["revenue"] = str(props["revenue"])
            elif trick == 1:
                props["revenue"] = 0
            elif trick == 2:
                props.pop("revenue")
            elif trick == 3:
                props["products"] = products[0] if products else {"product_id": "sku-9", "price": 5}
            else:
                props["revenue"] = -abs(props["revenue"] or 12.5)  # refunds come through as negative revenue
        return props
    if name in ("Product Viewed", "Product Added", "Product Clicked"):
        p = _product(rng, edge)
        props = {k: v for k, v in p.items() if k != "quantity" or name == "Product Added"}
        props["url"] = f"https://shop.example.com/p/{p['product_id']}"
        props["currency"] = rng.choice(["USD", "EUR"])
        return props
    if name == "Products Searched":
        return {"query": rng.choice(["running shoes", "tapis de yoga", "ランニング", "socks 3 pack", ""])}
    if name in ("Cart Viewed", "Checkout Started"):
        products = [_product(rng, False) for _ in range(rng.choice([1, 2]))]
        total = round(sum(p["price"] * p["quantity"] for p in products), 2)
        return {"cart_id": _uuid(rng)[:8], "value": total, "revenue": total, "currency": "USD", "products": products}
    if name in ("Signed Up", "Signed In"):
        return {"method": rng.choice(["email", "google", "apple", "sso"]), "plan": rng.choice(_PLANS)}
    if name in ("Subscription Started", "Subscription Renewed", "Invoice Paid"):
        amount = rng.choice([9, 29, 99, 299, 1200])
        props = {"plan": rng.choice(_PLANS), "billing_cycle": rng.choice(["monthly", "annual"]), "revenue": amount,
                 "currency": "USD"}
        if edge:
            props["revenue"] = f"{amount}.00"
        return props
    if name == "Video Playback Started":
        return {"video_id": f"vid_{rng.randrange(1000)}", "position": 0, "total_length": rng.randrange(30, 3600),
                "sound": rng.choice([True, False]), "quality": rng.choice(["hd720", "hd1080", None])}
    if name == "Button Clicked":
        return {"button_text": rng.choice(["Get started", "Jetzt kaufen", "Learn more →", "🚀 Launch"]),
                "location": rng.choice(["hero", "footer", "nav"])}
    if name == "Feature Used":
        count = rng.randrange(1, 50)
        return {"feature": rng.choice(["export_csv", "dark_mode", "share_link"]),
                "count": str(count) if edge else count, "ratio": rng.choice([0.1 + 0.2, 1e-7, 0.5, 2.0])}
    if name == "Application Opened":
        return {"from_background": rng.choice([True, False]), "version": "5.12.0", "build": "5120"}
    if name == "Application Installed":
        return {"version": "5.12.0", "build": 5120}
    if name == "Push Notification Received":
        return {"campaign": {"name": "weekly", "medium": "push", "content": "Neue Angebote für dich"}}
    if name == "Deep Link Opened":
        return {"url": "shopwise://product/sku-1001?utm_source=push", "provider": "branch"}
    if name == "Coupon Applied":
        return {"coupon_id": "SPRING10", "discount": 10}
    if name == "Form Submitted":
        props = {"form_id": rng.choice(["contact", "nps-survey"]), "fields": ["email", "message"], "valid": True,
                 "message": rng.choice(["Hello,\nplease call me back.\tThanks!", "Line\u2028separator", "ok"])}
        if rng.random() < 0.5:  # survey answers keyed by question number: JS orders such keys first
            props["answers"] = {"q_nps": rng.randrange(11), "10": "fast shipping", "2": "yes", "1": "no"}
        return props
    return {"source": rng.choice(["cron", "billing", "crm"])} if rng.random() < 0.7 else {}


def _context(rng: random.Random, user: _User, edge: bool) -> dict:
    ctx: dict = {}
    name, version = user.library
    ctx["library"] = {"name": name, "version": version} if version else {"name": name}
    if user.platform == "web":
        page_name, path, _ = rng.choice(_PAGES)
        ctx["ip"] = user.ip
        ctx["locale"] = user.locale
        ctx["page"] = {"path": path, "referrer": user.referrer if user.referrer is not None else "",
                       "search": "", "title": page_name or "Shopwise", "url": f"https://shop.example.com{path}"}
        ctx["userAgent"] = user.ua
        ctx["timezone"] = rng.choice(["America/New_York", "Europe/Berlin", "Asia/Tokyo"])
        if user.campaign:
            ctx["campaign"] = dict(user.campaign)
        if "Chrome/" in user.ua and rng.random() < 0.3:
            data = {"brands": [{"brand": "Chromium", "version": "122"}, {"brand": "Not(A:Brand", "version": "24"}],
                    "mobile": "Mobile" in user.ua, "platform": rng.choice(["macOS", "Windows", "Android"])}
            if rng.random() < 0.5:
                data.update(model=rng.choice(["", "Pixel 8 Pro", "SM-X700"]),
                            platformVersion=rng.choice(["14.3.0", "15.0.0", "13.0.0"]))
            ctx["userAgentData"] = data
        if rng.random() < 0.2:
            ctx["location"] = dict(user.location)
    elif user.platform in ("ios", "android"):
        ctx["app"] = dict(user.app)
        ctx["device"] = dict(user.device)
        ctx["os"] = dict(user.os)
        ctx["locale"] = user.locale
        ctx["network"] = {"carrier": rng.choice(_CARRIERS), "wifi": rng.choice([True, False]), "cellular": True}
        ctx["screen"] = {"width": 390, "height": 844, "density": 3}
        ctx["timezone"] = "Europe/Berlin"
        ctx["ip"] = user.ip
        if rng.random() < 0.8:
            ctx["userAgent"] = user.ua
        if rng.random() < 0.6:
            ctx["location"] = dict(user.location)
        if user.campaign and rng.random() < 0.3:
            ctx["campaign"] = dict(user.campaign)
    else:  # server libraries send little context
        if rng.random() < 0.3:
            ctx["ip"] = user.ip
        if rng.random() < 0.2:
            ctx["userAgent"] = rng.choice(USER_AGENTS)
    if rng.random() < 0.1:
        ctx["traits"] = {"email": user.traits["email"], "plan": user.traits["plan"]}
    if rng.random() < 0.05:
        ctx["groupId"] = user.company["id"]
    if edge:
        trick = rng.randrange(9)
        if trick == 0:
            ctx.pop("library", None)
        elif trick == 1:
            ctx["userAgent"] = None
        elif trick == 2 and "device" in ctx:
            ctx["device"]["id"] = None
        elif trick == 3 and "device" in ctx:
            ctx["device"]["type"] = rng.choice(["IOS", "iPadOS", "android-tv", ""])
        elif trick == 4:
            ctx["locale"] = ""
        elif trick == 5 and "location" in ctx:
            ctx["location"]["latitude"] = str(ctx["location"]["latitude"])
        elif trick == 6:
            ctx["campaign"] = {"source": "ünïcødé", "medium": None, "name": "q1 💥"}
        elif trick == 7:
            ctx["device"] = {"type": "web", "id": rng.choice(["abc", "d1"])}
        else:
            ctx["page"] = {"referrer": None, "url": "https://shop.example.com/?q=a+b&x=%20"}
    return ctx


def _integrations(rng: random.Random, user: _User) -> dict | None:
    style = user.session_style
    if user.platform == "server" or style == "none":
        return None if rng.random() < 0.7 else {"All": True}
    sid = user.session_start
    if style == "actions":
        return {"Actions Amplitude": {"session_id": sid}}
    if style == "classic":
        return {"Amplitude": {"session_id": sid}}
    return {"Actions Amplitude": {"session_id": rng.choice([str(sid), _iso(sid)])}, "Amplitude": True}


def _event_type(rng: random.Random, user: _User) -> str:
    r = rng.random()
    if user.platform == "server":
        cuts = [("track", 0.70), ("identify", 0.85), ("group", 0.94), ("alias", 1.0)]
    elif user.platform == "web":
        cuts = [("track", 0.52), ("page", 0.80), ("identify", 0.90), ("group", 0.95), ("alias", 0.98), ("screen", 1.0)]
    else:
        cuts = [("track", 0.55), ("screen", 0.82), ("identify", 0.92), ("group", 0.96), ("alias", 1.0)]
    for name, cut in cuts:
        if r < cut:
            return name
    return "track"


def _reject(rng: random.Random, event: dict) -> None:
    """Turn an event into one that the runtime rejects for at least one of its subscriptions."""
    etype = event["type"]
    if etype == "track":
        trick = rng.randrange(4)
        if trick == 0:
            event.pop("event", None)
            event["type"] = "track"
        elif trick == 1:
            event["event"] = ""
        elif trick == 2:
            event["timestamp"] = rng.choice(["N/A", "not a timestamp", "yesterday"])
        else:
            event["event"] = "Order Completed"
            if not isinstance(event.get("properties"), dict):
                event["properties"] = {}
            props = event["properties"]
            props["quantity"] = rng.choice([1.5, "2.5"])
    elif etype == "group":
        event.pop("groupId", None)
    else:
        event["timestamp"] = rng.choice(["N/A", "not a timestamp"])


def generate_events(n: int, seed: int = 0) -> Iterator[dict]:
    """Yield ``n`` Segment events, deterministic for ``seed``."""
    rng = random.Random(f"events:{seed}")
    # Visitors arrive over time (about 12 events each); the pool is capped so memory stays flat.
    # Nothing depends on n, so a shorter run is a prefix of a longer one.
    users: list[_User] = []
    created = 0
    for i in range(n):
        if len(users) < 8 or rng.random() < 0.08:
            user = _User(rng, created)
            created += 1
            if len(users) < _MAX_USERS:
                users.append(user)
            else:
                users[rng.randrange(_MAX_USERS)] = user
        else:
            user = rng.choice(users)
        ms = user.tick(rng)
        edge = rng.random() < 0.12
        etype = _event_type(rng, user)
        event: dict = {"messageId": _uuid(rng) if rng.random() < 0.97 else f"m{i}", "type": etype}
        if user.anonymous_id and (user.platform != "server" or rng.random() < 0.2):
            event["anonymousId"] = user.anonymous_id
        if user.user_id is not None or rng.random() < 0.05:
            event["userId"] = user.user_id
        if etype == "track":
            names = {"web": _TRACK_WEB, "server": _TRACK_SERVER}.get(user.platform, _TRACK_APP)
            event["event"] = rng.choice(names) if rng.random() < 0.97 else rng.choice(
                ["Ünïcødé Évent ✓", "event with  spaces ", "Order Completed ", "order completed", "x"])
            event["properties"] = _track_properties(rng, event["event"].strip(), edge)
        elif etype == "page":
            page_name, path, category = rng.choice(_PAGES)
            if page_name is not None:
                event["name"] = page_name
            if category:
                event["category"] = category
            event["properties"] = {"path": path, "url": f"https://shop.example.com{path}", "title": page_name or "",
                                   "referrer": user.referrer or "", "search": ""}
        elif etype == "screen":
            event["name"] = rng.choice(_SCREENS)
            event["properties"] = {"step": rng.choice([1, 2, 3])} if rng.random() < 0.3 else {}
        elif etype == "identify":
            traits = dict(user.traits)
            if rng.random() < 0.3:
                traits["company"] = {"name": user.company["name"], "id": user.company["id"]}
            if rng.random() < 0.2:
                traits["logins"] = str(rng.randrange(1, 300)) if edge else rng.randrange(1, 300)
            event["traits"] = traits
        elif etype == "group":
            event["groupId"] = user.company["id"] if rng.random() < 0.9 else rng.randrange(100, 999)
            event["traits"] = {"name": user.company["name"], "industry": user.company["industry"],
                               "employees": rng.choice([5, 50, 500, "1000+"]), "plan": user.traits["plan"],
                               "website": "https://example.com"}
        elif etype == "alias":
            event["previousId"] = user.anonymous_id or "a1"
            if event.get("userId") is None:
                event["userId"] = user.alias_to
        event["context"] = _context(rng, user, edge)
        integrations = _integrations(rng, user)
        if integrations is not None:
            event["integrations"] = integrations
        event["timestamp"] = _timestamp(rng, ms, user.platform)
        event["originalTimestamp"] = _iso(ms - rng.randrange(0, 2000))
        event["sentAt"] = _iso(ms + rng.randrange(0, 5000))
        event["receivedAt"] = _iso(ms + rng.randrange(5000, 9000))
        if edge:
            _edge(rng, event)
        if rng.random() < 0.02:
            _reject(rng, event)
        yield event


def _edge(rng: random.Random, event: dict) -> None:
    """Top-level oddities seen in real traffic."""
    trick = rng.randrange(8)
    if trick == 0:
        event.pop("timestamp")
    elif trick == 1:
        event["userId"] = None
    elif trick == 2:
        event["properties"] = None
    elif trick == 3:
        event["traits"] = None if event["type"] != "identify" else {"email": None, "name": "Zoë 🚀", "age": "37"}
    elif trick == 4:
        event.pop("anonymousId", None)
        event.pop("userId", None)
    elif trick == 5:
        event["timestamp"] = rng.choice([_iso(DAY_START_MS)[:10], str(DAY_START_MS + 1234)])
    elif trick == 6:
        event["integrations"] = {"Actions Amplitude": {"session_id": rng.choice([0, -1, "-1", "2024-03-14"])}}
    else:
        event["anonymousId"] = rng.choice(["", "a", 12345])
