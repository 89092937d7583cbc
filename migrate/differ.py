"""Diff the canonical Amplitude records Classic and Actions produce for one Segment event.

Three small roles, in order:

* `normalize_record`: rewrite a record into what Amplitude would actually keep, so that differences
  Amplitude erases on ingestion do not count (the rules are listed in `EQUIVALENCE_RULES`);
* `align`: pair the two record lists (kind + event type first, then leftovers as renames);
* `diff_event`: a fast strict equality check; differing records are walked key by key, with deepdiff
  (tree view) for the lists that differ.

Every difference gets one category from `categorize` (the categories and their explanations live in
`migrate.findings`) and one impact from the rules in `migrate.impact` (chart, breakdown, none). Wire-only
fields (keys Amplitude does not store) are reported with impact none and do not break parity.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from deepdiff import DeepDiff

from migrate import impact as _impact
from migrate.impact import CHART, NONE, ImpactContext

__all__ = [
    "Difference",
    "EventDiff",
    "EQUIVALENCE_RULES",
    "DEVICE_ID_PLACEHOLDERS",
    "normalize_record",
    "align",
    "diff_records",
    "diff_event",
    "categorize",
    "same",
    "format_path",
]

# Event fields Amplitude's HTTP API v2 stores (ingestion spec, "Event keys"); identify keys from the
# Identify API. Any other top-level key a sender puts on the wire is ignored by Amplitude.
STORED_EVENT_FIELDS = frozenset(
    """user_id device_id event_type time event_properties user_properties groups group_properties
    app_version platform os_name os_version device_brand device_manufacturer device_model carrier
    country region city dma language price quantity revenue productId revenueType currency
    location_lat location_lng ip idfa idfv adid android_id android_app_set_id event_id session_id
    plan user_agent partner_id library version_name""".split()
)
STORED_IDENTIFY_FIELDS = frozenset(
    """user_id device_id user_properties groups app_version platform os_name os_version device_brand
    device_manufacturer device_model carrier country region city dma language paying start_version""".split()
)
# The Identify and Group Identify APIs have no `library` field (Amplitude HTTP API docs).
STORED_GROUP_FIELDS = frozenset("group_type group_value group_properties".split())
STORED_USERMAP_FIELDS = frozenset("user_id global_user_id unmap".split())
STORED_FIELDS = {
    "event": STORED_EVENT_FIELDS,
    "identify": STORED_IDENTIFY_FIELDS,
    "group_identify": STORED_GROUP_FIELDS,
    "usermap": STORED_USERMAP_FIELDS,
}

# Device-mode emulators cannot know the id the SDK generated in the browser or app; they write one of
# these markers instead. By rule a marker never equals anything: the SDK id is lost in the switch.
DEVICE_ID_PLACEHOLDERS = frozenset({"<sdk-device-id>", "<sdk device id>", "$sdk_device_id"})

# Amplitude rewrites language tags to English names on ingestion ("en-US" -> "English").
LANGUAGE_NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "ca": "Catalan", "cs": "Czech", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "es": "Spanish", "et": "Estonian", "fi": "Finnish", "fr": "French",
    "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "id": "Indonesian",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "ms": "Malay",
    "nb": "Norwegian Bokmål", "nl": "Dutch", "no": "Norwegian", "pl": "Polish", "pt": "Portuguese",
    "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sl": "Slovenian", "sr": "Serbian",
    "sv": "Swedish", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}

EQUIVALENCE_RULES = [
    "numbers compare by value (JSON has one number type: 1 and 1.0 are the same), booleans never equal numbers",
    "a top-level empty object (event_properties, user_properties, groups, group_properties) equals an absent one",
    "user_id / device_id null equal an absent id (Amplitude stores no id either way)",
    "session_id -1 equals an absent session_id (-1 is Amplitude's 'no session')",
    "language tags equal their English name ('en-US' = 'English'): Amplitude rewrites tags to names",
    "a library object {name, version} (what the Amplitude SDKs upload) is the string 'name/version', the one "
    "value Amplitude stores and shows",
    "a device-mode placeholder device_id never equals anything (the SDK-generated id cannot be reproduced)",
    "keys Amplitude does not store (e.g. use_batch_endpoint, device_type, a top-level products array) and "
    "insert_id (a deduplication key, not analysis data) are reported as wire-only and do not break parity",
]

OBJECT_FIELDS = ("event_properties", "user_properties", "groups", "group_properties")


@dataclass(frozen=True)
class Difference:
    """One difference between a classic and an actions record (or a whole missing record)."""

    category: str
    path: str
    classic: Any = None
    actions: Any = None
    counts: bool = True  # False when it has no effect on analysis: reported, parity unaffected
    impact: str = CHART  # migrate.impact: chart, breakdown or none
    whole: str | None = None  # "missing" / "extra" for a whole record on one side only
    outside: str | None = None  # key of the change outside the mappings that closes it (impact.OUTSIDE_CHANGES)
    shown: tuple | None = None  # (classic, actions) as the breakdown tables show them, when not the raw values

    def __post_init__(self):
        # one truth: a difference counts against exact parity exactly when it has some effect on analysis
        if not self.counts and self.impact != NONE:
            object.__setattr__(self, "impact", NONE)
        elif self.impact == NONE and self.counts:
            object.__setattr__(self, "counts", False)

    @property
    def field(self) -> str:
        """The top-level record field the difference is in."""
        return self.path.split(".")[0].split("[")[0]


@dataclass
class EventDiff:
    """The outcome for one input event."""

    differences: list[Difference] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        """Every stored field the same (exact parity)."""
        return not any(d.counts for d in self.differences)

    @property
    def chart_matched(self) -> bool:
        """Nothing that changes numbers in charts (chart parity)."""
        return not any(d.impact == CHART for d in self.differences)

    @property
    def categories(self) -> list[str]:
        seen: dict[str, None] = {}
        for d in self.differences:
            seen.setdefault(d.category, None)
        return list(seen)


def _language_name(value):
    if isinstance(value, str):
        primary = value.replace("_", "-").split("-")[0].lower()
        if primary in LANGUAGE_NAMES and (len(value) == len(primary) or value[len(primary)] in "-_"):
            return LANGUAGE_NAMES[primary]
    return value


def _numbers(value):
    # integral floats become ints so that equality and the report agree with JSON semantics
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


def normalize_record(record: dict) -> dict:
    """What Amplitude keeps of a record, per `EQUIVALENCE_RULES` (a new dict; the input is untouched)."""
    out = {}
    for key, value in record.items():
        if key in OBJECT_FIELDS and value == {}:
            continue
        if key in ("user_id", "device_id") and value is None:
            continue
        if key == "session_id" and value == -1 and not isinstance(value, bool):
            continue
        if key == "language":
            value = _language_name(value)
        if key == "library" and isinstance(value, dict) and isinstance(value.get("name"), str):
            version = value.get("version")
            value = f"{value['name']}/{version}" if isinstance(version, str) and version else value["name"]
        out[key] = _numbers(value)
    return out


def same(a, b) -> bool:
    """Strict JSON equality: like ==, but True is not 1 (Python's == says it is)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def record_key(record: dict) -> tuple:
    kind = record.get("kind", "event")
    if kind == "event":
        return (kind, record.get("event_type"))
    if kind == "group_identify":
        return (kind, record.get("group_type"))
    return (kind,)


def align(classic: list[dict], actions: list[dict]) -> list[tuple[dict | None, dict | None]]:
    """Pair records: same kind and event type first (in order), then leftover events of the same kind
    as renames; whatever remains is missing (classic only) or extra (actions only)."""
    pairs: list[tuple[dict | None, dict | None]] = []
    rest = list(actions)
    left = []
    for c in classic:
        key = record_key(c)
        for i, a in enumerate(rest):
            if record_key(a) == key:
                pairs.append((c, rest.pop(i)))
                break
        else:
            left.append(c)
    unmatched = []
    for c in left:
        for i, a in enumerate(rest):
            if a.get("kind", "event") == c.get("kind", "event"):
                pairs.append((c, rest.pop(i)))
                break
        else:
            unmatched.append(c)
    pairs.extend((c, None) for c in unmatched)
    pairs.extend((None, a) for a in rest)
    return pairs


def format_path(parts) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "(record)"


REVENUE_FIELDS = frozenset({"revenue", "price", "quantity", "productId", "revenueType", "currency"})
PLATFORM_FIELDS = frozenset(
    {"library", "platform", "os_name", "os_version", "device_model", "device_brand", "device_manufacturer",
     "carrier", "user_agent", "version_name"}
)
GROUP_FIELDS = frozenset({"groups", "group_properties", "group_type", "group_value"})


def categorize(kind: str, event_type, path: list) -> tuple[str, bool]:
    """(category, counts) for a difference at `path` inside a paired record."""
    top = path[0] if path else None
    if top == "rejected":
        return "rejected", True
    if top == "insert_id":
        return "wire_only", False
    if top is not None and top not in STORED_FIELDS.get(kind, STORED_EVENT_FIELDS):
        return "wire_only", False
    if event_type == "Product Purchased" and (top == "event_properties" or top in REVENUE_FIELDS):
        return "product_purchased", True
    if top == "event_type":
        return "event_renamed", True
    if top in ("user_properties", "paying", "start_version"):
        return "user_properties", True
    if top == "device_id":
        return "device_id", True
    if top in ("user_id", "global_user_id", "unmap"):
        return "user_id", True
    if top in GROUP_FIELDS:
        return "group", True
    if top in REVENUE_FIELDS:
        return "revenue", True
    if top in ("session_id", "event_id"):
        return "session", True
    if top == "time":
        return "time", True
    if top in PLATFORM_FIELDS:
        return "platform_fields", True
    if top == "event_properties":
        return "event_properties", True
    return "other_fields", True


def _placeholder(value) -> bool:
    return isinstance(value, str) and value in DEVICE_ID_PLACEHOLDERS


def diff_records(classic: dict, actions: dict, ctx: ImpactContext | None = None) -> list[Difference]:
    """Differences between two paired records (already normalised), each with its impact."""
    out = _diff_records(classic, actions)
    return [_with_impact(d, classic, actions, ctx or ImpactContext()) for d in out]


def _with_impact(d: Difference, classic: dict, actions: dict, ctx: ImpactContext) -> Difference:
    if not d.counts:
        return replace(d, impact=NONE)
    field_name = d.field
    if field_name == "ip":
        impact = _impact.ip_impact(classic, actions, ctx)
    else:
        impact = _impact.field_impact(field_name)
    outside = _impact.outside_mappings(field_name, classic.get(field_name), ctx.mode) if impact == CHART else None
    shown = None
    if field_name in _impact.LOOKUP_REPLACING and d.path == field_name:
        # an absent location field is not "no location": Amplitude looks it up from the IP address
        shown = (_impact.IP_LOOKUP if d.classic is None and _impact.looked_up(classic) else d.classic,
                 _impact.IP_LOOKUP if d.actions is None and _impact.looked_up(actions) else d.actions)
    return replace(d, impact=impact, counts=impact != NONE, outside=outside, shown=shown)


def _diff_records(classic: dict, actions: dict) -> list[Difference]:
    kind = classic.get("kind", "event")
    event_type = classic.get("event_type") if kind == "event" else None
    out: list[Difference] = []
    if _placeholder(classic.get("device_id")):
        out.append(Difference("device_id", "device_id", classic.get("device_id"), actions.get("device_id")))
        classic = {k: v for k, v in classic.items() if k != "device_id"}
        actions = {k: v for k, v in actions.items() if k != "device_id"}
    if same(classic, actions):
        return out
    # Dicts are walked here key by key (cheap); deepdiff (tree view) only compares lists that differ,
    # because walking every equal field through deepdiff costs most of a compare run.
    _walk(kind, event_type, [], classic, actions, out)
    return out


_MISSING = object()


def _walk(kind: str, event_type, parts: list, classic: dict, actions: dict, out: list[Difference]) -> None:
    keys = list(classic)
    keys.extend(k for k in actions if k not in classic)
    for key in keys:
        c, a = classic.get(key, _MISSING), actions.get(key, _MISSING)
        if c is not _MISSING and a is not _MISSING and same(c, a):
            continue
        path = [*parts, key]
        if isinstance(c, dict) and isinstance(a, dict):
            _walk(kind, event_type, path, c, a, out)
        elif isinstance(c, list) and isinstance(a, list):
            out.extend(_list_differences(kind, event_type, path, c, a))
        else:
            category, counts = categorize(kind, event_type, path)
            out.append(Difference(category, format_path(path), None if c is _MISSING else c,
                                  None if a is _MISSING else a, counts))


def _list_differences(kind: str, event_type, parts: list, classic: list, actions: list) -> list[Difference]:
    # integral floats are already ints (normalize_record), so deepdiff's own type check is the strict one
    tree = DeepDiff(classic, actions, view="tree", threshold_to_diff_deeper=0, verbose_level=2)
    out = []
    for levels in tree.values():
        for level in levels:
            path = [*parts, *level.path(output_format="list")]
            category, counts = categorize(kind, event_type, path)
            t1 = None if _absent(level.t1) else level.t1
            t2 = None if _absent(level.t2) else level.t2
            out.append(Difference(category, format_path(path), t1, t2, counts))
    if not out:  # cannot happen with JSON data; keep the difference visible rather than lose it
        category, counts = categorize(kind, event_type, parts)
        out.append(Difference(category, format_path(parts), classic, actions, counts))
    return out


def _absent(value) -> bool:
    return type(value).__name__ == "NotPresent"


def _whole_record_category(record: dict) -> str:
    kind = record.get("kind", "event")
    if kind == "event" and record.get("event_type") == "Product Purchased":
        return "product_purchased"
    if kind == "event" and record.get("event_type") == "revenue_amount":
        return "revenue"
    if kind == "group_identify":
        return "group"
    return "event_missing"


def diff_event(classic: list[dict], actions: list[dict], ctx: ImpactContext | None = None) -> EventDiff:
    """Compare the records of one event: fast equality first, deepdiff only on mismatching pairs.
    `ctx` (connection mode, context.ip) feeds the impact rules; default: cloud mode."""
    c_norm = [normalize_record(r) for r in classic]
    a_norm = [normalize_record(r) for r in actions]
    result = EventDiff()
    if same(c_norm, a_norm) and not any(_placeholder(r.get("device_id")) for r in c_norm):
        return result
    for c, a in align(c_norm, a_norm):
        if a is None:
            category = _whole_record_category(c)
            result.differences.append(Difference(category, _record_label(c), c, None, whole="missing"))
        elif c is None:
            category = _whole_record_category(a)
            if category == "event_missing":
                category = "event_extra"
            result.differences.append(Difference(category, _record_label(a), None, a, whole="extra"))
        else:
            result.differences.extend(diff_records(c, a, ctx))
    return result


def _record_label(record: dict) -> str:
    kind = record.get("kind", "event")
    if kind == "event":
        return f"event {record.get('event_type')!r}"
    if kind == "group_identify":
        return f"group_identify {record.get('group_type')!r}"
    return kind
