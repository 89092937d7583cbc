"""Android device mode: analytics-android-integration-amplitude 3.1.2 driving the Amplitude Android SDK.

Faithful to the code, including its quirks: the group value trait is read from the settings key
``groupTypeValue`` (the catalog key ``groupValueTrait`` is never read), trait operations keep only
numbers and strings, Android traits carry ``userId``/``anonymousId`` as ordinary keys, and Order Completed
is a plain track. Per-app SDK state (sessions, the shared device id) cannot be known from server data.
"""
from __future__ import annotations

from typing import Any

from . import facade as F
from .pages import android_screen
from .sdk import SDK_DEVICE_ID, mobile_context_fields, upload_events

__all__ = ["compile_device", "send_device"]

LIBRARY = {"name": "amplitude-android"}


def compile_device(s: dict, options: dict) -> dict:
    init = {"apiKey": s["apiKey"], "enableForegroundTracking": True, "trackSessionEvents": s["trackSessionEvents"],
            "disableLocationListening": not s["enableLocationListening"],
            "useAdvertisingIdForDeviceId": s["useAdvertisingIdForDeviceId"]}
    return {"s": s, "init": init, "increment": frozenset(s["traitsToIncrement"]),
            "set_once": frozenset(s["traitsToSetOnce"]),
            # the integration reads the value trait from the key "groupTypeValue" (upstream bug)
            "group_value_key": s.get("groupTypeValue")}


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _get_double(p: dict, key: str, default: float) -> float:
    v = p.get(key)
    if _is_number(v):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return default
    return default


def _get_int(p: dict, key: str, default: int) -> int:
    v = p.get(key)
    if _is_number(v):
        return int(v)
    if isinstance(v, str):
        try:
            return int(float(v))
        except ValueError:
            return default
    return default


def _operable(value: Any, allow_list: bool) -> bool:
    if _is_number(value) or isinstance(value, str):
        return True
    return allow_list and isinstance(value, list) and all(isinstance(v, str) for v in value)


def _identify(event: dict, cfg: dict, calls: list) -> None:
    calls.append({"sdk_call": "setUserId", "args": [event.get("userId")]})
    traits = event.get("traits")
    traits = traits if isinstance(traits, dict) else {}
    if not cfg["increment"] and not cfg["set_once"]:
        calls.append({"sdk_call": "setUserProperties", "args": [dict(traits)]})
    else:
        ops: dict = {}
        for key, value in traits.items():
            if key in cfg["increment"]:
                if _operable(value, False):
                    ops.setdefault("$add", {})[key] = value
            elif key in cfg["set_once"]:
                if _operable(value, False):
                    ops.setdefault("$setOnce", {})[key] = value
            elif _operable(value, True):
                ops.setdefault("$set", {})[key] = value
        calls.append({"sdk_call": "identify", "args": [{"$Identify": ops}]})
    groups = F.opts(event).get("groups")
    if isinstance(groups, dict):
        for key, value in groups.items():
            calls.append({"sdk_call": "setGroup", "args": [key, value]})


def _revenue(p: dict, cfg: dict, calls: list) -> None:
    if "revenue" not in p and "total" not in p:
        return
    revenue = _get_double(p, "revenue", 0.0)
    if revenue == 0:
        revenue = _get_double(p, "total", 0.0)
    receipt, signature = p.get("receipt"), p.get("receiptSignature")
    if not cfg["s"]["useLogRevenueV2"]:
        calls.append({"sdk_call": "logRevenue",
                      "args": [p.get("productId") if isinstance(p.get("productId"), str) else None,
                               _get_int(p, "quantity", 0), revenue, receipt, signature]})
        return
    price, quantity = _get_double(p, "price", 0.0), _get_int(p, "quantity", 1)
    if "price" not in p:
        price, quantity = revenue, 1
    rev: dict = {"price": price, "quantity": quantity}
    if "productId" in p:
        rev["productId"] = p["productId"]
    if "revenueType" in p:
        rev["revenueType"] = p["revenueType"]
    if receipt is not None and signature is not None:
        rev["receipt"], rev["receiptSignature"] = receipt, signature
    rev["eventProperties"] = dict(p)
    calls.append({"sdk_call": "logRevenueV2", "args": [{"$Revenue": rev}]})


def _track(event: dict, cfg: dict, calls: list) -> str | None:
    name = event.get("event")
    if not F.truthy(name):
        return "track without an event name: nothing is logged"
    p = F.props(event)
    opts = F.opts(event)
    groups = opts.get("groups") if isinstance(opts.get("groups"), dict) else None
    oos = opts.get("outOfSession")
    calls.append({"sdk_call": "logEvent", "args": [F.js_str(name), dict(p), groups, oos is True]})
    _revenue(p, cfg, calls)
    return None


def _screen(event: dict, cfg: dict, calls: list) -> str | None:
    chosen = android_screen(event, cfg["s"])
    if chosen is None:
        return "screen not sent: no enabled screen setting matches"
    name, add_name = chosen
    p = dict(F.props(event))
    if add_name and event.get("name") is not None:
        p["name"] = event["name"]
    calls.append({"sdk_call": "logEvent", "args": [name, p, None, False]})
    return None


def _group(event: dict, cfg: dict, calls: list) -> None:
    s = cfg["s"]
    traits = event.get("traits")
    traits = traits if isinstance(traits, dict) else {}
    group_type, group_value = None, event.get("groupId")
    if traits:
        type_key, value_key = s["groupTypeTrait"] or None, cfg["group_value_key"]
        if type_key in traits and value_key in traits:
            group_type, group_value = F.js_str(traits[type_key]), F.js_str(traits[value_key])
        else:
            group_type = traits.get("name")
    if not F.truthy(group_type):
        group_type = "[Segment] Group"
    calls.append({"sdk_call": "setGroup", "args": [group_type, group_value]})
    ops = {"$set": {"library": "segment"}}
    if traits:
        ops["$set"]["group_properties"] = dict(traits)
    calls.append({"sdk_call": "groupIdentify", "args": [group_type, group_value, {"$Identify": ops}]})


def _bases(event: dict, cfg: dict) -> dict:
    """The SDK's own fields on every event it uploads."""
    s = cfg["s"]
    ctx = event.get("context") if isinstance(event.get("context"), dict) else {}
    device = ctx.get("device") if isinstance(ctx.get("device"), dict) else {}
    base: dict = {}
    if event.get("userId") is not None:
        base["user_id"] = event["userId"]
    ad_id = device.get("advertisingId")
    base["device_id"] = ad_id if s["useAdvertisingIdForDeviceId"] and F.truthy(ad_id) else SDK_DEVICE_ID
    extra = mobile_context_fields(ctx, device, {"platform": "Android", "library": LIBRARY, "os_name": "android"},
                                  ("brand", "manufacturer", "model"))
    base.update(extra)
    ms = F.time_ms(event.get("timestamp"))
    if ms is not None:
        base["time"] = ms
    if F.truthy(ad_id):
        base["adid"] = ad_id
    location = ctx.get("location") if isinstance(ctx.get("location"), dict) else {}
    if s["enableLocationListening"] and location.get("latitude") is not None:
        base["location_lat"] = location["latitude"]
        base["location_lng"] = location.get("longitude")
    return base


def send_device(event: dict, cfg: dict) -> tuple[list[dict], list[dict], str | None]:
    """(SDK calls the integration makes, SDK events they queue, note)."""
    kind = event.get("type")
    calls: list[dict] = []
    note = None
    if kind == "identify":
        _identify(event, cfg, calls)
    elif kind == "track":
        note = _track(event, cfg, calls)
    elif kind == "screen":
        note = _screen(event, cfg, calls)
    elif kind == "group":
        _group(event, cfg, calls)
    else:
        note = f"{kind} calls are not handled by the Android Amplitude integration"
    base = _bases(event, cfg)
    return calls, upload_events(calls, base), note
