"""Canonical Amplitude records: what Amplitude stores for a request, whatever the wire format.

Classic cloud mode spoke HTTP API v1 (form `event=`), Actions speaks HTTP API v2 (JSON `events`) or
`/batch`; both use the form-encoded `/identify`, `/groupidentify` and `/usermap` APIs. Comparing wire
bodies would flag differences Amplitude erases on arrival, so both sides are reduced to records first,
applying the server-side rules Amplitude documents (v2 id-length and junk-id removal, `session_id: -1` means
no session, revenue = price x quantity, plain user properties are `$set`, language tags become
language names, long strings cut at 1024).

A record is a plain dict:

* ``{"kind": "event", <Amplitude event fields>}``
* ``{"kind": "identify", <Amplitude identification fields>}``
* ``{"kind": "group_identify", "group_type", "group_value", "group_properties"}``
* ``{"kind": "usermap", "user_id", "global_user_id"}`` or ``{"kind": "usermap", "user_id", "unmap": true}``

Absent fields are absent (never null-filled). A record Amplitude would refuse carries
``"rejected": "<reason>"`` so the differ can report the loss instead of hiding it. Fields Amplitude does
not store (api_key, options, unknown keys) are not part of records.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from urllib.parse import urlsplit

import pycountry

from actions.jsjson import js_string

__all__ = [
    "records_from_requests",
    "records_from_request",
    "normalize_event",
    "normalize_identify",
    "EVENT_FIELDS",
    "IDENTIFY_FIELDS",
    "RecordError",
]


class RecordError(ValueError):
    """A request whose body cannot be read as an Amplitude upload."""


# Event keys Amplitude's HTTP API v2 accepts (its field table, plus `library` and `partner_id`, which it
# also stores for integrations). Anything else on the wire is not stored.
EVENT_FIELDS = (
    "user_id", "device_id", "event_type", "time", "event_properties", "user_properties", "groups",
    "group_properties", "$skip_user_properties_sync", "app_version", "platform", "os_name", "os_version",
    "device_brand", "device_manufacturer", "device_model", "carrier", "country", "region", "city", "dma",
    "language", "price", "quantity", "revenue", "productId", "revenueType", "currency", "location_lat",
    "location_lng", "ip", "idfa", "idfv", "adid", "android_id", "android_app_set_id", "event_id",
    "session_id", "insert_id", "plan", "user_agent", "partner_id", "library", "ingestion_metadata",
    "version_name", "paying", "start_version",
)
IDENTIFY_FIELDS = (
    "user_id", "device_id", "user_properties", "groups", "app_version", "platform", "os_name",
    "os_version", "device_brand", "device_manufacturer", "device_model", "carrier", "country", "region",
    "city", "dma", "language", "paying", "start_version", "library",
)
_EVENT_SET = frozenset(EVENT_FIELDS)
_IDENTIFY_SET = frozenset(IDENTIFY_FIELDS)

# Ids Amplitude refuses outright (HTTP API v2 documentation), compared case-insensitively.
INVALID_IDS = frozenset(
    {"anonymous", "nil", "none", "null", "n/a", "na", "undefined", "unknown", "",
     "00000000-0000-0000-0000-000000000000", "{}", "lmy47d", "0", "-1"}
)
DEFAULT_MIN_ID_LENGTH = 5
V1_MIN_ID_LENGTH = 1
MAX_STRING = 1024
USER_PROPERTY_OPS = ("$set", "$setOnce", "$add", "$append", "$prepend", "$unset", "$preInsert",
                     "$postInsert", "$remove", "$clearAll")


_LANGUAGE_TAG = re.compile(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{2,8})*")


@lru_cache(maxsize=4096)
def language_name(value: str) -> str:
    """Amplitude stores language tags as language names ('en-US' -> 'English'); other values as sent."""
    match = _LANGUAGE_TAG.fullmatch(value)
    if not match:
        return value
    code = match.group(1).lower()
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    return found.name if found is not None else value


def _cut(value):
    # Amplitude truncates string values longer than 1024 characters.
    if isinstance(value, str) and len(value) > MAX_STRING:
        return value[:MAX_STRING]
    return value


def _cut_props(props):
    if not isinstance(props, dict):
        return props
    if not any(isinstance(v, str) and len(v) > MAX_STRING for v in props.values()):
        return props
    return {k: _cut(v) for k, v in props.items()}


def _clean_id(value, min_len: int):
    """The id Amplitude keeps, or None when it drops it."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = js_string(value)
    if value.lower() in INVALID_IDS or len(value) < min_len:
        return None
    return value


def _fold_properties(props):
    """Plain keys beside operations mean `$set`; empty operations do nothing."""
    if not isinstance(props, dict):
        return props
    plain = {}
    ops = {}
    for key, value in props.items():
        if key in USER_PROPERTY_OPS:
            if isinstance(value, dict):
                if value:
                    ops.setdefault(key, {}).update({k: _cut(v) for k, v in value.items()})
            elif value not in (None, [], ""):
                ops[key] = value
        else:
            plain[key] = _cut(value)
    if plain:
        merged = dict(plain)
        merged.update(ops.get("$set", {}))
        ops["$set"] = merged
    return ops


def _apply_ids(record: dict, min_len: int) -> None:
    for key in ("user_id", "device_id"):
        if key in record:
            kept = _clean_id(record[key], min_len)
            if kept is None:
                del record[key]
            else:
                record[key] = kept
    if "user_id" not in record and "device_id" not in record:
        record["rejected"] = f"no valid user_id or device_id (ids shorter than {min_len} or reserved are dropped)"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def normalize_event(event: dict, min_id_length: int | None = None) -> dict:
    """One Amplitude event (v1 or v2 wire object) as the record Amplitude stores."""
    min_len = min_id_length or DEFAULT_MIN_ID_LENGTH
    record = {"kind": "event"}
    for key, value in event.items():
        if key in _EVENT_SET and value is not None:
            record[key] = value
    _apply_ids(record, min_len)
    if isinstance(record.get("language"), str):
        record["language"] = language_name(record["language"])
    if "event_type" not in record or record["event_type"] in ("", None):
        record["rejected"] = "missing event_type"
    if record.get("session_id") == -1:
        del record["session_id"]  # -1 is Amplitude's "no session"
    if isinstance(record.get("time"), str) and record["time"].isdigit():
        record["time"] = int(record["time"])
    if "user_properties" in record:
        folded = _fold_properties(record["user_properties"])
        if folded:
            record["user_properties"] = folded
        else:
            del record["user_properties"]
    for key in ("event_properties", "group_properties"):
        if key in record:
            if record[key] == {}:
                del record[key]
            else:
                record[key] = _cut_props(record[key])
    if record.get("groups") == {}:
        del record["groups"]
    price, quantity = record.get("price"), record.get("quantity")
    if _is_number(price) and (_is_number(quantity) or "revenue" not in record):
        # Amplitude derives revenue from price x quantity (quantity defaults to 1)
        record["revenue"] = price * (quantity if _is_number(quantity) else 1)
    for key, value in record.items():
        if isinstance(value, str) and len(value) > MAX_STRING:
            record[key] = value[:MAX_STRING]
    return record


def normalize_identify(ident: dict, min_id_length: int | None = None) -> dict:
    """One `/identify` identification object as the user update Amplitude applies."""
    min_len = min_id_length or DEFAULT_MIN_ID_LENGTH
    record = {"kind": "identify"}
    for key, value in ident.items():
        if key in _IDENTIFY_SET and value is not None:
            record[key] = _cut(value)
    _apply_ids(record, min_len)
    if isinstance(record.get("language"), str):
        record["language"] = language_name(record["language"])
    if "user_properties" in record:
        folded = _fold_properties(record["user_properties"])
        if folded:
            record["user_properties"] = folded
        else:
            del record["user_properties"]
    if record.get("groups") == {}:
        del record["groups"]
    return record


def normalize_group_identify(ident: dict) -> dict:
    record = {"kind": "group_identify"}
    for key in ("group_type", "group_value"):
        if ident.get(key) is not None:
            record[key] = ident[key]
    props = _fold_properties(ident.get("group_properties"))
    if props:
        record["group_properties"] = props
    if "group_type" not in record or "group_value" not in record:
        record["rejected"] = "missing group_type or group_value"
    return record


def normalize_usermap(mapping: dict) -> dict:
    record = {"kind": "usermap"}
    if mapping.get("user_id") is not None:
        record["user_id"] = js_string(mapping["user_id"])
    if mapping.get("unmap") is True:
        record["unmap"] = True
    elif mapping.get("global_user_id") is not None:
        record["global_user_id"] = js_string(mapping["global_user_id"])
    if "user_id" not in record or ("unmap" not in record and "global_user_id" not in record):
        record["rejected"] = "mapping needs user_id and global_user_id (or unmap)"
    return record


def _items(value):
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    if isinstance(value, dict):
        return [value]
    return []


def _form_json(request: dict, field: str):
    form = request.get("form") or {}
    raw = form.get(field)
    if raw is None or raw == "undefined":
        return None
    try:
        return json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise RecordError(f"{request.get('url')}: form field {field!r} is not JSON ({exc})") from None


def _min_id_length(options) -> int | None:
    if isinstance(options, dict):
        value = options.get("min_id_length")
        if isinstance(value, int) and value > 0:
            return value
    return None


def _endpoint(url: str) -> str:
    path = urlsplit(url).path.rstrip("/")
    return path.rsplit("/", 1)[-1] if path else ""


def records_from_request(request: dict) -> list[dict]:
    """The records one Amplitude request creates (requests to other APIs create none)."""
    url = request.get("url", "")
    endpoint = _endpoint(url)
    version2 = "/2/httpapi" in url
    if endpoint in ("httpapi", "batch") and (version2 or endpoint == "batch"):
        body = request.get("json") or {}
        min_len = _min_id_length(body.get("options"))
        return [normalize_event(e, min_len) for e in _items(body.get("events"))]
    if endpoint == "httpapi":  # HTTP API v1: form field `event`, one object or a list
        # v1 predates the 5-character id minimum: Classic's short ids were kept (only empty ones dropped)
        return [normalize_event(e, V1_MIN_ID_LENGTH) for e in _items(_form_json(request, "event"))]
    if endpoint == "identify":
        min_len = _min_id_length(_form_json(request, "options"))
        return [normalize_identify(i, min_len) for i in _items(_form_json(request, "identification"))]
    if endpoint == "groupidentify":
        return [normalize_group_identify(i) for i in _items(_form_json(request, "identification"))]
    if endpoint == "usermap":
        return [normalize_usermap(m) for m in _items(_form_json(request, "mapping"))]
    return []


def records_from_requests(requests) -> list[dict]:
    """All records of a request list, in send order."""
    out: list[dict] = []
    for request in requests or ():
        out.extend(records_from_request(request))
    return out
