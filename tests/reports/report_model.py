"""A realistic report model (the compare step's output contract) to render in tests.

`make_report_model(hostile=True)` puts attacker-controlled strings everywhere event data can reach the report,
and real-looking secrets where a careless producer might leave them.
"""

import copy

XSS_IMG = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
XSS_SCRIPT = "</script><script>document.title='pwned'</script>"
XSS_TEXTAREA = "</textarea><img src=x onerror=\"document.body.setAttribute('data-pwned','2')\">"
XSS_SVG = "</text></svg><svg onload=\"document.body.setAttribute('data-pwned','3')\">"
FAKE_API_KEY = "8c1d0f3e9b2a47c6d5e4f3a2b1c07d35"
FAKE_SECRET_KEY = "f00dfeedbeefcafe0123456789abcdef"
FAKE_TOKEN = "sgp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"


def _classic_track(name, props, *, user="u_1029", device="2b6f0cc9-04f4-4c1d-9a1e-8f0e3f1c7a11", revenue=None):
    rec = {
        "kind": "event",
        "user_id": user,
        "device_id": device,
        "event_type": name,
        "time": 1718269200000,
        "library": "segment",
        "platform": "Web",
        "os_name": "Chrome",
        "os_version": "125",
        "device_model": "Mac OS",
        "language": "English",
        "country": "United States",
        "ip": "203.0.113.42",
        "user_properties": {"id": user, "email": "ana@example.com", "plan": "growth"},
        "event_properties": props,
    }
    if revenue is not None:
        rec["revenue"] = revenue
    return rec


def _actions_track(name, props, *, user="u_1029", device="2b6f0cc9-04f4-4c1d-9a1e-8f0e3f1c7a11"):
    return {
        "kind": "event",
        "user_id": user,
        "device_id": device,
        "event_type": name,
        "time": 1718269200000,
        "library": "analytics.js",
        "platform": "Web",
        "os_name": "Chrome",
        "os_version": "125",
        "device_model": "Mac OS",
        "language": "en-US",
        "ip": "203.0.113.42",
        "user_properties": {"email": "ana@example.com", "plan": "growth"},
        "event_properties": props,
    }


def _variant(name, label, events, matched, categories, by_event):
    return {
        "label": label,
        "parity": matched / events,
        "events": events,
        "matched": matched,
        "categories": categories,
        "by_event": by_event,
    }


def _by_event(rows):
    return [
        {"event_name": n, "events": e, "matched": m, "parity": m / e} for n, e, m in rows
    ]


def build_report_model(hostile=False):
    page_name = "Viewed Pricing"
    track_name = "Product Viewed"
    if hostile:
        page_name = XSS_IMG
        track_name = XSS_SCRIPT

    page_cat = {
        "category": "page_event_name",
        "title": "Page event names differ",
        "count": 58,
        "events_by_name": {"Viewed Pricing Page": 31, "Viewed Docs Getting Started Page": 19, page_name: 8},
        "explanation": (
            "Classic names a page 'Viewed <category> <name> Page'; the Page Calls preset uses 'Viewed {{name}}'. "
            "Charts and cohorts keyed on the old names break unless the Page Calls mapping is changed."
        ),
        "examples": [
            {
                "messageId": "ajs-next-1718269200000-6b8f2d1e",
                "event_name": page_name,
                "paths": ["root[0]['event_type']", "root[0]['event_properties']['category']"],
                "classic": [
                    _classic_track(
                        "Viewed Marketing Pricing Page",
                        {"name": "Pricing", "category": "Marketing", "path": "/pricing", "url": "https://shop.example.com/pricing"},
                    )
                ],
                "actions": [
                    _actions_track(page_name, {"name": "Pricing", "path": "/pricing", "url": "https://shop.example.com/pricing"})
                ],
            }
        ],
    }
    userprop_cat = {
        "category": "user_properties_id",
        "title": "Classic adds 'id' to user properties",
        "count": 212,
        "events_by_name": {track_name: 96, "Checkout Started": 40, "Order Completed": 24, "Signed In": 52},
        "explanation": "Classic copies userId into user_properties.id on every call; Actions sends traits unchanged.",
        "examples": [
            {
                "messageId": "api-2Jx7kQe9Lm3Nb",
                "event_name": track_name,
                "paths": ["root[0]['user_properties']['id']", "root[0]['library']", "root[0]['language']", "root[0]['country']"],
                "classic": [_classic_track(track_name, {"product_id": "sku-4471", "price": 49.0, "currency": "USD"})],
                "actions": [_actions_track(track_name, {"product_id": "sku-4471", "price": 49.0, "currency": "USD"})],
            }
        ],
    }
    revenue_cat = {
        "category": "revenue_on_track",
        "title": "Revenue on plain track events",
        "count": 14,
        "events_by_name": {"Subscription Renewed": 14},
        "explanation": "Classic lifts revenue to the top level of any track event; Track Calls (logEventV2) sends none.",
        "examples": [
            {
                "messageId": "srv-renew-000391",
                "event_name": "Subscription Renewed",
                "paths": ["root[0]['revenue']"],
                "classic": [_classic_track("Subscription Renewed", {"plan": "growth"}, revenue=299)],
                "actions": [_actions_track("Subscription Renewed", {"plan": "growth", "revenue": 299})],
            }
        ],
    }
    alias_cat = {
        "category": "alias_usermap",
        "title": "Alias calls are not mapped",
        "count": 6,
        "events_by_name": {"alias": 6},
        "explanation": "Enable Alias sent a usermap request; Actions needs a Map User subscription.",
        "examples": [
            {
                "messageId": "alias-77",
                "event_name": "alias",
                "paths": ["root[0]"],
                "classic": [{"kind": "usermap", "user_id": "anon-7731", "global_user_id": "u_1029"}],
                "actions": [],
            }
        ],
    }
    by_event = _by_event(
        [
            (track_name, 180, 84),
            ("Checkout Started", 64, 24),
            ("Order Completed", 24, 0),
            ("Signed In", 52, 0),
            ("Subscription Renewed", 14, 0),
            ("Viewed Pricing Page", 31, 0),
            ("Viewed Docs Getting Started Page", 19, 0),
            (page_name, 8, 0),
            ("identify", 60, 60),
            ("group", 12, 12),
            ("alias", 6, 0),
            ("Loaded a Screen", 30, 30),
        ]
    )
    events = 500
    model = {
        "tool": {"name": "amplitude-migrate", "version": "0.1.0"},
        "generated_at": "2024-06-13T09:30:00+00:00",
        "inputs": {
            "events_files": ["examples/events.jsonl"] + (["events/" + XSS_IMG + ".jsonl"] if hostile else []),
            "events": events,
            "skipped": 2,
            "skipped_examples": [
                {"file": "examples/events.jsonl", "line": 118, "reason": "malformed JSON: Expecting ',' delimiter"},
                {"file": "examples/events.jsonl", "line": 240, "reason": XSS_TEXTAREA if hostile else "not a JSON object"},
            ],
            "mode": "cloud",
            "settings_file": "examples/classic-settings.json",
            "subscriptions_file": None,
        },
        "parity": {"presets": 0.412, "translated": 0.718, "recommended": 0.964},
        "variants": {
            "presets": _variant(
                "presets", "Actions presets, unchanged", events, 206,
                [userprop_cat, page_cat, revenue_cat, alias_cat,
                 {"category": "group_type", "title": "Group calls are dropped", "count": 12,
                  "events_by_name": {"group": 12},
                  "explanation": "There is no Group Identify preset; classic sent [Segment] Group.", "examples": []}],
                by_event,
            ),
            "translated": _variant(
                "translated", "Translated from your classic settings", events, 359,
                [userprop_cat, page_cat, revenue_cat, alias_cat], by_event,
            ),
            "recommended": _variant(
                "recommended", "Translated + recommended changes", events, 482,
                [revenue_cat, {**alias_cat, "count": 4}], by_event[:6],
            ),
        },
        "translation_log": [
            {"key": "apiKey", "value": FAKE_API_KEY, "status": "exact", "reason": "Global setting API Key"},
            {"key": "secretKey", "value": FAKE_SECRET_KEY, "status": "exact", "reason": "Global setting Secret Key"},
            {"key": "endpoint", "value": "north_america", "status": "exact", "reason": "Region"},
            {"key": "trackNamedPages", "value": True, "status": "approximated",
             "reason": "Page Calls trigger gains `properties.name exists`; names become 'Viewed {{name}}'"},
            {"key": "trackCategorizedPages", "value": True, "status": "approximated",
             "reason": "Trigger condition on properties.category"},
            {"key": "traitsToIncrement", "value": ["logins", "orders"], "status": "not_migratable",
             "reason": "Not supported with Actions; Identify User has no $add field"},
            {"key": "traitsToSetOnce", "value": ["first_seen"], "status": "not_migratable",
             "reason": "Not supported as a setting"},
            {"key": "groupTypeTrait", "value": "plan" if not hostile else XSS_IMG, "status": "exact",
             "reason": "Group Identify User: group_type"},
            {"key": "sendAlias", "value": True, "status": "exact", "reason": "Map User subscription added"},
            {"key": "useLogRevenueV2", "value": True, "status": "default", "reason": "Actions always uses revenue v2"},
            {"key": "headers", "value": [{"name": "Authorization", "value": "Bearer " + FAKE_TOKEN}],
             "status": "not_migratable", "reason": "not a classic setting (test of masking)"},
        ],
        "recommendations": [
            {
                "category": "page_event_name",
                "title": "Keep classic page names" if not hostile else "Rename " + XSS_SCRIPT,
                "description": "Change the Page Calls event_type template to 'Viewed {{category}} {{name}} Page'.",
                "change": {
                    "kind": "patch",
                    "subscription": "Page Calls",
                    "patch": {"mapping": {"event_type": {"@template": "Viewed {{properties.category}} {{name}} Page"}}},
                },
                "parity_before": 0.718,
                "parity_after": 0.834,
            },
            {
                "category": "user_properties_id",
                "title": "Send userId as user property id",
                "description": "Add id ← $.userId to user_properties in Track Calls and Identify Calls.",
                "change": {
                    "kind": "patch",
                    "subscription": "Track Calls",
                    "patch": {"mapping": {"user_properties": {"@merge": {"objects": [{"@path": "$.context.traits"}, {"id": {"@path": "$.userId"}}]}}}},
                },
                "parity_before": 0.834,
                "parity_after": 0.956,
            },
            {
                "category": "alias_usermap",
                "title": "Add a Map User subscription",
                "description": "Alias calls reached Amplitude as usermap requests in classic.",
                "change": {"kind": "new_subscription", "subscription": "Map User",
                           "patch": {"partnerAction": "mapUser", "subscribe": 'type = "alias"'}},
                "parity_before": 0.956,
                "parity_after": 0.964,
            },
        ],
        "residuals": [
            {"category": "revenue_on_track", "count": 14,
             "explanation": "Actions sends revenue only from Log Purchase; change the trigger of 'Subscription Renewed' if it must count as revenue."},
            {"category": "alias_usermap", "count": 4, "explanation": "unmap options have no Actions equivalent."},
        ],
        "detections": [
            {"kind": "short_ids", "title": "User ids shorter than 5 characters", "count": 3,
             "detail": "Amplitude drops ids under 5 characters unless min_id_length is set.",
             "examples": ["u_12", "42", XSS_IMG if hostile else "abc"]},
            {"kind": "peak_eps", "title": "Peak events per second per device", "count": 1,
             "detail": "Highest 1-second rate for one device: 41 (HTTP API v2 throttles at 30).", "examples": []},
            {"kind": "overlapping_triggers", "title": "Overlapping triggers", "count": 0,
             "detail": "No event matches two subscriptions.", "examples": []},
        ],
        "subscriptions": {
            "translated": [
                {"name": "Track Calls", "partnerAction": "logEventV2", "subscribe": 'type = "track" and event != "Order Completed"',
                 "mapping": {"event_type": {"@path": "$.event"}}, "enabled": True},
            ],
            "recommended": [
                {"name": "Page Calls" if not hostile else XSS_TEXTAREA, "partnerAction": "logEventV2",
                 "subscribe": 'type = "page" and (properties.name exists or properties.category exists)',
                 "mapping": {"event_type": {"@template": "Viewed {{properties.category}} {{name}} Page"}}, "enabled": True},
                {"name": "Map User", "partnerAction": "mapUser", "subscribe": 'type = "alias"', "mapping": {}, "enabled": True},
            ],
        },
    }
    if hostile:
        # A producer bug: settings with live credentials leaking into a detection's examples.
        model["detections"].append(
            {"kind": "integrations_flags", "title": "integrations flags", "count": 1,
             "detail": f"request sent with api_key={FAKE_API_KEY}&event=...",
             "examples": [{"settings": {"apiKey": FAKE_API_KEY, "secretKey": FAKE_SECRET_KEY, "token": FAKE_TOKEN}}]}
        )
    return model


def make(**kw):
    return copy.deepcopy(build_report_model(**kw))
