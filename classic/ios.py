"""iOS device mode: analytics-ios-integration-amplitude 3.4.0 driving Amplitude-iOS.

Per the current code (not its five stale tests): setUserId always, trait operations through one
accumulating AMPIdentify (one identify call per trait), revenue always through logRevenueV2 when a
``revenue``/``total`` key holds a number, screens named by Track All Screens / Track All Pages only,
group type from ``traits.name`` when the configured traits are missing. Order Completed is a plain track.
The shared AMPIdentify / AMPRevenue objects live per app instance; from server data each event starts
fresh (documented approximation).
"""
from __future__ import annotations

import re
from typing import Any

from . import facade as F
from .pages import ios_screen
from .sdk import SDK_DEVICE_ID, mobile_context_fields, upload_events

__all__ = ["compile_device", "send_device"]

LIBRARY = {"name": "amplitude-ios"}
_DECIMAL = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$")


def compile_device(s: dict, options: dict) -> dict:
    init = {"apiKey": s["apiKey"], "trackingSessionEvents": s["trackSessionEvents"],
            "useAdvertisingIdForDeviceId": s["useAdvertisingIdForDeviceId"]}
    return {"s": s, "init": init, "increment": frozenset(s["traitsToIncrement"]),
            "set_once": frozenset(s["traitsToSetOnce"])}


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _bool_value(v: Any) -> bool:
    """NSNumber/NSString boolValue."""
    if isinstance(v, bool):
        return v
    if _is_number(v):
        return v != 0
    if isinstance(v, str):
        t = v.lstrip()
        return bool(t) and (t[0] in "YyTt" or t[0] in "123456789")
    return False


def _identify(event: dict, cfg: dict, calls: list) -> None:
    calls.append({"sdk_call": "setUserId", "args": [event.get("userId")]})
    traits = event.get("traits")
    traits = traits if isinstance(traits, dict) else {}
    if cfg["increment"] or cfg["set_once"]:
        ops: dict = {}
        used: set = set()
        for key, value in traits.items():
            kind = "$add" if key in cfg["increment"] else "$setOnce" if key in cfg["set_once"] else "$set"
            if key not in used:  # AMPIdentify ignores a second operation on a property
                used.add(key)
                ops.setdefault(kind, {})[key] = value
            calls.append({"sdk_call": "identify",
                          "args": [{"$Identify": {k: dict(v) for k, v in ops.items()}}]})
    else:
        calls.append({"sdk_call": "setUserProperties", "args": [dict(traits)]})
    groups = F.opts(event).get("groups")
    if isinstance(groups, dict):
        for key, value in groups.items():
            calls.append({"sdk_call": "setGroup", "args": [key, value]})


def _find_key(p: dict, wanted: str) -> Any:
    for key, value in p.items():
        if isinstance(key, str) and key.lower() == wanted:
            return value
    return None


def _revenue(p: dict, calls: list) -> None:
    value = _find_key(p, "revenue")
    if value is None:
        value = _find_key(p, "total")
    if isinstance(value, str):
        value = float(value) if _DECIMAL.match(value) else None
    if not _is_number(value):
        return
    price = p["price"] if "price" in p else value
    quantity = p.get("quantity")
    if isinstance(quantity, str):
        quantity = int(float(quantity)) if _DECIMAL.match(quantity) else 0
    quantity = int(quantity) if _is_number(quantity) else 1
    rev: dict = {"price": price if _is_number(price) else None, "quantity": quantity}
    pid = p.get("productId") or p.get("product_id")
    if isinstance(pid, str) and pid:
        rev["productId"] = pid
    if p.get("receipt") is not None:
        rev["receipt"] = p["receipt"]
    rtype = p.get("revenueType") or p.get("revenue_type")
    if isinstance(rtype, str) and rtype:
        rev["revenueType"] = rtype
    rev["eventProperties"] = dict(p)
    calls.append({"sdk_call": "logRevenueV2", "args": [{"$Revenue": rev}]})


def _log(event: dict, name: str, p: dict, calls: list) -> None:
    opts = F.opts(event)
    groups = opts.get("groups") if isinstance(opts.get("groups"), dict) else None
    calls.append({"sdk_call": "logEvent", "args": [name, p, groups, _bool_value(opts.get("outOfSession"))]})
    _revenue(p, calls)


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
    extra = mobile_context_fields(
        ctx, device, {"platform": "iOS", "library": LIBRARY, "os_name": "ios", "device_manufacturer": "Apple"}, ("model",)
    )
    base.update(extra)
    ms = F.time_ms(event.get("timestamp"))
    if ms is not None:
        base["time"] = ms
    if F.truthy(ad_id):
        base["idfa"] = ad_id
    return base


def send_device(event: dict, cfg: dict) -> tuple[list[dict], list[dict], str | None]:
    """(SDK calls the integration makes, SDK events they queue, note)."""
    kind = event.get("type")
    s = cfg["s"]
    calls: list[dict] = []
    note = None
    if kind == "identify":
        _identify(event, cfg, calls)
    elif kind == "track":
        name = event.get("event")
        if not F.truthy(name):
            note = "track without an event name: nothing is logged"
        else:
            _log(event, F.js_str(name), dict(F.props(event)), calls)
    elif kind == "screen":
        chosen = ios_screen(event, s)
        if chosen is None:
            note = "screen not sent: neither Track All Screens nor Track All Pages is on"
        else:
            name, add_name = chosen
            p = dict(F.props(event))
            if add_name:
                if event.get("name") is None:
                    p.pop("name", None)
                else:
                    p = {"name": event["name"], **p}
            _log(event, name, p, calls)
    elif kind == "group":
        traits = event.get("traits")
        traits = traits if isinstance(traits, dict) else {}
        t = traits.get(s["groupTypeTrait"]) if s["groupTypeTrait"] else None
        v = traits.get(s["groupValueTrait"]) if s["groupValueTrait"] else None
        if t is None or v is None:
            t = traits.get("name") or "[Segment] Group"
            v = event.get("groupId")
        calls.append({"sdk_call": "setGroup", "args": [t, v]})
    else:
        note = f"{kind} calls are not handled by the iOS Amplitude integration"
    base = _bases(event, cfg)
    return calls, upload_events(calls, base), note
