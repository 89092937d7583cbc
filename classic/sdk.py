"""Amplitude SDK calls -> the canonical records the SDK would upload.

Device-mode integrations do not speak HTTP themselves: they call the Amplitude SDK (``logEvent``,
``identify``, ``setGroup``, ``logRevenueV2``...). The integrations produce a list of such calls (the same
vocabulary the transcribed upstream tests use), and this module turns each call into what the SDK sends:

* logEvent / logEventWithGroups -> an event with the properties (and groups);
* identify / setUserProperties -> an ``identify`` record with the operation map;
* setGroup(type, value) -> an ``identify`` record with ``groups`` and ``$set {type: value}``;
* groupIdentify -> a ``group_identify`` record;
* logRevenueV2 -> a ``revenue_amount`` event with ``$price``/``$quantity``/``$productId``/``$revenueType``
  event properties; logRevenue (V1) -> ``revenue_amount`` with ``api_properties``. Amplitude reads those as
  the event's revenue fields, so the records also carry price, quantity, revenue, productId, revenueType.

The SDK's own device id cannot be known from server data: it is the placeholder ``<sdk-device-id>``
unless the integration set one (preferAnonymousIdForDeviceId, amp_device_id, advertising id).
"""
from __future__ import annotations

from typing import Any

from . import facade as F

__all__ = ["records_from_calls", "mobile_context_fields", "SDK_DEVICE_ID", "MAX_STRING"]

SDK_DEVICE_ID = "<sdk-device-id>"
MAX_STRING = 4096  # the JS SDK truncates longer property strings


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


def _revenue_fields(record: dict, price: Any, quantity: Any, product_id: Any = None,
                    revenue_type: Any = None) -> None:
    if _number(price):
        record["price"] = price
        q = quantity if _number(quantity) else 1
        record["quantity"] = q
        record["revenue"] = price * q
    if product_id is not None:
        record["productId"] = product_id
    if revenue_type is not None:
        record["revenueType"] = revenue_type


def records_from_calls(calls: list[dict], base: dict, identify_base: dict) -> list[dict]:
    """``base``: the fields every uploaded event carries (ids, time, platform...); ``identify_base``: the
    subset an identify record keeps."""
    out: list[dict] = []
    device_override = None
    for call in calls:
        name, args = call["sdk_call"], call["args"]
        if name == "setDeviceId":
            device_override = args[0]
            continue
        if name in ("logEvent", "logEventWithGroups"):
            rec = {"kind": "event", **base, "event_type": args[0]}
            if args[1]:
                rec["event_properties"] = args[1]
            groups = args[2] if len(args) > 2 else None
            if groups:
                rec["groups"] = groups
            if len(args) > 3 and args[3] is True:
                rec["session_id"] = -1  # outOfSession
        elif name == "logRevenueV2":
            rev = args[0]["$Revenue"]
            if not _number(rev.get("price")):
                continue  # the SDK refuses a Revenue without a numeric price
            props = dict(rev.get("eventProperties") or {})
            for key in ("productId", "quantity", "price", "revenueType", "receipt", "receiptSignature"):
                value = rev.get(key)
                if value is not None:
                    props["$receiptSig" if key == "receiptSignature" else f"${key}"] = value
            rec = {"kind": "event", **base, "event_type": "revenue_amount", "event_properties": props}
            _revenue_fields(rec, rev.get("price"), rev.get("quantity"), rev.get("productId"),
                            rev.get("revenueType"))
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
            rec = {"kind": "event", **base, "event_type": "revenue_amount",
                   "api_properties": {k: v for k, v in api.items() if v is not None}}
            _revenue_fields(rec, price, quantity or 1, product_id)
        elif name in ("identify", "setUserProperties"):
            ops = args[0]["$Identify"] if name == "identify" else {"$set": args[0]}
            ops = {op: values for op, values in ops.items() if values}
            if not ops:
                continue  # the SDK sends nothing for an empty Identify
            rec = {"kind": "identify", **identify_base, "user_properties": ops}
        elif name == "setGroup":
            rec = {"kind": "identify", **identify_base, "groups": {args[0]: args[1]},
                   "user_properties": {"$set": {args[0]: args[1]}}}
        elif name == "groupIdentify":
            rec = {"kind": "group_identify", "group_type": args[0], "group_value": args[1]}
            ops = {op: values for op, values in args[2]["$Identify"].items() if values}
            if ops:
                rec["group_properties"] = ops
            out.append(rec)
            continue
        else:
            continue
        if device_override is not None and rec["kind"] != "group_identify":
            rec["device_id"] = device_override
        out.append(rec)
    return out
