"""A device-mode upload given to `compare` as its records (`Emulator.upload_records`, `classic.sdk.decoded_upload`)
holds exactly the records `canonical.records_from_requests` makes of the upload request: the same values, types,
key order and number forms, for any values, and for every event of the corpora in every mode."""

from __future__ import annotations

import json
import math
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import classic
from classic.sdk import WEB_UPLOAD_URL, decoded_upload, upload_request
from migrate.canonical import records_from_requests, sdk_record

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SETTINGS = ROOT / "examples" / "classic-settings.json"


def typed(value):
    """The value with its types visible: 1 and 1.0 differ, key order counts, NaN is itself."""
    if isinstance(value, dict):
        return ("object", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [typed(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    return (type(value).__name__, repr(value))


def plain_records(events: list) -> list:
    """The plain rule: the upload request, its body parsed back by the one normaliser."""
    return records_from_requests([upload_request(events, "key", WEB_UPLOAD_URL)])


FLOATS = st.one_of(st.floats(), st.sampled_from([1e-7, 1e16, 1e21, 2.0**53 + 2, -0.0, 0.1, 1.0, math.inf, math.nan]))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), FLOATS, st.text(max_size=6),
                    st.sampled_from(["null", "é", "\u2028", "\x00", "😀", "\ud800", "a\"b\\c"]))
KEYS = st.one_of(st.text(max_size=4), st.sampled_from(["null", "ü"]), st.integers(-3, 3), st.booleans())
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
                      | st.dictionaries(KEYS, inner, max_size=3), max_leaves=12)
EVENT_TYPES = st.sampled_from(["Viewed", "$identify", "$groupidentify", "revenue_amount"])
SDK_EVENTS = st.lists(st.fixed_dictionaries(
    {"event_type": EVENT_TYPES, "timestamp": st.one_of(st.integers(0, 2**45), FLOATS),
     "event_properties": st.dictionaries(KEYS, VALUES, max_size=3), "user_properties": VALUES,
     "groups": st.dictionaries(st.text(max_size=3), VALUES, max_size=2), "group_properties": VALUES},
    optional={"api_properties": st.fixed_dictionaries({"special": st.just("revenue_amount"), "price": VALUES,
                                                       "quantity": VALUES}),
              "library": VALUES, "device_id": VALUES}), min_size=1, max_size=3)


def _plain_or_error(events):
    try:
        return typed(plain_records(events))
    except (TypeError, ValueError) as exc:  # what `Emulator.send` turns into a skip
        return ("error", type(exc).__name__)


@settings(max_examples=500, deadline=None)
@given(SDK_EVENTS)
def test_decoded_upload_is_the_body_read_back(events):
    decoded = decoded_upload(events)
    if decoded is not None:
        assert typed([sdk_record(e) for e in decoded]) == _plain_or_error(events)
        assert typed(decoded) == typed(orjson.loads(json.dumps(events, ensure_ascii=False, separators=(",", ":"))))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 2**64, -(2**63) - 1, "\udc00", {1: "a"},
                                   {True: 1}, type("S", (str,), {})("x"), type("I", (int,), {})(3)])
def test_values_it_cannot_promise_take_the_request(value):
    assert decoded_upload([{"event_type": "x", "event_properties": {"v": value}}]) is None


def _emulator(mode: str, records: bool):
    emulator = classic.Emulator(json.loads(EXAMPLE_SETTINGS.read_text()), mode=mode)
    if records:
        emulator.upload_records = sdk_record
    return emulator


def _records(out: dict) -> list:
    return out["records"] if out.get("records") is not None else records_from_requests(out.get("requests") or [])


@pytest.mark.parametrize("mode", ["web", "ios", "android", "cloud"])
def test_emulator_records_are_the_requests_records(mode):
    """Every event of the example, the fuzz corpus and generated events, in every mode: the same records (or the
    same skip) with `upload_records` as from the request without it; the other fields of the output alike."""
    import random
    import sys

    from migrate.generate import generate_events

    sys.path.insert(0, str(ROOT / "tests" / "fuzz"))
    from mutate import mutate_event

    events = [json.loads(line) for line in (ROOT / "examples" / "events.jsonl").read_text().splitlines()]
    events += list(generate_events(400, seed=7))
    rng = random.Random(11)
    events += [mutate_event(json.loads(json.dumps(e)), rng) for e in events[:600]]
    plain, fast = _emulator(mode, False), _emulator(mode, True)
    shortcut = 0
    for event in events:
        a, b = plain.send(event), fast.send(event)
        assert typed(_records(a)) == typed(_records(b)), event
        assert typed({k: v for k, v in a.items() if k not in ("requests", "records")}) \
            == typed({k: v for k, v in b.items() if k not in ("requests", "records")})
        shortcut += b.get("records") is not None and bool(a.get("requests"))
    if mode != "cloud":
        assert shortcut > 100  # the shortcut is taken on the usual events
