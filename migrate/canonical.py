"""Canonical Amplitude records: what Amplitude stores for a request, whatever the wire format.

Classic cloud mode spoke HTTP API v1 (form `event=`), Classic device modes the Amplitude SDKs' upload (form
`e=`, see `sdk_record`), Actions speaks HTTP API v2 (JSON `events`) or `/batch`; cloud mode and Actions use
the form-encoded `/identify`, `/groupidentify` and `/usermap` APIs. Comparing wire
bodies would flag differences Amplitude erases on arrival, so both sides are reduced to records first,
applying the server-side rules Amplitude documents (v2 id-length and junk-id removal, `session_id: -1` means
no session, revenue = price x quantity, plain user properties are `$set`, language tags become
language names, long strings cut at 1024).

A record is a plain dict:

* ``{"kind": "event", <Amplitude event fields>}``
* ``{"kind": "identify", <Amplitude identification fields>}``
* ``{"kind": "group_identify", "group_type", "group_value", "group_properties"}``
* ``{"kind": "usermap", "user_id", "global_user_id"}`` or ``{"kind": "usermap", "user_id", "unmap": true}``

This module is the only normaliser of what is sent to Amplitude: `records_from_requests` for every engine
and mode, and `normalize_record` for the equivalences the differ compares under (`EQUIVALENCE_RULES`).
Amplitude's own facts (fields, id rules, limits, language names) live in `migrate.amplitude`.

Absent fields are absent (never null-filled). A record Amplitude would refuse carries
``"rejected": "<reason>"`` so the differ can report the loss instead of hiding it. Fields Amplitude does
not store (api_key, options, unknown keys) are not part of records.
"""

from __future__ import annotations

import json
from functools import lru_cache
from urllib.parse import urlsplit

import orjson

from actions.jsjson import js_string
from migrate.amplitude import (DEFAULT_MIN_ID_LENGTH, EVENT_FIELDS, IDENTIFY_FIELDS, INVALID_IDS, MAX_STRING,
                               USER_PROPERTY_OPS, V1_MIN_ID_LENGTH, language_name)

__all__ = [
    "records_from_requests",
    "records_from_request",
    "normalize_event",
    "normalize_identify",
    "normalize_record",
    "sdk_record",
    "EQUIVALENCE_RULES",
    "language_name",
    "V1_MIN_ID_LENGTH",
    "EVENT_FIELDS",
    "IDENTIFY_FIELDS",
    "RecordError",
]


class RecordError(ValueError):
    """A request whose body cannot be read as an Amplitude upload."""


_EVENT_SET = frozenset(EVENT_FIELDS)
_IDENTIFY_SET = frozenset(IDENTIFY_FIELDS)
_OPS_SET = frozenset(USER_PROPERTY_OPS)  # the same test as `in USER_PROPERTY_OPS` for the string keys of JSON

# `language_name` of the language values seen (a handful per run; bounded): a dict look-up on the hot path
_LANGUAGES: dict[str, str] = {}


def _language(value: str) -> str:
    if value.__class__ is str and value in _LANGUAGES:
        return _LANGUAGES[value]
    name = language_name(value)
    if value.__class__ is str and len(_LANGUAGES) < 4096:
        _LANGUAGES[value] = name
    return name


def _cut(value):
    # Amplitude truncates string values longer than 1024 characters.
    if isinstance(value, str) and len(value) > MAX_STRING:
        return value[:MAX_STRING]
    return value


def _cut_props(props):
    if not isinstance(props, dict):
        return props
    for v in props.values():
        if isinstance(v, str) and len(v) > MAX_STRING:
            return {k: _cut(v) for k, v in props.items()}
    return props


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
    """Plain keys beside operations mean `$set`; empty operations do nothing. When `$set` itself is no object
    (e.g. a string), the plain keys stay beside the operations as sent."""
    if not isinstance(props, dict):
        return props
    if props.__class__ is dict and props and _OPS_SET.isdisjoint(props):
        # the usual case, plain keys only: all of them are the `$set`, each long string cut
        for value in props.values():
            if isinstance(value, str) and len(value) > MAX_STRING:
                return {"$set": {k: _cut(v) for k, v in props.items()}}
        return {"$set": dict(props)}
    plain = {}
    ops = {}
    for key, value in props.items():
        if key in _OPS_SET:
            if isinstance(value, dict):
                if value:  # the values, long strings cut, in a new object (the keys of `props` are distinct)
                    ops[key] = dict(_cut_props(value))
            elif value not in (None, [], ""):
                ops[key] = value
        else:
            plain[key] = value[:MAX_STRING] if isinstance(value, str) and len(value) > MAX_STRING else value
    if plain:
        current = ops.get("$set", {})
        if not isinstance(current, dict):
            # `$set` is no object: Amplitude cannot fold the plain keys into it; the record keeps both as sent
            return {**plain, **ops}
        merged = dict(plain)
        merged.update(current)
        ops["$set"] = merged
    return ops


def _apply_ids(record: dict, min_len: int) -> None:
    for key in ("user_id", "device_id"):
        value = record.get(key)  # None values are never copied into a record: None is absent
        if value is not None:
            if value.__class__ is str and len(value) >= min_len and value.lower() not in INVALID_IDS:
                continue  # the usual id, kept as it is (`_clean_id`'s test, without the call)
            kept = _clean_id(value, min_len)
            if kept is None:
                del record[key]
            else:
                record[key] = kept
    if "user_id" not in record and "device_id" not in record:
        record["rejected"] = f"no valid user_id or device_id (ids shorter than {min_len} or reserved are dropped)"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def normalize_event(event: dict, min_id_length: int | None = None) -> dict:
    """One Amplitude event (v1 or v2 wire object) as the record Amplitude stores.

    The steps, in order: the accepted non-null fields; the id rule; language tag to name; a missing
    event_type rejected; session_id -1 dropped; a digit-string time as a number; user properties folded;
    empty event/group properties and groups dropped, long property strings cut; revenue from price and
    quantity; long top-level strings cut. Each step first looks whether it applies (most events need few),
    so the common event costs one pass over its fields and a handful of lookups."""
    min_len = min_id_length or DEFAULT_MIN_ID_LENGTH
    record = {"kind": "event"}
    fields = _EVENT_SET
    # whether a top-level string may be longer than Amplitude keeps, looked for as the fields are copied: the
    # steps below add only numbers, objects and short texts, except the id rule (an id made text) and a
    # language name, which set it too
    long_text = False
    for key, value in event.items():
        if key in fields and value is not None:
            record[key] = value
            if isinstance(value, str) and len(value) > MAX_STRING:
                long_text = True
    get = record.get
    # `_apply_ids`, its usual case without the call: each id absent or a plain string Amplitude keeps, and
    # at least one present
    user_id, device_id = get("user_id"), get("device_id")
    if not ((user_id is None or user_id.__class__ is str and len(user_id) >= min_len
             and user_id.lower() not in INVALID_IDS)
            and (device_id is None or device_id.__class__ is str and len(device_id) >= min_len
                 and device_id.lower() not in INVALID_IDS)
            and (user_id is not None or device_id is not None)):
        _apply_ids(record, min_len)
        long_text = True  # ids made text, and the rejection text (which holds the minimum length)
    language = get("language")
    if language is not None and isinstance(language, str):
        # `_language`, a name already known without the call
        name = _LANGUAGES[language] if language.__class__ is str and language in _LANGUAGES \
            else _language(language)
        record["language"] = name
        if len(name) > MAX_STRING:
            long_text = True
    event_type = get("event_type")  # absent and None are one case: None values are never copied
    if event_type is None or event_type == "":
        record["rejected"] = "missing event_type"
    session_id = get("session_id")
    if session_id is not None and session_id == -1:
        del record["session_id"]  # -1 is Amplitude's "no session"
    time = get("time")
    if time is not None and time.__class__ is not int and isinstance(time, str) and time.isdigit():
        record["time"] = int(time)
    props = get("user_properties")
    if props is not None:  # present (None values are never copied)
        folded = _fold_properties(props)
        if folded:
            record["user_properties"] = folded
        else:
            del record["user_properties"]
    for key in ("event_properties", "group_properties"):
        props = get(key)
        if props is not None:
            if props == {}:
                del record[key]
            elif isinstance(props, dict):  # `_cut_props`, its look for a long string without the call
                for value in props.values():
                    if isinstance(value, str) and len(value) > MAX_STRING:
                        record[key] = {k: _cut(v) for k, v in props.items()}
                        break
    groups = get("groups")
    if groups is not None and groups == {}:
        del record["groups"]
    price = get("price")
    if price is not None and _is_number(price):
        quantity = get("quantity")
        if _is_number(quantity) or "revenue" not in record:
            # Amplitude derives revenue from price x quantity (quantity defaults to 1)
            record["revenue"] = price * (quantity if _is_number(quantity) else 1)
    if long_text:  # rare: each long top-level string cut
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
            # `_cut`, inline
            record[key] = value[:MAX_STRING] if isinstance(value, str) and len(value) > MAX_STRING else value
    _apply_ids(record, min_len)
    if isinstance(record.get("language"), str):
        record["language"] = _language(record["language"])
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
        return orjson.loads(raw)
    except (TypeError, ValueError):
        pass  # orjson refuses some JSON the reference parser reads (integers beyond 64 bits): ask it
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


@lru_cache(maxsize=256)
def _endpoint(url: str) -> tuple[str, bool]:
    """(last path segment, whether it is HTTP API v2) of an upload URL; a handful of URLs per run."""
    path = urlsplit(url).path.rstrip("/")
    return (path.rsplit("/", 1)[-1] if path else ""), "/2/httpapi" in url


# `_endpoint` of the `str` URLs seen (bounded): a dict look-up on the hot path
_ENDPOINTS: dict[str, tuple[str, bool]] = {}


def records_from_request(request: dict) -> list[dict]:
    """The records one Amplitude request creates (requests to other APIs create none)."""
    url = request.get("url", "")
    if url.__class__ is str and url in _ENDPOINTS:
        endpoint, version2 = _ENDPOINTS[url]
    else:
        endpoint, version2 = found = _endpoint(url)
        if url.__class__ is str and len(_ENDPOINTS) < 256:
            _ENDPOINTS[url] = found
    if endpoint in ("httpapi", "batch") and (version2 or endpoint == "batch"):
        body = request.get("json") or {}
        options = body.get("options")
        min_len = None if options is None else _min_id_length(options)
        events = body.get("events")
        if events.__class__ is list:  # the usual body: `_items` without the intermediate list
            if len(events) == 1 and events[0].__class__ is dict:  # one event, the most common: no comprehension
                return [normalize_event(events[0], min_len)]
            return [normalize_event(e, min_len) for e in events if isinstance(e, dict)]
        return [normalize_event(e, min_len) for e in _items(events)]
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
    if endpoint == "" and "e" in (request.get("form") or {}):  # an Amplitude SDK's upload (device modes)
        return [sdk_record(e) for e in _items(_form_json(request, "e"))]
    return []


def sdk_record(event: dict) -> dict:
    """The record of one event an Amplitude SDK uploaded (the form field ``e`` of its upload).

    A ``$identify`` event is a user update with the identification fields; a ``$groupidentify`` event a
    group update (its ``groups`` entry is the group); anything else an event, with the SDK's client time
    (``timestamp``) as ``time``. The SDKs send the four property objects even when empty: empty ones are
    not part of a record. A ``revenue_amount`` event carries its revenue in ``$price``/``$quantity``/
    ``$productId``/``$revenueType`` event properties (logRevenueV2) or in ``api_properties`` (logRevenue),
    which Amplitude reads as the revenue fields (price, quantity defaulting to 1, revenue = price x quantity,
    productId, revenueType). Otherwise the values are kept as the SDK sent them (its library object, language
    tag, ``session_id`` -1): `normalize_record` applies Amplitude's equivalences to both sides of a comparison."""
    event_type = event.get("event_type")
    if event_type == "$identify":
        record = {"kind": "identify"}
        for key, value in event.items():
            if key in _IDENTIFY_SET and not (key in OBJECT_FIELDS and value == {}):
                record[key] = value
        return record
    if event_type == "$groupidentify":
        record = {"kind": "group_identify"}
        groups = event.get("groups")
        if isinstance(groups, dict) and groups:
            group_type, group_value = next(iter(groups.items()))
            record["group_type"] = group_type
            record["group_value"] = group_value
        if event.get("group_properties"):
            record["group_properties"] = event["group_properties"]
        return record
    record = {"kind": "event"}
    for key, value in event.items():
        if key in OBJECT_FIELDS and value == {}:
            continue
        record["time" if key == "timestamp" else key] = value
    if event_type == "revenue_amount":
        api, props = event.get("api_properties"), event.get("event_properties")
        if isinstance(api, dict) and api.get("special") == "revenue_amount":
            price, quantity, product_id, revenue_type = api.get("price"), api.get("quantity"), api.get("productId"), None
        elif isinstance(props, dict):
            price, quantity = props.get("$price"), props.get("$quantity")
            product_id, revenue_type = props.get("$productId"), props.get("$revenueType")
        else:
            return record
        if _is_number(price):
            record["price"] = price
            record["quantity"] = quantity if _is_number(quantity) else 1
            record["revenue"] = price * record["quantity"]
        if product_id is not None:
            record["productId"] = product_id
        if revenue_type is not None:
            record["revenueType"] = revenue_type
    return record


def records_from_requests(requests) -> list[dict]:
    """All records of a request list, in send order."""
    out: list[dict] = []
    for request in requests or ():
        out.extend(records_from_request(request))
    return out


# ------------------------------------------------------------------------------------ comparable form

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

OBJECT_FIELDS = frozenset(("event_properties", "user_properties", "groups", "group_properties"))
_TOP_RULES = OBJECT_FIELDS | {"user_id", "device_id", "session_id", "language", "library"}


def integral_numbers(value):
    """Integral floats as ints, at any depth, so that values shown and compared follow JSON's one number
    type (1.0 is 1). Returns the value itself when nothing changes."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {k: integral_numbers(v) for k, v in value.items()} if _has_float(value) else value
    if isinstance(value, list):
        return [integral_numbers(v) for v in value] if _has_float(value) else value
    return value


def _has_float(value) -> bool:
    for v in (value.values() if isinstance(value, dict) else value):
        if isinstance(v, float) or (isinstance(v, (dict, list)) and _has_float(v)):
            return True
    return False


def comparable(record: dict) -> dict:
    """The top-level rules of `normalize_record` without the number rule: the cheap form the differ
    compares (its equality already treats 1 and 1.0 as equal; `integral_numbers` is applied to the few
    values a difference shows). Returns the record itself when no rule applies."""
    get = record.get
    for key in OBJECT_FIELDS:
        if get(key, 0) == {}:
            break
    else:
        language, library, session = get("language"), get("library"), get("session_id", 0)
        if ("user_id" in record and record["user_id"] is None) or ("device_id" in record and record["device_id"] is None) \
                or (session == -1 and not isinstance(session, bool)) \
                or (isinstance(language, str) and language_name(language) != language) \
                or (isinstance(library, dict) and isinstance(library.get("name"), str)):
            pass
        else:
            return record  # no rule applies (records canonical built from requests, mostly)
    out = {}
    for key, value in record.items():
        if key in _TOP_RULES:
            if key in OBJECT_FIELDS:
                if value == {}:
                    continue
            elif key == "user_id" or key == "device_id":
                if value is None:
                    continue
            elif key == "session_id":
                if value == -1 and not isinstance(value, bool):
                    continue
            elif key == "language":
                if isinstance(value, str):
                    value = language_name(value)
            elif isinstance(value, dict) and isinstance(value.get("name"), str):  # library
                version = value.get("version")
                value = f"{value['name']}/{version}" if isinstance(version, str) and version else value["name"]
        out[key] = value
    return out


def normalize_record(record: dict) -> dict:
    """What Amplitude keeps of a record, per `EQUIVALENCE_RULES` (a new dict; the input is untouched)."""
    return {k: integral_numbers(v) for k, v in comparable(record).items()}
