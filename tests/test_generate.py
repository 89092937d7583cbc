"""The seeded event and subscription generator (migrate/generate.py)."""

import collections
import itertools
import json
import types

from migrate.generate import (
    DAY_START_MS,
    USER_AGENTS,
    generate_events,
    generate_subscription_sets,
    generate_subscriptions,
)


def test_events_are_deterministic_for_a_seed_and_streamed():
    stream = generate_events(10**9, seed=3)
    assert isinstance(stream, types.GeneratorType)  # a billion events must not be built up front
    first = list(itertools.islice(stream, 200))
    assert first == list(generate_events(200, seed=3))
    assert first != list(generate_events(200, seed=4))


def test_events_cover_every_call_type_and_many_sources():
    events = list(generate_events(3000, seed=1))
    types_seen = collections.Counter(e["type"] for e in events)
    assert set(types_seen) == {"track", "page", "screen", "identify", "group", "alias"}
    assert types_seen["track"] > types_seen["page"] > types_seen["alias"]
    libraries = {e["context"].get("library", {}).get("name") for e in events}
    assert {"analytics.js", "analytics-ios", "analytics-android", "analytics-node"} <= libraries
    assert len({e["context"].get("userAgent") for e in events}) > 40
    names = collections.Counter(e.get("event") for e in events if e["type"] == "track")
    assert names["Order Completed"] > 50 and names["Product Viewed"] > 50
    json.dumps(events, allow_nan=False)  # plain JSON data only


def test_events_include_the_awkward_cases():
    events = list(generate_events(3000, seed=2))
    tracks = [e for e in events if e["type"] == "track"]
    assert any("event" not in e or e["event"] == "" for e in tracks)  # rejected: no event_type
    assert any(e.get("timestamp") in ("N/A", "not a timestamp", "yesterday") for e in events)
    assert any("timestamp" not in e for e in events)
    assert any(isinstance(e.get("timestamp"), int) for e in events)
    assert any(isinstance(e.get("userId"), str) and len(e["userId"]) < 5 for e in events)
    assert any(isinstance(e.get("userId"), int) for e in events)
    assert any("userId" in e and e["userId"] is None for e in events)
    products = [p for e in tracks for p in (e.get("properties") or {}).get("products") or [] if isinstance(p, dict)]
    assert any(isinstance(p.get("price"), str) for p in products)
    assert any((e.get("properties") or {}).get("quantity") in (1.5, "2.5") for e in tracks)
    assert any("Actions Amplitude" in (e.get("integrations") or {}) for e in events)
    assert any("Amplitude" in (e.get("integrations") or {}) for e in events)
    assert any(any(ord(c) > 127 for c in json.dumps(e, ensure_ascii=False)) for e in events)


def test_users_keep_their_ids_and_events_stay_in_the_day():
    events = list(generate_events(4000, seed=5))
    ids_by_anon = collections.defaultdict(set)
    for e in events:
        anon, user = e.get("anonymousId"), e.get("userId")
        if isinstance(anon, str) and len(anon) == 36 and isinstance(user, str):
            ids_by_anon[anon].add(user)
    assert ids_by_anon and all(len(ids) == 1 for ids in ids_by_anon.values())
    iso = [e["originalTimestamp"] for e in events]
    assert min(iso) >= "2024-03-13T23:59" and max(iso) < "2024-03-15"
    assert DAY_START_MS == 1710374400000


def test_subscription_sets_cover_every_action_and_option():
    sets = generate_subscription_sets(0)
    assert generate_subscription_sets(0) == sets
    assert generate_subscriptions(0) == [(s["settings"], s["subscriptions"]) for s in sets]
    subs = [sub for s in sets for sub in s["subscriptions"]]
    assert {s["partnerAction"] for s in subs} == {
        "logEvent", "logEventV2", "logPurchase", "identifyUser", "groupIdentifyUser", "mapUser"}
    assert "europe" in {s["settings"].get("endpoint") for s in sets}
    text = json.dumps(subs)
    for needle in ('"@template"', '"@if"', '"@arrayPath"', '"@case"', '"@replace"', '"@merge"',
                   '"use_batch_endpoint": true', '"trackRevenuePerProduct": true', '"min_id_length": ',
                   '"userAgentParsing": false', '"behavior": "auto"', '"library2": {}'):
        assert needle in text, needle
    for s in sets:
        assert s["settings"]["apiKey"].startswith("fake-")
        assert len({sub["name"] for sub in s["subscriptions"]}) == len(s["subscriptions"])


def test_user_agent_list_is_varied():
    assert len(USER_AGENTS) >= 60 and len(set(USER_AGENTS)) == len(USER_AGENTS)
    for needle in ("iPhone", "iPad", "Android", "Macintosh", "Windows NT", "X11; Linux", "Firefox", "Edg/",
                   "Dalvik", "CFNetwork", "bot", "curl"):
        assert any(needle in ua for ua in USER_AGENTS), needle
