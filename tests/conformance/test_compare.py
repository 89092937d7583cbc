"""The conformance comparison itself: it must accept the runtime's own requests and catch changes.

Also checks our JS serialisers against real bodies: every body the runtime sent must come back
byte for byte from `actions.jsjson` after parsing.
"""

from __future__ import annotations

import copy
import json
from urllib.parse import parse_qsl

import pytest

from actions import jsjson
from migrate.events import parse_json_line
from migrate.generate import generate_events, generate_subscription_sets
from test_conformance import fired_diffs, json_diffs


def as_engine_request(ref_request: dict) -> dict:
    """A reference request (raw body) in the engine's shape (json / form dict)."""
    out = {"method": ref_request["method"], "url": ref_request["url"], "headers": dict(ref_request["headers"])}
    content_type = ref_request["headers"]["content-type"] or ""
    if content_type.startswith("application/json"):
        out["json"] = parse_json_line(ref_request["body"])
    else:
        out["form"] = dict(parse_qsl(ref_request["body"], keep_blank_values=True))
    return out


def as_engine_fired(ref_fired: list) -> list:
    return [{**f, "requests": [as_engine_request(r) for r in f["requests"]]} for f in ref_fired]


def test_json_diffs_follow_js_number_semantics():
    assert list(json_diffs({"a": 1, "b": [1, 2]}, {"b": [1.0, 2], "a": 1.0})) == []
    assert list(json_diffs({"a": True}, {"a": 1})) == [("$.a", True, 1)]
    assert list(json_diffs({"a": None}, {})) == [("$.a", None, "<absent>")]
    assert list(json_diffs([1, 2], [1])) == [("$.length", 2, 1)]


@pytest.fixture(scope="module")
def reference_sample(reference_runtime):
    """(set name, event, reference fired) for a few hundred events over every subscription set."""
    sample = []
    sets = generate_subscription_sets(7)
    events = [parse_json_line(json.dumps(e)) for e in generate_events(60 * len(sets), 7)]
    for i, subscription_set in enumerate(sets):
        chunk = events[i * 60:(i + 1) * 60]
        results = reference_runtime.run(subscription_set["settings"], subscription_set["subscriptions"], chunk)
        sample += [(subscription_set["name"], e, r) for e, r in zip(chunk, results)]
    assert sum(len(r) for _, _, r in sample) > 100, "the sample should fire plenty of subscriptions"
    return sample


@pytest.mark.reference
def test_reference_requests_compare_equal_to_themselves(reference_sample):
    for _, _, ref_fired in reference_sample:
        assert list(fired_diffs(ref_fired, as_engine_fired(ref_fired), jsjson)) == []


@pytest.mark.reference
def test_changed_requests_are_reported_with_their_path(reference_sample):
    json_case = next(r for _, _, r in reference_sample
                     if r and r[0]["requests"] and r[0]["requests"][0]["url"].endswith("/2/httpapi"))
    ours = as_engine_fired(json_case)
    ours[0]["requests"][0]["json"]["events"][0]["event_type"] = "something else"
    paths = [p for p, _, _ in fired_diffs(json_case, ours, jsjson)]
    assert paths == [f"[{json_case[0]['subscription']}].requests[0].json.events[0].event_type"]

    form_case = next(r for _, _, r in reference_sample
                     if r and r[0]["requests"] and r[0]["requests"][0]["url"].endswith("/identify")
                     and not r[0]["error"])
    ours = as_engine_fired(form_case)
    ident = json.loads(ours[0]["requests"][0]["form"]["identification"])
    target = ident[0] if isinstance(ident, list) else ident
    target["library"] = "not-segment"
    ours[0]["requests"][0]["form"]["identification"] = json.dumps(ident)
    paths = [p for p, _, _ in fired_diffs(form_case, ours, jsjson)]
    assert len(paths) == 1 and paths[0].endswith(".library")

    ours = as_engine_fired(form_case)
    ours[0]["requests"].pop()
    assert [p for p, _, _ in fired_diffs(form_case, ours, jsjson)][0].endswith(".requests.length")

    error_case = next(r for _, _, r in reference_sample if r and r[0]["error"])
    ours = copy.deepcopy(error_case)
    ours[0]["error"] = None
    assert [p for p, _, _ in fired_diffs(error_case, ours, jsjson)] == [f"[{error_case[0]['subscription']}].error"]


@pytest.mark.reference
def test_jsjson_reproduces_every_reference_body(reference_sample):
    """Parse each real body and serialise it again with our JS serialisers: bytes must match."""
    checked = 0
    for set_name, _, ref_fired in reference_sample:
        for fired in ref_fired:
            for request in fired["requests"]:
                ours = as_engine_request(request)
                if "json" in ours:
                    text = jsjson.dumps(ours["json"])
                else:
                    text = jsjson.url_search_params(list(ours["form"].items()))
                assert text == request["body"], f"{set_name}/{fired['subscription']}: {request['url']}"
                checked += 1
    assert checked > 100
