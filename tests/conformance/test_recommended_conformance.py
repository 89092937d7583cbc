"""The recommended subscriptions (every rule applied, cloud, web and iOS) against the pinned runtime: the
triggers parse and match, and the directives they use (@if blank, @transform lookups, @merge removals)
give the same requests in the runtime as in the engine."""

from __future__ import annotations

import copy
import json

import pytest

import classic
from migrate import recommend as R
from migrate.events import parse_json_line
from migrate.findings import Finding, VariantFindings
from migrate.generate import generate_events
from migrate.translate import translate
from test_conformance import _engine_factory, fired_diffs

SETTINGS = {"apiKey": "0123456789abcdef0123456789ab7d35", "secretKey": "fedcba9876543210fedcba98765c1f",
            "groupTypeTrait": "account_type", "groupValueTrait": "name", "trackNamedPages": True,
            "trackCategorizedPages": True, "traitsToIncrement": ["logins"], "sendAlias": True}
UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36"
CTX = {"library": {"name": "analytics-python", "version": "1"}}

HAND_MADE = [
    {"type": "track", "event": "Subscription Renewed", "userId": "user-1", "properties": {"revenue": "$9.99"}},
    {"type": "track", "event": "Order Completed", "userId": "user-1",
     "properties": {"revenue": 20, "products": [{"product_id": "p1", "price": 20, "quantity": 1}]}},
    {"type": "track", "event": "Signed In", "userId": "user-1", "properties": {}},
    {"type": "page", "name": "", "category": "Docs", "userId": "user-1", "properties": {"category": "Docs"}},
    {"type": "page", "name": "Start", "category": "", "userId": "user-1", "properties": {}},
    {"type": "page", "name": "Start", "userId": "user-1", "properties": {}},
    {"type": "screen", "name": "Home", "userId": "user-1", "properties": {"category": ""}},
    {"type": "group", "groupId": "acme-1", "userId": "user-1", "traits": {"account_type": "", "name": "Acme"}},
    {"type": "group", "groupId": "acme-1", "userId": "user-1", "traits": {"account_type": "company", "name": "Acme"}},
    {"type": "track", "event": "Viewed", "userId": "user-1", "context": {"userAgent": UA, "locale": "de-DE"}},
    {"type": "track", "event": "Viewed", "userId": "user-1", "context": {
        "library": {"name": "analytics.js", "version": "2"}, "userAgent": UA,
        "location": {"city": "Lyon", "region": "ARA", "country": "France"}}},
    {"type": "track", "event": "Viewed", "userId": "user-1", "context": {
        "library": {"name": "analytics-ios", "version": "4"}, "os": {"name": "iOS"}, "device": {"type": ""}}},
    {"type": "identify", "userId": "user-1", "traits": {"plan": "pro", "logins": 2, "address": {"city": "Berlin"}}},
    # integrations.Amplitude.groups as a plain @path inside the user_properties @merge: an object, and the
    # `false` a path walk returns when the options object is `false` (the merge ignores it)
    {"type": "track", "event": "Joined", "userId": "user-1", "context": {"traits": {"plan": "pro"}},
     "integrations": {"Amplitude": {"groups": {"company": "acme-1"}}}},
    {"type": "track", "event": "Joined", "userId": "user-1", "context": {"traits": {"plan": "pro"},
                                                                         "campaign": {"source": "news"}},
     "integrations": {"Amplitude": False, "Actions Amplitude": True}},
]


def _events():
    out = []
    for i, e in enumerate(HAND_MADE):
        e = copy.deepcopy(e)
        e.setdefault("messageId", f"m-{i}")
        e.setdefault("timestamp", "2024-06-12T07:01:28.937Z")
        e["context"] = {**CTX, **e.get("context", {})}
        out.append(parse_json_line(json.dumps(e)))
    return out + [parse_json_line(json.dumps(e)) for e in generate_events(60, 11)]


def _every_rule(mode: str) -> list[dict]:
    """The translated subscriptions with every rule applied, whatever the evidence."""
    findings = VariantFindings("all")
    for category, paths in {"event_properties": ["event_properties.products", "event_properties.name"],
                            "revenue": ["revenue", "price", "event 'revenue_amount'"], "other_fields": ["country", "idfv"],
                            "platform_fields": ["platform", "library"], "session": ["session_id"],
                            "group": ["groups"], "user_properties": ["user_properties"],
                            "product_purchased": ["event_properties"],
                            "error": ["Categorized Pages: x", "Categorized Screens: x"]}.items():
        findings.paths[category] = {p: 1 for p in paths}
        findings.findings[category] = Finding(category, 1, {"page: Home": 1, "Subscription Renewed": 1})
    detections = [{"kind": "short_ids", "count": 1}, {"kind": "peak_eps", "count": 1}]
    evidence = R.Evidence(findings, detections, mode, classic.load_settings(SETTINGS)[0])
    subs = translate(SETTINGS, mode=mode).subscriptions
    for rule in R.RULES:
        subs, _ = rule.apply(subs, evidence)
    return subs


@pytest.mark.reference
@pytest.mark.parametrize("mode", ["cloud", "web", "ios"])
def test_recommended_subscriptions_match_the_runtime(reference_runtime, mode):
    from actions import jsjson

    subs = _every_rule(mode)
    settings = translate(SETTINGS, mode=mode).settings
    engine = _engine_factory()(settings, subs, f"recommended-{mode}")
    events = _events()
    results = reference_runtime.run(settings, subs, events)
    fired = 0
    failures = []
    for event, ref_fired in zip(events, results):
        fired += len(ref_fired)
        diffs = list(fired_diffs(ref_fired, engine.send(copy.deepcopy(event)), jsjson))
        if diffs:
            failures.append(f"{event.get('type')} {event.get('event') or event.get('name')!r}: {diffs[:3]}")
    assert fired > len(events) // 2, "the sample should fire plenty of subscriptions"
    assert not failures, "\n".join(failures[:10])
