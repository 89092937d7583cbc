"""Amplitude SDK calls -> what the SDK uploads for them.

Device-mode integrations do not speak HTTP themselves: they call the Amplitude SDK (``logEvent``,
``identify``, ``setGroup``, ``logRevenueV2``...). The integrations produce a list of such calls (the same
vocabulary the transcribed upstream tests use), and this module turns them into the SDK's upload: one
form-encoded POST to the SDK endpoint with ``client`` (the API key), ``e`` (the JSON array of SDK events),
``v`` = 2, ``upload_time`` and ``checksum`` = md5("2" + client + e + upload_time), as the SDKs send it.

* logEvent / logEventWithGroups -> an event with the properties (and groups), ``session_id`` -1 out of session;
* identify / setUserProperties -> a ``$identify`` event whose ``user_properties`` is the operation map;
* setGroup(type, value) -> a ``$identify`` event with ``groups`` and ``$set {type: value}``;
* groupIdentify -> a ``$groupidentify`` event with ``groups`` and the ``group_properties`` operations;
* logRevenueV2 -> a ``revenue_amount`` event with ``$price``/``$quantity``/``$productId``/``$revenueType``
  event properties; logRevenue (V1) -> ``revenue_amount`` with ``api_properties``.

Every event carries the SDK's own fields the emulator can know (ids, ``timestamp``, platform, library, OS and
device fields, language...); the session, event id, sequence number and uuid the SDK keeps on the device
cannot be known from server data and are left out. The records Amplitude makes of an upload are
``migrate.canonical``'s business.

The SDK's own device id cannot be known either: it is the placeholder ``<sdk-device-id>`` unless the
integration set one (preferAnonymousIdForDeviceId, amp_device_id, advertising id).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson

from . import facade as F

__all__ = ["upload_events", "upload_request", "decoded_upload", "mobile_context_fields", "SDK_DEVICE_ID", "MAX_STRING",
           "WEB_UPLOAD_URL", "MOBILE_UPLOAD_URL"]

SDK_DEVICE_ID = "<sdk-device-id>"
MAX_STRING = 4096  # the JS SDK truncates longer property strings
# Where the SDKs upload: the JS SDK 5.x to api.amplitude.com (https with forceHttps or on an https page), the iOS
# and Android SDKs to api2.amplitude.com.
WEB_UPLOAD_URL = "https://api.amplitude.com/"
MOBILE_UPLOAD_URL = "https://api2.amplitude.com/"


def mobile_context_fields(ctx: dict, device: dict, fixed: dict, device_keys: tuple[str, ...]) -> dict:
    """What a mobile SDK records from its own device context: `fixed` values, then the context's app and
    OS versions, the listed `device_*` fields and the carrier (when present), then the locale's language."""
    out = dict(fixed)
    pairs = [("app_version", F.proxy(ctx, "app.version")), ("os_version", F.proxy(ctx, "os.version"))]
    pairs += [(f"device_{key}", device.get(key)) for key in device_keys]
    pairs.append(("carrier", F.proxy(ctx, "network.carrier")))
    for key, value in pairs:
        if value is not None:
            out[key] = value
    locale = ctx.get("locale")
    if isinstance(locale, str) and locale:
        out["language"] = locale.replace("_", "-").split("-")[0]
    return out


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _sdk_event(base: dict, event_type: str, event_properties=None, user_properties=None, groups=None,
               group_properties=None, **more) -> dict:
    """One event as the SDK queues it: its own fields (`base`, with the client time as ``timestamp``), the type,
    the four property objects (empty when unused, as the SDKs send them) and any `more` fields."""
    out = {("timestamp" if key == "time" else key): value for key, value in base.items()}
    out["event_type"] = event_type
    out["event_properties"] = event_properties or {}
    if "api_properties" in more:
        out["api_properties"] = more.pop("api_properties")
    if groups and user_properties:  # setGroup: the groups come first, as the SDK builds the identify
        out["groups"] = groups
        out["user_properties"] = user_properties
    else:
        out["user_properties"] = user_properties or {}
        out["groups"] = groups or {}
    out["group_properties"] = group_properties or {}
    out.update(more)
    return out


def upload_events(calls: list[dict], base: dict) -> list[dict]:
    """The SDK events the calls queue, in order. ``base``: the SDK fields every event carries (ids, time,
    platform...)."""
    out: list[dict] = []
    device_override = None
    for call in calls:
        name, args = call["sdk_call"], call["args"]
        if name == "setDeviceId":
            device_override = args[0]
            continue
        if device_override is not None:
            base = {**base, "device_id": device_override}
            device_override = None
        if name in ("logEvent", "logEventWithGroups"):
            groups = args[2] if len(args) > 2 else None
            more = {"session_id": -1} if len(args) > 3 and args[3] is True else {}  # outOfSession
            out.append(_sdk_event(base, args[0], args[1], groups=groups, **more))
        elif name == "logRevenueV2":
            rev = args[0]["$Revenue"]
            if not _number(rev.get("price")):
                continue  # the SDK refuses a Revenue without a numeric price
            props = dict(rev.get("eventProperties") or {})
            for key in ("productId", "quantity", "price", "revenueType", "receipt", "receiptSignature"):
                value = rev.get(key)
                if value is not None:
                    props["$receiptSig" if key == "receiptSignature" else f"${key}"] = value
            out.append(_sdk_event(base, "revenue_amount", props))
        elif name == "logRevenue":
            # web: (price, quantity, productId); Android: (productId, quantity, price, receipt, signature)
            if len(args) == 5:
                product_id, quantity, price = args[0], args[1], args[2]
            else:
                price, quantity, product_id = args[0], args[1], args[2]
            if not _number(price):
                continue  # logRevenue needs a numeric amount
            api = {"special": "revenue_amount", "productId": product_id, "quantity": quantity or 1,
                   "price": price}
            out.append(_sdk_event(base, "revenue_amount",
                                  api_properties={k: v for k, v in api.items() if v is not None}))
        elif name in ("identify", "setUserProperties"):
            ops = args[0]["$Identify"] if name == "identify" else {"$set": args[0]}
            ops = {op: values for op, values in ops.items() if values}
            if ops:  # the SDK sends nothing for an empty Identify
                out.append(_sdk_event(base, "$identify", user_properties=ops))
        elif name == "setGroup":
            out.append(_sdk_event(base, "$identify", groups={args[0]: args[1]},
                                  user_properties={"$set": {args[0]: args[1]}}))
        elif name == "groupIdentify":
            ops = {op: values for op, values in args[2]["$Identify"].items() if values}
            out.append(_sdk_event(base, "$groupidentify", groups={args[0]: args[1]}, group_properties=ops))
    return out


def upload_request(events: list[dict], api_key: Any, url: str, upload_time: Any = None) -> dict:
    """The SDK's upload of `events`: a form POST (``client``, ``e``, ``v``, ``upload_time``, ``checksum``).
    `upload_time` (the client clock at upload, ms): the last event's time when not given."""
    if upload_time is None:
        times = [e["timestamp"] for e in events if _number(e.get("timestamp"))]
        upload_time = times[-1] if times else 0
    client = api_key if isinstance(api_key, str) else ""
    body = json.dumps(events, ensure_ascii=False, separators=(",", ":"))
    upload = str(upload_time)
    checksum = hashlib.md5(("2" + client + body + upload).encode("utf-8", "surrogatepass")).hexdigest()
    return {"method": "POST", "url": url, "headers": {"content-type": "application/x-www-form-urlencoded"},
            "form": {"client": client, "e": body, "v": "2", "upload_time": upload, "checksum": checksum}}


# orjson refuses what `json.dumps` would write differently or not at all: subclasses of str, int, dict and list,
# dates and dataclasses raise instead of being written, as do keys that are not strings, integers beyond 64 bits,
# lone surrogates and nesting deeper than 254 levels
_DECODE_OPTIONS = orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def decoded_upload(events: list[dict]) -> list | None:
    """`events` as they are read back from the JSON body (``e``) `upload_request` writes for them (orjson, and
    the standard parser where orjson refuses it), without writing that body: fresh objects, the same key order,
    the same numbers (an integral float stays a float). None where this cannot promise exactly that: a value
    orjson refuses (above), and any ``null`` in its text, which may be a NaN or an infinity (written as ``null``
    by orjson, as ``NaN``/``Infinity`` by `json.dumps` and read back as floats). The events hold what the
    emulator built from parsed JSON: text, numbers, booleans, None, lists and dicts."""
    try:
        text = orjson.dumps(events, option=_DECODE_OPTIONS)
    except TypeError:
        return None
    if b"null" in text:
        return None
    return orjson.loads(text)
