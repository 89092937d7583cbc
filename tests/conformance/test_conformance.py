"""Our Amplitude (Actions) engine against the real runtime, on generated events.

Every generated event goes through one subscription set in both the pinned real runtime
(tests/reference) and `actions.Engine`; the fired subscriptions, their requests (method, URL,
content type, body) and their errors (name, status) must be identical. JSON bodies are compared as
parsed JSON (with JS number semantics: 1 == 1.0, but true != 1); form bodies field by field after
url-decoding, in wire order, with the JSON-valued fields parsed.

Reproduce a failure with the seed printed in the report:
    CONFORMANCE_SEED=<seed> pytest tests/conformance -x
Set CONFORMANCE_BYTE_EXACT=1 to also require byte-identical bodies.
"""

from __future__ import annotations

import copy
import inspect
import json
import os
import re
import traceback
from urllib.parse import parse_qsl

import pytest

from migrate.events import parse_json_line
from migrate.generate import generate_events, generate_subscription_sets
from reference.harness import FROZEN_NOW_MS

pytestmark = pytest.mark.reference

SEED = int(os.environ.get("CONFORMANCE_SEED", "20240314"))
EVENTS = int(os.environ.get("CONFORMANCE_EVENTS", "2400"))
BYTE_EXACT = os.environ.get("CONFORMANCE_BYTE_EXACT") == "1"
FORM_JSON_FIELDS = ("identification", "mapping", "options")
MAX_REPORTED = 8


# ---------------------------------------------------------------------------------------------
# Comparison helpers (plain functions so a failure message can name the exact path)


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def json_diffs(ref, ours, path: str = "$"):
    """Yield (path, ref, ours) where two parsed JSON values differ (object key order ignored)."""
    if _kind(ref) != _kind(ours):
        yield path, ref, ours
    elif isinstance(ref, dict):
        for key in ref.keys() | ours.keys():
            sub = f"{path}.{key}"
            if key not in ours:
                yield sub, ref[key], "<absent>"
            elif key not in ref:
                yield sub, "<absent>", ours[key]
            else:
                yield from json_diffs(ref[key], ours[key], sub)
    elif isinstance(ref, list):
        if len(ref) != len(ours):
            yield f"{path}.length", len(ref), len(ours)
        for i, (a, b) in enumerate(zip(ref, ours)):
            yield from json_diffs(a, b, f"{path}[{i}]")
    elif ref != ours:
        yield path, ref, ours


def _parse_maybe_json(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def _our_body_text(request: dict, jsjson) -> str | None:
    if "json" in request:
        return jsjson.dumps(request["json"])
    if "form" in request:
        return jsjson.url_search_params(list(request["form"].items()))
    return None


def request_diffs(ref: dict, ours: dict, path: str, jsjson):
    """Differences between one reference request (raw body) and one of ours (json/form dict)."""
    for key in ("method", "url"):
        if ref[key] != ours.get(key):
            yield f"{path}.{key}", ref[key], ours.get(key)
    ref_ct = (ref.get("headers") or {}).get("content-type")
    our_ct = (ours.get("headers") or {}).get("content-type")
    if ref_ct != our_ct:
        yield f"{path}.headers.content-type", ref_ct, our_ct
    body = ref["body"]
    if ref_ct and ref_ct.startswith("application/json"):
        if "json" not in ours:
            yield f"{path}.json", "<json body>", f"<keys {sorted(ours)}>"
            return
        # Through our serialiser first: what counts is what would go on the wire.
        yield from json_diffs(json.loads(body), json.loads(jsjson.dumps(ours["json"])), f"{path}.json")
    elif ref_ct and ref_ct.startswith("application/x-www-form-urlencoded"):
        if "form" not in ours:
            yield f"{path}.form", "<form body>", f"<keys {sorted(ours)}>"
            return
        ref_pairs = parse_qsl(body, keep_blank_values=True, strict_parsing=bool(body))
        our_pairs = list(ours["form"].items())
        if [k for k, _ in ref_pairs] != [k for k, _ in our_pairs]:
            yield f"{path}.form.<fields>", [k for k, _ in ref_pairs], [k for k, _ in our_pairs]
            return
        for (key, ref_value), (_, our_value) in zip(ref_pairs, our_pairs):
            sub = f"{path}.form.{key}"
            if not isinstance(our_value, str):
                yield sub, ref_value, our_value
            elif key in FORM_JSON_FIELDS:
                yield from json_diffs(_parse_maybe_json(ref_value), _parse_maybe_json(our_value), sub)
            elif ref_value != our_value:
                yield sub, ref_value, our_value
    elif body != (_our_body_text(ours, jsjson) or ""):
        yield f"{path}.body", body, _our_body_text(ours, jsjson)
    if BYTE_EXACT:
        text = _our_body_text(ours, jsjson)
        if text != body:
            yield f"{path}.<raw body>", body, text


def fired_diffs(ref_fired: list, our_fired: list, jsjson):
    """Differences between the fired-subscription lists of one event."""
    ref_names = [f["subscription"] for f in ref_fired]
    our_names = [f.get("subscription") for f in our_fired]
    if ref_names != our_names:
        yield "fired", ref_names, our_names
        return
    for ref, ours in zip(ref_fired, our_fired):
        base = f"[{ref['subscription']}]"
        if ref["action"] != ours.get("action"):
            yield f"{base}.action", ref["action"], ours.get("action")
        ref_err, our_err = ref["error"], ours.get("error")
        if (ref_err is None) != (our_err is None):
            yield f"{base}.error", ref_err, our_err
        elif ref_err is not None:
            for key in ("name", "status"):
                if ref_err.get(key) != our_err.get(key):
                    yield f"{base}.error.{key}", ref_err, our_err
        ref_reqs, our_reqs = ref["requests"], ours.get("requests") or []
        if len(ref_reqs) != len(our_reqs):
            yield f"{base}.requests.length", [r["url"] for r in ref_reqs], [r.get("url") for r in our_reqs]
            continue
        for i, (a, b) in enumerate(zip(ref_reqs, our_reqs)):
            yield from request_diffs(a, b, f"{base}.requests[{i}]", jsjson)


# ---------------------------------------------------------------------------------------------


def _engine_factory():
    from actions import Engine, load_subscriptions  # an ImportError here means the engine is not there yet

    # The reference clock is frozen; groupIdentifyUser sends "now" for events without a timestamp.
    takes_now = "now" in inspect.signature(Engine).parameters

    def make(settings, subscriptions, name):
        subs = load_subscriptions(copy.deepcopy(subscriptions), source=f"generated:{name}")
        kwargs = {"now": FROZEN_NOW_MS} if takes_now else {}
        return Engine(settings=dict(settings), subscriptions=subs, **kwargs)

    return make


def _short(value, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def test_engine_matches_reference_runtime(reference_runtime):
    make_engine = _engine_factory()
    from actions import jsjson

    sets = generate_subscription_sets(SEED)
    events = [parse_json_line(json.dumps(e)) for e in generate_events(EVENTS, SEED)]
    per_set = {s["name"]: [] for s in sets}
    for index, event in enumerate(events):
        per_set[sets[index % len(sets)]["name"]].append((index, event))

    compared = fired = byte_exact = requests_seen = message_diffs = 0
    failures: list[str] = []
    kinds: dict[str, int] = {}
    failed_events = 0
    for subscription_set in sets:
        name = subscription_set["name"]
        indexed = per_set[name]
        engine = make_engine(subscription_set["settings"], subscription_set["subscriptions"], name)
        ref_results = reference_runtime.run(
            subscription_set["settings"], subscription_set["subscriptions"], [e for _, e in indexed]
        )
        for (index, event), ref_fired in zip(indexed, ref_results):
            compared += 1
            fired += len(ref_fired)
            try:
                our_fired = engine.send(copy.deepcopy(event))
            except Exception:  # an engine crash is a mismatch like any other
                diffs = [("<engine raised>", None, traceback.format_exc(limit=3).strip().splitlines()[-1])]
            else:
                diffs = list(fired_diffs(ref_fired, our_fired, jsjson))
                for ref, ours in zip(ref_fired, our_fired):
                    if ref["error"] and ours.get("error") and ref["error"]["message"] != ours["error"].get("message"):
                        message_diffs += 1
                    for a, b in zip(ref["requests"], ours.get("requests") or []):
                        requests_seen += 1
                        byte_exact += _our_body_text(b, jsjson) == a["body"]
            if diffs:
                failed_events += 1
                signature = _signature(diffs[0][0])
                kinds[signature] = kinds.get(signature, 0) + 1
                if kinds[signature] == 1 and len(failures) < MAX_REPORTED:  # one example per kind
                    lines = [f"seed={SEED} set={name} event#{index} type={event.get('type')} "
                             f"event={_short(event.get('event') or event.get('name'))}"]
                    lines += [f"    {path}: reference={_short(a)} ours={_short(b)}" for path, a, b in diffs[:6]]
                    if len(diffs) > 6:
                        lines.append(f"    ... {len(diffs) - 6} more differences")
                    failures.append("\n".join(lines))

    summary = (f"{compared} events, {fired} fired subscriptions, {requests_seen} requests "
               f"({byte_exact} byte-exact), {message_diffs} error messages worded differently; "
               f"{failed_events} events differ")
    print(summary)
    assert compared >= 2000
    top = sorted(kinds.items(), key=lambda kv: -kv[1])[:12]
    kinds_text = "\n".join(f"  {count:5d}  {sig}" for sig, count in top)
    assert not failed_events, f"{summary}\nmost common first differences:\n{kinds_text}\nexamples:\n" + "\n".join(failures)


def _signature(path: str) -> str:
    """A difference path with list indices removed, to group events that differ the same way."""
    return re.sub(r"\[\d+\]", "[]", path)
