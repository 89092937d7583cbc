"""Web device mode: the analytics.js integration driving the Amplitude JS SDK 5.2.2 in the browser.

Produces the SDK calls the integration makes for an event (verified against the integration's own tests
and probes, tests/cases/classic/upstream/web) and the events the SDK uploads for them.

Browser-only inputs are taken from the event: ``document.referrer`` is ``context.page.referrer``, the page
URL query is ``context.page.search`` (else the query of ``context.page.url``). SDK-side captures (UTM,
GCLID, Amplitude referral, ``amp_device_id``) happen when the SDK loads, i.e. on the page load that
analytics.js reports with its page call, so they are emitted on page calls that carry them.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import facade as F
from .pages import web_names
from .sdk import MAX_STRING, SDK_DEVICE_ID, upload_events
from .useragent import parse as parse_ua

__all__ = ["compile_device", "send_device", "LIBRARY"]

LIBRARY = {"name": "amplitude-js", "version": "5.2.2"}
PURCHASE_NAMES = ("order completed", "completed order", "product purchased")
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def compile_device(s: dict, options: dict) -> dict:
    init = {
        "apiKey": s["apiKey"],
        "includeUtm": s["trackUtmProperties"],
        "includeReferrer": s["useAmplitudeReferral"],
        "batchEvents": s["batchEvents"],
        "eventUploadThreshold": s["eventUploadThreshold"],
        "eventUploadPeriodMillis": s["eventUploadPeriodMillis"],
        "forceHttps": s["forceHttps"],
        "includeGclid": s["trackGclid"],
        "saveParamsReferrerOncePerSession": s["saveParamsReferrerOncePerSession"],
        "deviceIdFromUrlParam": s["deviceIdFromUrlParam"],
        "unsetParamsReferrerOnNewSession": s["unsetParamsReferrerOnNewSession"],
        "deviceId": "<anonymousId>" if s["preferAnonymousIdForDeviceId"] else False,
        "versionName": s["versionName"] or None,
        "uploadUrl": ("https" if s["forceHttps"] else "http(s)") + "://api.amplitude.com/",
    }
    return {
        "s": s,
        "init": init,
        "increment": frozenset(s["traitsToIncrement"]),
        "set_once": frozenset(s["traitsToSetOnce"]),
        "query": list(s["mapQueryParams"].items()),
        "append": list(s["appendFieldsToEventProps"].items()),
        "prefer_anon": s["preferAnonymousIdForDeviceId"],
        "send_referrer": s["trackReferrer"] and not s["useAmplitudeReferral"],
    }


# ---- value normalisation (facade traverse + SDK validation) -------------------------------------------

def _traverse(value: Any) -> Any:
    """ISO-date strings become Dates in the facade; the SDK sends them as ...T00:00:00.000Z.

    Copy on change: an object or array with no date string inside is returned as it is (most of an event),
    so the result may share parts with `value`; nothing here or downstream writes into either."""
    cls = value.__class__
    if cls is str or isinstance(value, str):
        converted = F.iso_to_js_date_string(value) if len(value) >= 10 and value[4:5] == "-" else None
        return converted if converted is not None else value
    if cls is int or cls is bool or value is None:
        return value
    if isinstance(value, dict):
        out = None
        for k, v in value.items():
            if v.__class__ is str and (len(v) < 10 or v[4:5] != "-"):
                continue  # the usual leaf: no date
            t = _traverse(v)
            if t is not v:
                if out is None:
                    out = dict(value)
                out[k] = t
        return value if out is None else out
    if isinstance(value, list):
        out = None
        for i, v in enumerate(value):
            t = _traverse(v)
            if t is not v:
                if out is None:
                    out = list(value)
                out[i] = t
        return value if out is None else out
    return value


def _validate(props: dict) -> dict:
    """SDK property validation: long strings cut, arrays nested in arrays dropped."""
    out = {}
    for key, value in props.items():
        if isinstance(value, str) and len(value) > MAX_STRING:
            value = value[:MAX_STRING]
        elif isinstance(value, list):
            value = [v for v in value if not isinstance(v, list)]
        elif isinstance(value, dict):
            value = _validate(value)
        out[str(key)] = value
    return out


def _search(event: dict) -> Any:
    page = F.proxy(event, "context.page")
    if not isinstance(page, dict):
        return None
    return page.get("search")


def _query_pairs(event: dict) -> dict:
    page = F.proxy(event, "context.page")
    if not isinstance(page, dict):
        return {}
    search = page.get("search")
    if not isinstance(search, str) or not search:
        url = page.get("url")
        search = urlsplit(url).query if isinstance(url, str) else ""
    return dict(parse_qsl(search.lstrip("?")))


# ---- the integration ----------------------------------------------------------------------------------

class _Run:
    """One event's SDK calls."""

    def __init__(self, event: dict, cfg: dict):
        self.event, self.cfg, self.calls = event, cfg, []

    def call(self, name: str, *args: Any) -> None:
        self.calls.append({"sdk_call": name, "args": list(args)})

    def device(self) -> None:
        anon = self.event.get("anonymousId")
        if self.cfg["prefer_anon"] and F.truthy(anon):
            self.call("setDeviceId", anon)

    # logEvent (lib track)
    def track(self, name: str, props: dict, dont_set_revenue: bool = False) -> None:
        self.device()
        original = props
        props = dict(props)
        if self.cfg["query"]:
            params = {}
            search = _search(self.event)
            for key, where in self.cfg["query"]:
                if where == "user_properties":
                    if search is not None:
                        params[key] = search
                elif search is not None:
                    props[key] = search
            if self.cfg["query"][-1][1] == "user_properties":
                self.call("setUserProperties", params)
        for path, prop in self.cfg["append"]:
            value = F.proxy(self.event, path)
            if value is not None:
                props[prop] = value
        groups = F.opts(self.event).get("groups")
        if F.truthy(groups):
            self.call("logEventWithGroups", name, _validate(props), groups)
        else:
            self.call("logEvent", name, _validate(props))
        if not dont_set_revenue and F.revenue(original, name) is not None:
            self.set_revenue(self.revenue_attributes(name, original))

    def revenue_attributes(self, name: str, props: dict) -> dict:
        revenue_type = F.proxy(props, "revenueType")
        if revenue_type is None and name.lower() in PURCHASE_NAMES:
            revenue_type = "Purchase"
        return {"price": props.get("price"), "productId": F.product_id(props), "revenueType": revenue_type,
                "quantity": F.quantity(props), "eventProps": props, "revenue": F.revenue(props, name)}

    def set_revenue(self, a: dict) -> None:
        price, quantity, revenue = a["price"], a["quantity"], a["revenue"]
        if self.cfg["s"]["useLogRevenueV2"]:
            if not F.truthy(price):
                price, quantity = revenue, 1
            rev = {"price": price if _is_number(price) else None,
                   "quantity": int(quantity) if _is_number(quantity) else 1,
                   "productId": a["productId"] if isinstance(a["productId"], str) and a["productId"] else None,
                   "revenueType": a["revenueType"] if isinstance(a["revenueType"], str) and a["revenueType"]
                   else None,
                   "eventProperties": _validate(a["eventProps"])}
            self.call("logRevenueV2", {"$Revenue": rev})
        else:
            amount = revenue if F.truthy(revenue) else (
                price * quantity if _is_number(price) and _is_number(quantity) else None)
            self.call("logRevenue", amount, quantity, a["productId"])

    def order_completed(self, name: str, props: dict) -> None:
        s = self.cfg["s"]
        products = props.get("products")
        products = products if isinstance(products, list) else []
        per_product = s["trackRevenuePerProduct"]
        self.device()
        if s["trackProductsOnce"]:
            rebuilt = []
            for p in products:
                p = p if isinstance(p, dict) else {}
                item = {"productId": F.product_id(p), "sku": p.get("sku"), "name": p.get("name"),
                        "price": p.get("price"), "quantity": F.quantity(p), "category": p.get("category")}
                rebuilt.append({k: v for k, v in item.items() if v is not None})
            self.track(name, {**props, "products": rebuilt}, dont_set_revenue=per_product)
            return
        order = {k: v for k, v in props.items() if k != "products"}
        self.track(name, order, dont_set_revenue=per_product)
        order_revenue = F.revenue(order, name)
        for product in products:
            if product is None:
                break  # the pinned facade throws on a null product: the remaining products are lost
            if not isinstance(product, dict):
                continue
            product = dict(product)
            if per_product and product.get("price") is not None and F.truthy(product.get("quantity")):
                revenue_type = F.proxy(order, "revenueType")
                if revenue_type is not None:
                    product["revenueType"] = revenue_type
                if order_revenue is not None:
                    product["revenue"] = order_revenue
                self.set_revenue(self.revenue_attributes("Product Purchased", product))
            self.track("Product Purchased", product, dont_set_revenue=per_product)

    def page(self) -> None:
        ev, cfg = self.event, self.cfg
        self.device()
        if cfg["send_referrer"]:
            referrer = F.proxy(ev, "context.page.referrer")
            if F.truthy(referrer):
                referrer = F.js_str(referrer)
                ops: dict = {"$setOnce": {"initial_referrer": referrer}, "$set": {"referrer": referrer}}
                parts = referrer.split("/")
                if len(parts) >= 3:
                    ops["$setOnce"]["initial_referring_domain"] = parts[2]
                    ops["$set"]["referring_domain"] = parts[2]
                self.call("identify", {"$Identify": ops})
        props = dict(F.props(ev))
        if F.truthy(ev.get("category")):
            props["category"] = ev["category"]
        if F.truthy(ev.get("name")):
            props["name"] = ev["name"]
        for name in web_names(ev, cfg["s"]):
            self.track(name, props)

    def identify(self) -> None:
        ev, cfg = self.event, self.cfg
        self.device()
        if F.truthy(ev.get("userId")):
            self.call("setUserId", ev["userId"])
        traits = F.traits_of(ev)
        if cfg["query"]:
            search = _search(ev)
            for key, _ in cfg["query"]:
                if search is None:
                    traits.pop(key, None)
                else:
                    traits[key] = search
        ops: dict = {}
        used: set = set()

        def op(kind: str, key: str, value: Any) -> None:
            if key in used:
                return  # the SDK keeps only the first operation per property
            used.add(key)
            ops.setdefault(kind, {})[key] = value

        for key, value in traits.items():
            listed = False
            if key in cfg["increment"]:
                listed = True
                if _is_number(value) or isinstance(value, str):
                    op("$add", key, value)
            if key in cfg["set_once"]:
                listed = True
                op("$setOnce", key, value)
            if not listed:
                op("$set", key, value)
        self.call("identify", {"$Identify": ops})
        groups = F.opts(ev).get("groups")
        if isinstance(groups, dict):
            for group_type, value in groups.items():
                self.call("setGroup", group_type, value)

    def group(self) -> None:
        ev, s = self.event, self.cfg["s"]
        self.device()
        traits = F.traits_of(ev)
        t = traits.get(s["groupTypeTrait"]) if s["groupTypeTrait"] else None
        v = traits.get(s["groupValueTrait"]) if s["groupValueTrait"] else None
        if F.truthy(t) and F.truthy(v):
            self.call("setGroup", t, v)
        elif F.truthy(ev.get("groupId")):
            self.call("setGroup", "[Segment] Group", ev["groupId"])


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _sdk_captures(event: dict, cfg: dict) -> list[dict]:
    """What the SDK itself records when it loads on a page: UTM, GCLID, Amplitude referral."""
    init = cfg["init"]
    if not (init["includeUtm"] or init["includeGclid"] or init["includeReferrer"]):
        return []
    query = _query_pairs(event)
    ops: dict = {}
    if init["includeUtm"]:
        for key in UTM_KEYS:
            if query.get(key):
                ops.setdefault("$setOnce", {})[f"initial_{key}"] = query[key]
                ops.setdefault("$set", {})[key] = query[key]
    if init["includeGclid"] and query.get("gclid"):
        ops.setdefault("$setOnce", {})["initial_gclid"] = query["gclid"]
        ops.setdefault("$set", {})["gclid"] = query["gclid"]
    referrer = F.proxy(event, "context.page.referrer")
    if init["includeReferrer"] and isinstance(referrer, str) and referrer:
        domain = urlsplit(referrer).hostname
        ops.setdefault("$setOnce", {})["initial_referrer"] = referrer
        ops.setdefault("$set", {})["referrer"] = referrer
        if domain:
            ops["$setOnce"]["initial_referring_domain"] = domain
            ops["$set"]["referring_domain"] = domain
    return [{"sdk_call": "identify", "args": [{"$Identify": ops}], "by": "sdk"}] if ops else []


def _bases(event: dict, cfg: dict) -> dict:
    """The SDK's own fields on every event it uploads."""
    s = cfg["s"]
    base: dict = {}
    if event.get("userId") is not None:
        base["user_id"] = event["userId"]
    anon = event.get("anonymousId")
    if cfg["prefer_anon"] and F.truthy(anon):
        base["device_id"] = anon
    elif s["deviceIdFromUrlParam"] and _query_pairs(event).get("amp_device_id"):
        base["device_id"] = _query_pairs(event)["amp_device_id"]
    else:
        base["device_id"] = SDK_DEVICE_ID
    ms = F.time_ms(event.get("timestamp"))
    if ms is not None:
        base["time"] = ms
    ctx = event.get("context") if isinstance(event.get("context"), dict) else {}
    extra = {"platform": "Web", "library": LIBRARY}
    if s["versionName"]:
        extra["app_version"] = s["versionName"]
    if isinstance(ctx.get("locale"), str):
        extra["language"] = ctx["locale"]
    ua = ctx.get("userAgent")
    if isinstance(ua, str) and ua:
        browser, major, os_family = parse_ua(ua)
        for key, value in (("os_name", browser), ("os_version", major), ("device_model", os_family)):
            if value is not None:
                extra[key] = value
    base.update(extra)
    if isinstance(ua, str) and ua:
        base["user_agent"] = ua
    return base


def send_device(event: dict, cfg: dict) -> tuple[list[dict], list[dict], str | None]:
    """(SDK calls the integration makes, SDK events they queue, note)."""
    kind = event.get("type")
    event = _traverse(event)
    run = _Run(event, cfg)
    note = None
    if kind == "page":
        run.calls.extend(_sdk_captures(event, cfg))
        run.page()
    elif kind == "track":
        name = event.get("event")
        if not F.truthy(name):
            return [], [], "track without an event name: nothing is logged"
        name = F.js_str(name)
        if F.is_order_completed(name):
            run.order_completed(name, F.props(event))
        else:
            run.track(name, F.props(event))
    elif kind == "identify":
        run.identify()
    elif kind == "group":
        run.group()
    else:
        note = f"{kind} calls are not handled by the analytics.js Amplitude integration"
    base = _bases(event, cfg)
    return run.calls, upload_events(run.calls, base), note
