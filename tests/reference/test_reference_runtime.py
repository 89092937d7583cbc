"""The reference harness itself: real definitions, intercepted requests, frozen clock, UA parser."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

from migrate.generate import ACTION_DEFAULTS, USER_AGENTS, preset_subscription_list
from reference.harness import FROZEN_NOW_MS, ReferenceRuntimeError, installed_version, probe_user_agents

pytestmark = pytest.mark.reference

SETTINGS = {"apiKey": "fake-api-key", "secretKey": "fake-secret"}


def test_generator_presets_are_the_runtime_presets(reference_runtime):
    runtime = reference_runtime.presets()
    cloud = [p for p in runtime["presets"] if p["partnerAction"] != "sessionId"]
    ours = preset_subscription_list()
    assert [(p["name"], p["subscribe"], p["partnerAction"]) for p in cloud] == [
        (s["name"], s["subscribe"], s["partnerAction"]) for s in ours
    ]
    for preset, sub in zip(cloud, ours):
        assert list(preset["mapping"].items()) == list(sub["mapping"].items()), preset["name"]


def test_generator_defaults_are_the_runtime_defaults(reference_runtime):
    defaults = reference_runtime.presets()["defaults"]
    assert set(defaults) == set(ACTION_DEFAULTS)
    for slug, mapping in defaults.items():
        assert list(mapping.items()) == list(ACTION_DEFAULTS[slug].items()), slug


def test_requests_are_recorded_raw_and_errors_carry_status(reference_runtime):
    subs = preset_subscription_list()
    track = {"type": "track", "event": "Signed Up", "userId": "user-1", "properties": {"plan": "pro"},
             "timestamp": "2024-03-14T10:00:00.000Z"}
    (fired,) = reference_runtime.run_one(SETTINGS, subs, track)
    assert fired["subscription"] == "Track Calls" and fired["error"] is None
    (request,) = fired["requests"]
    assert request["method"] == "POST"
    assert request["url"] == "https://api2.amplitude.com/2/httpapi"
    assert request["headers"] == {"content-type": "application/json"}
    body = json.loads(request["body"])
    assert body["api_key"] == "fake-api-key"
    assert body["events"][0]["time"] == 1710410400000

    (fired,) = reference_runtime.run_one(SETTINGS, subs, {"type": "track", "userId": "user-1"})
    assert fired["requests"] == []
    assert fired["error"] == {"name": "AggregateAjvError", "status": 400,
                              "message": "The root value is missing the required field 'event_type'."}

    assert reference_runtime.run_one(SETTINGS, subs, {"type": "alias", "userId": "a", "previousId": "b"}) == []


def test_clock_is_frozen_for_group_identify(reference_runtime):
    sub = {"name": "Group", "partnerAction": "groupIdentifyUser", "subscribe": 'type = "group"',
           "mapping": {**ACTION_DEFAULTS["groupIdentifyUser"], "group_type": "company",
                       "group_value": {"@path": "$.groupId"}}}
    event = {"type": "group", "groupId": "grp_1", "userId": "user-1", "traits": {"name": "Acme"}}
    (fired,) = reference_runtime.run_one(SETTINGS, [sub], event)
    identify, group = fired["requests"]
    assert identify["url"] == "https://api2.amplitude.com/identify"
    assert group["url"] == "https://api2.amplitude.com/groupidentify"
    identification = json.loads(parse_qs(identify["body"])["identification"][0])
    assert identification[0]["time"] == FROZEN_NOW_MS


# What Segment's monorepo lock (tag @segment/action-destinations@3.497.0) pins for every package that shapes
# the destination's output; package.json's npm overrides reproduce it (a plain install resolves newer ones).
MONOREPO_LOCK = {
    "@segment/action-destinations": "3.497.0",
    "@segment/actions-core": "3.170.0",
    "@segment/destination-subscriptions": "3.37.0",
    "@segment/ajv-human-errors": "2.16.0",
    "@segment/fql-ts": "1.10.1",
    "@amplitude/ua-parser-js": "0.7.25",
    "dayjs": "1.10.7",
    "liquidjs": "10.25.7",
    "ajv": "8.18.0",
    "ajv-formats": "2.1.1",
    "fast-uri": "3.1.0",
    "lodash": "4.18.1",
    "aggregate-error": "3.1.0",
    "btoa-lite": "1.0.0",
}


def test_runtime_is_pinned_as_the_monorepo_lock(reference_runtime):
    assert {name: installed_version(name) for name in MONOREPO_LOCK} == MONOREPO_LOCK


def test_packages_resolve_from_the_runtime_to_the_pinned_copies(reference_runtime):
    """No nested copy shadows a pinned one: what actions-core and the destination load is the lock's version."""
    import subprocess

    from reference.harness import REFERENCE_DIR

    def resolved(frm, *names):
        out = subprocess.run(["node", str(REFERENCE_DIR / "versions.js"), frm, *names], cwd=REFERENCE_DIR,
                             capture_output=True, text=True, check=True, timeout=60)
        return json.loads(out.stdout)

    assert resolved("@segment/actions-core", "ajv", "dayjs", "liquidjs", "cross-fetch", "@lukeed/uuid") == {
        "ajv": "8.18.0", "dayjs": "1.10.7", "liquidjs": "10.25.7", "cross-fetch": "3.1.4", "@lukeed/uuid": "2.0.0"}
    assert resolved("@segment/action-destinations", "@amplitude/ua-parser-js", "dayjs", "liquidjs") == {
        "@amplitude/ua-parser-js": "0.7.25", "dayjs": "1.10.7", "liquidjs": "10.25.7"}


def test_ua_probe_answers_for_every_generated_user_agent(reference_runtime):
    results = probe_user_agents(USER_AGENTS)
    assert [r["ua"] for r in results] == USER_AGENTS
    iphone = next(r for r in results if r["ua"].startswith("Mozilla/5.0 (iPhone; CPU iPhone OS 9_1"))
    assert iphone["amplitude"] == {"os_name": "iOS", "os_version": "9", "device_manufacturer": "Apple",
                                   "device_model": "iPhone", "device_type": "mobile"}
    # The corpus must exercise the parser: several OS families, device types and vendors.
    assert {r["os"]["name"] for r in results} >= {"iOS", "Android", "Mac OS", "Windows", "Linux"}
    assert {r["device"]["type"] for r in results} >= {"mobile", "tablet", None}


def test_unknown_region_is_rejected_before_any_action_runs(reference_runtime):
    # The region lookup would fall back to North America, but the framework validates settings first.
    sub = {"name": "Alias", "partnerAction": "mapUser", "subscribe": 'type = "alias"', "mapping": {}}
    with pytest.raises(ReferenceRuntimeError, match='Endpoint Region must be one of: "north_america" or "europe"'):
        reference_runtime.run_one({**SETTINGS, "endpoint": "asia"}, [sub], {"type": "alias", "previousId": "p"})
