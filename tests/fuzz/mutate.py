"""Seeded mutations of Segment events, input lines and classic settings, shared by the property-based tests
(driven by hypothesis' random) and `bench/fuzz.py` (driven by random.Random(seed)).

Every mutation keeps to what a real export or a hurried user can produce: wrong types in every known
field, nulls, unicode (lone surrogates, bidi controls, NUL), huge and tiny numbers, deep nesting,
wrappers, truncated and garbled lines.
"""

from __future__ import annotations

import copy
import json
import random

TYPES = ("track", "page", "screen", "identify", "group", "alias")
TOP_FIELDS = ("type", "event", "name", "category", "userId", "anonymousId", "groupId", "previousId", "messageId",
              "timestamp", "sentAt", "receivedAt", "originalTimestamp", "properties", "traits", "context",
              "integrations", "version", "channel")
CONTEXT_FIELDS = ("ip", "library", "device", "os", "app", "page", "locale", "userAgent", "location", "network",
                  "screen", "timezone", "traits", "campaign", "referrer", "groupId", "userAgentData")
NESTED_FIELDS = {
    "library": ("name", "version"), "device": ("id", "advertisingId", "model", "manufacturer", "type", "brand"),
    "os": ("name", "version"), "app": ("version", "build", "name"), "page": ("url", "path", "search", "referrer",
                                                                            "title"),
    "location": ("country", "city", "region", "latitude", "longitude"), "network": ("carrier",),
    "campaign": ("name", "source", "medium", "term", "content"),
}
PROPERTY_FIELDS = ("revenue", "price", "quantity", "products", "currency", "url", "path", "referrer", "search",
                   "title", "order_id", "total", "product_id", "sku", "name", "category", "revenueType", "id")
INTEGRATION_KEYS = ("Amplitude", "Actions Amplitude", "All")

ODD_VALUES = [
    None, True, False, 0, -0.0, -1, 1.5, 2**53 + 1, 2**63, -(2**63), 10**30, 1e308, -1e308, 5e-324, 1e-7,
    "", " ", "null", "undefined", "0", "-1", "NaN", "Infinity", "1e400", "12.50", "x" * 5000,
    "Ünïcødé 🚀", "\u0000", "\ud800", "\udfff", "\u202e", "<script>alert(1)</script>", "{{7*7}}", "../../etc",
    "2024-02-30T25:61:00Z", "1700000000000", "en-US", "🏳️‍🌈" * 50,
    [], [None], [1, "a", {}], {}, {"a": None}, {"__proto__": 1}, {"constructor": "x"}, {"toString": 5},
    {"$set": {"a": 1}}, {"0": "zero", "b": 1},
]


def deep(levels: int, leaf=1):
    value = leaf
    for _ in range(levels):
        value = {"d": value}
    return value


def odd_value(rng: random.Random):
    r = rng.random()
    if r < 0.75:
        return copy.deepcopy(rng.choice(ODD_VALUES))  # a fresh copy: later mutations write into containers
    if r < 0.85:
        return deep(rng.randint(2, 60))
    if r < 0.92:
        return [odd_value(rng) for _ in range(rng.randint(0, 4))]
    return "".join(chr(rng.choice((rng.randint(32, 126), rng.randint(0x80, 0x2FFF), rng.randint(0x1F300, 0x1F6FF))))
                   for _ in range(rng.randint(0, 40)))


def _container(event: dict, key: str, rng: random.Random) -> dict:
    value = event.get(key)
    if not isinstance(value, dict):
        value = {}
        event[key] = value
    return value


def mutate_event(event: dict, rng: random.Random, steps: int | None = None) -> dict:
    """A mutated deep copy of event: wrong types, deletions, nulls, nesting in every known field."""
    event = json.loads(json.dumps(event))
    for _ in range(steps if steps is not None else rng.randint(1, 4)):
        where = rng.random()
        if where < 0.3:
            key = rng.choice(TOP_FIELDS)
            if key == "type" and rng.random() < 0.6:
                event["type"] = rng.choice(TYPES)
            elif rng.random() < 0.15:
                event.pop(key, None)
            else:
                event[key] = odd_value(rng)
        elif where < 0.55:
            context = _container(event, "context", rng)
            key = rng.choice(CONTEXT_FIELDS)
            if key in NESTED_FIELDS and rng.random() < 0.6:
                inner = context.get(key) if isinstance(context.get(key), dict) else {}
                context[key] = inner
                inner[rng.choice(NESTED_FIELDS[key])] = odd_value(rng)
            else:
                context[key] = odd_value(rng)
        elif where < 0.8:
            container = _container(event, rng.choice(("properties", "traits")), rng)
            key = rng.choice(PROPERTY_FIELDS)
            if key == "products" and rng.random() < 0.5:
                container["products"] = [{rng.choice(PROPERTY_FIELDS): odd_value(rng) for _ in range(3)}
                                         for _ in range(rng.randint(0, 3))] + [odd_value(rng)]
            else:
                container[key] = odd_value(rng)
        elif where < 0.9:
            integrations = _container(event, "integrations", rng)
            integrations[rng.choice(INTEGRATION_KEYS)] = rng.choice([True, False, None, {}, {"session_id": "x"}, 0])
        else:
            event[rng.choice(("", " ", "\ud800", "a.b", "0"))] = odd_value(rng)
    return event


def mutate_line(line: str, rng: random.Random, damage: float = 0.25) -> bytes:
    """One input line: as is, or (with probability `damage`) damaged the ways exports and users damage it."""
    raw = line.encode("utf-8", "surrogatepass")
    if rng.random() >= damage:
        return raw
    kind = rng.randrange(10)
    if kind == 0:
        return raw[: rng.randint(0, max(0, len(raw) - 1))]
    if kind == 1:
        return b'{"event": ' + raw + b"}"
    if kind == 2:
        return b"[" + raw + b"," + raw + b"]"
    if kind == 3:
        return b'{"batch": [' + raw + b", 5]}"
    if kind == 4:
        levels = rng.randint(100, 3000)
        return ('{"type":"track","properties":' + '{"d":' * levels + "1" + "}" * (levels + 1)).encode()
    if kind == 5:
        levels = rng.randint(100, 3000)
        return ('{"type":"track","properties":' + "[" * levels + "]" * levels + "}").encode()
    if kind == 6:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 60))).replace(b"\n", b" ")
    if kind == 7:
        return rng.choice([b"", b"null", b"5", b'"text"', b"[]", b"{}", b"\xef\xbb\xbf{}", b"\xff\xfe{}"])
    if kind == 8:
        return raw.replace(b'"', b"'", 2)
    return raw + b" " + raw


def mutate_settings(settings: dict, rng: random.Random) -> dict:
    """Classic settings with one to three keys set to wrong or odd values (or unknown keys added)."""
    out = dict(settings)
    keys = list(settings) + ["unknownKey", "groupTypeValue"]
    for _ in range(rng.randint(1, 3)):
        key = rng.choice(keys)
        r = rng.random()
        if r < 0.2:
            out.pop(key, None)
        elif r < 0.35:
            out[key] = rng.choice(["true", "false", "yes", 1, 0, None])
        elif r < 0.5 and key == "endpoint":
            out[key] = rng.choice(["eu", "EU", "europe", "mars", "", "north_america", None, 5])
        else:
            out[key] = odd_value(rng)
    return out
