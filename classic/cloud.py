"""Cloud mode: the HTTP API v1 requests Segment's servers sent for each event.

Base: the 2017 open-source code (field set and wire key order, verified against its asserted request
bodies). Later documented features are added as the docs describe them: preferAnonymousIdForDeviceId,
Group Type/Value Trait with group properties, traitsTo* operations, Enable Alias (usermap, unmap),
Order Completed expansion, Track Revenue Per Product, UTM from context.campaign, custom language/country,
batch endpoint, EU region. Contested points are options (classic/options.py).
"""
from __future__ import annotations

from typing import Any

from actions.jsjson import dumps

from . import facade as F
from .locales import country_name, language_name
from .pages import cloud_names
from .useragent import parse as parse_ua

__all__ = ["compile_cloud", "send_cloud", "HOSTS"]

HOSTS = {
    "us": {"base": "https://api.amplitude.com", "batch": "https://api2.amplitude.com/batch"},
    "eu": {"base": "https://api.eu.amplitude.com", "batch": "https://api.eu.amplitude.com/batch"},
}
FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON_HEADERS = {"content-type": "application/json"}

PLATFORMS = {"analytics.js": "Web", "analytics-android": "Android", "analytics-ios": "iOS"}
NORMAL_PLATFORM = {"web": "Web", "android": "Android", "ios": "iOS"}
ALWAYS_CLEANED = ("country", "language", "event_id", "amplitude_event_type")
REVENUE_CLEANED = ("price", "quantity", "productId", "revenueType")
UTM = (("source", "utm_source"), ("medium", "utm_medium"), ("name", "utm_campaign"), ("term", "utm_term"),
       ("content", "utm_content"))
OPERATIONS = (("traitsToIncrement", "$add"), ("traitsToSetOnce", "$setOnce"), ("traitsToAppend", "$append"),
              ("traitsToPrepend", "$prepend"))


def compile_cloud(s: dict, options: dict) -> dict:
    from .settings import ENDPOINTS

    region = ENDPOINTS.get((s.get("endpoint") or "").lower(), "us")
    hosts = HOSTS[region]
    query = list(s["mapQueryParams"].items())
    if options["query_params"] == "code2017":
        query = query[:1]
    return {
        "s": s,
        "o": options,
        "api_key": s["apiKey"],
        "httpapi": hosts["base"] + "/httpapi",
        "identify": hosts["base"] + "/identify",
        "groupidentify": hosts["base"] + "/groupidentify",
        "usermap": hosts["base"] + "/usermap",
        "batch": hosts["batch"] if s["sendToBatchEndpoint"] else None,
        "query": query,
        "ops": [(frozenset(s[key]), op) for key, op in OPERATIONS if s[key]],
        "keep_lang_country": s["useCustomAmplitudeProperties"],
    }


def _ctx(event: dict) -> dict:
    c = event.get("context")
    return c if isinstance(c, dict) else {}


def _sub(obj: dict, key: str) -> dict:
    v = obj.get(key)
    return v if isinstance(v, dict) else {}


def _device_id(event: dict, ctx: dict, s: dict) -> Any:
    return _device_id_from(event, _sub(ctx, "device"), _sub(ctx, "library"), s)


def _device_id_from(event: dict, device: dict, library: dict, s: dict) -> Any:
    if library.get("name") == "analytics-android" and library.get("version") == "1.4.4":
        # legacy quirk of that library version, kept by the 2017 code
        return f"{F.js_str(event.get('userId'))}:{F.js_str(device.get('model'))}:{F.js_str(device.get('id'))}"
    device_id, anonymous_id = device.get("id"), event.get("anonymousId")
    if s["preferAnonymousIdForDeviceId"]:
        return anonymous_id if F.truthy(anonymous_id) else (device_id if F.truthy(device_id) else None)
    return device_id if F.truthy(device_id) else (anonymous_id if F.truthy(anonymous_id) else None)


def _platform(ctx: dict) -> Any:
    return _platform_from(_sub(ctx, "library"), _sub(ctx, "device"), _sub(ctx, "os"))


def _platform_from(library_obj: dict, device: dict, os_: dict) -> Any:
    library = library_obj.get("name")
    platform = PLATFORMS.get(library) if isinstance(library, str) else None
    if platform is None:
        platform = device.get("type")
    if not F.truthy(platform):
        os_name = os_.get("name")
        platform = os_name.lower() if isinstance(os_name, str) and os_name else None
    if not F.truthy(platform):
        platform = library
    if not F.truthy(platform):
        return None
    text = F.js_str(platform)
    return NORMAL_PLATFORM.get(text.lower(), text.lower())


def _dict_at(obj: dict, key: str) -> dict:
    v = obj.get(key)
    return v if v.__class__ is dict or isinstance(v, dict) else {}


def _common(event: dict, cfg: dict, *, with_event_fields: bool) -> dict:
    """Fields every v1 event/identification carries, in the 2017 wire order."""
    s, o = cfg["s"], cfg["o"]
    ctx = _ctx(event)
    device, os_, app = _dict_at(ctx, "device"), _dict_at(ctx, "os"), _dict_at(ctx, "app")
    location, network, library_obj = _dict_at(ctx, "location"), _dict_at(ctx, "network"), _dict_at(ctx, "library")
    amp = F.opts(event)
    p: dict[str, Any] = {}
    # every field is left out when it is null (undefined in the 2017 code)
    v = event.get("userId")
    if v is not None:
        p["user_id"] = v
    v = _device_id_from(event, device, library_obj, s)
    if v is not None:
        p["device_id"] = v
    v = F.time_ms(event.get("timestamp"))
    if v is not None:
        p["time"] = v
    p["library"] = "segment"
    for key, source, field in (
        ("app_version", app, "version"), ("os_name", os_, "name"), ("os_version", os_, "version"),
        ("carrier", network, "carrier"), ("device_model", device, "model"), ("device_brand", device, "brand"),
        ("device_manufacturer", device, "manufacturer"), ("location_lat", location, "latitude"),
        ("location_lng", location, "longitude"), ("ip", ctx, "ip"),
    ):
        v = source.get(field)
        if v is not None:
            p[key] = v
    if with_event_fields:
        for key in ("amplitude_event_type", "session_id", "event_id"):
            v = F.proxy(amp, "event_type" if key == "amplitude_event_type" else key)
            if v is not None:
                p[key] = v
    locale = ctx.get("locale")
    if isinstance(locale, str) and locale:
        v = language_name(locale) if o["language"] == "name" else locale
        if v is not None:
            p["language"] = v
        if o["country"] == "locale":
            v = country_name(locale)
            if v is not None:
                p["country"] = v
    for field, v in zip(("country", "city", "region"), F.address_fields(event, ("country", "city", "region"))):
        if v is not None:
            p[field] = v
    os_name = os_.get("name")
    os_lower = os_name.lower() if isinstance(os_name, str) else ""
    ad_id = device.get("advertisingId") or device.get("idfa")
    if os_lower == "ios":
        if ad_id:
            p["idfa"] = ad_id
    elif os_lower == "android":
        if ad_id:
            p["adid"] = ad_id
    v = _platform_from(library_obj, device, os_)
    if v is not None:
        p["platform"] = v
    library = library_obj.get("name")
    ua = ctx.get("userAgent")
    if library == "analytics.js" and isinstance(ua, str) and ua:
        browser, major, os_family = parse_ua(ua)
        for key, v in (("os_name", browser if o["user_agent"] == "browser" else os_family), ("os_version", major),
                       ("device_model", os_family)):
            if v is not None:
                p[key] = v
    traits = F.traits_of(event)
    traits.pop("address", None)
    if s["trackUtmProperties"]:
        campaign = _dict_at(ctx, "campaign")
        for src, dst in UTM:
            if campaign.get(src) is not None:
                traits[dst] = campaign[src]
    p["user_properties"] = traits
    groups = amp.get("groups")
    if isinstance(groups, dict) and groups:
        p["groups"] = groups
        traits.update(groups)
    return p


def _search(event: dict) -> Any:
    return _sub(_ctx(event), "page").get("search")


def _apply_query(p: dict, event: dict, cfg: dict, identify: bool) -> None:
    if not cfg["query"]:
        return
    search = _search(event)
    if search is None:
        return
    for key, where in cfg["query"]:
        if identify or (where == "user_properties" and cfg["o"]["query_params"] == "configured"):
            p["user_properties"][key] = search
        else:
            p.setdefault("event_properties", {})[key] = search


def _clean(props: dict, keep_lang_country: bool, revenue: bool) -> dict:
    out = dict(props)
    for key in ALWAYS_CLEANED:
        if keep_lang_country and key in ("country", "language"):
            continue
        out.pop(key, None)
    if revenue:
        for key in REVENUE_CLEANED:
            out.pop(key, None)
    return out


def _revenue_fields(p: dict, props: dict, revenue: Any, o: dict) -> None:
    p["revenue"] = revenue
    price = props.get("price")
    if F.truthy(price):
        p["price"] = price
        p["quantity"] = F.quantity(props)
    elif o["revenue_price"] == "docs":
        p["price"] = revenue
        p["quantity"] = 1
    revenue_type = F.proxy(props, "revenueType")
    if revenue_type is not None:
        p["revenueType"] = revenue_type
    pid = F.product_id(props)
    if pid is not None:
        p["productId"] = pid


def _event(event: dict, cfg: dict, event_type: str, props: dict, *, with_revenue: bool,
           product_revenue: dict | None = None) -> dict:
    p = _common(event, cfg, with_event_fields=True)
    _apply_query(p, event, cfg, identify=False)
    revenue = F.revenue(props, event_type) if with_revenue else None
    if revenue is not None:
        _revenue_fields(p, props, revenue, cfg["o"])
    if product_revenue:
        p.update(product_revenue)
    p["event_type"] = event_type
    cleaned = _clean(props, cfg["keep_lang_country"], revenue is not None)
    if "event_properties" in p:  # query params came first and keep their wire position
        p["event_properties"].update(cleaned)
    else:
        p["event_properties"] = cleaned
    return p


def _product_revenue(product: dict, order: dict) -> dict | None:
    """Track Revenue Per Product: the product's price x quantity becomes the revenue of its event."""
    price, qty = product.get("price"), product.get("quantity")
    if price is None or not F.truthy(qty):
        return None
    out = {"price": price, "quantity": qty}
    revenue_type = F.proxy(product, "revenueType") or F.proxy(order, "revenueType")
    if revenue_type is not None:
        out["revenueType"] = revenue_type
    pid = F.product_id(product)
    if pid is not None:
        out["productId"] = pid
    return out


def _track(event: dict, cfg: dict) -> tuple[list[dict], str | None]:
    name = event.get("event")
    if not F.truthy(name):
        return [], "track without an event name: Amplitude needs an event_type"
    name = F.js_str(name)
    props = F.props(event)
    s, o = cfg["s"], cfg["o"]
    if not (o["order_completed"] == "expand" and F.is_order_completed(name)):
        return [_event(event, cfg, name, props, with_revenue=True)], None
    products = props.get("products")
    order_props = {k: v for k, v in props.items() if k != "products"}
    per_product = s["trackRevenuePerProduct"]
    out = [_event(event, cfg, name, order_props, with_revenue=not per_product)]
    for product in products if isinstance(products, list) else ():
        if not isinstance(product, dict):
            continue
        extra = _product_revenue(product, props) if per_product else None
        out.append(_event(event, cfg, "Product Purchased", product, with_revenue=False, product_revenue=extra))
    return out, None


def _page(event: dict, cfg: dict) -> tuple[list[dict], str | None]:
    names = cloud_names(event, cfg["s"], cfg["o"]["page_naming"])
    if not names:
        return [], None
    props = dict(F.props(event))
    if F.truthy(event.get("category")):
        props["category"] = event["category"]
    if F.truthy(event.get("name")):
        props["name"] = event["name"]
    return [_event(event, cfg, n, props, with_revenue=False) for n in names], None


def _operations(traits: dict, cfg: dict) -> dict:
    plain: dict = {}
    ops: dict = {}
    for key, value in traits.items():
        for listed, op in cfg["ops"]:
            if key in listed:
                ops.setdefault(op, {})[key] = value
                break
        else:
            plain[key] = value
    if not ops:
        return traits
    return {"$set": plain, **ops} if plain else ops


def _identify(event: dict, cfg: dict) -> dict:
    p = _common(event, cfg, with_event_fields=False)
    _apply_query(p, event, cfg, identify=True)
    if cfg["ops"]:
        p["user_properties"] = _operations(p["user_properties"], cfg)
    amp = F.opts(event)
    for key in ("paying", "start_version"):
        value = F.proxy(amp, key)
        if value is not None:
            p[key] = value
    return p


def _group(event: dict, cfg: dict) -> tuple[list[dict], str | None]:
    s = cfg["s"]
    traits = event.get("traits")
    if not isinstance(traits, dict):
        traits = F.props(event) if isinstance(event.get("properties"), dict) else {}
    group_type = group_value = None
    if cfg["o"]["group_call"] == "docs" and s["groupTypeTrait"] and s["groupValueTrait"]:
        t, v = traits.get(s["groupTypeTrait"]), traits.get(s["groupValueTrait"])
        if F.truthy(t) and F.truthy(v):
            group_type, group_value = F.js_str(t), v
    with_properties = group_type is not None
    if group_type is None:
        if not F.truthy(event.get("groupId")):
            return [], "group call without groupId (and no group type/value traits): nothing is sent"
        group_type, group_value = "[Segment] Group", event["groupId"]
    ctx = _ctx(event)
    ident: dict[str, Any] = {}
    if event.get("userId") is not None:
        ident["user_id"] = event["userId"]
    device_id = _device_id(event, ctx, s)
    if device_id is not None:
        ident["device_id"] = device_id
    ms = F.time_ms(event.get("timestamp"))
    if ms is not None:
        ident["time"] = ms
    ident["groups"] = {group_type: group_value}
    ident["user_properties"] = {group_type: group_value}
    requests = [_form(cfg["identify"], cfg, "identification", ident)]
    if with_properties:
        gi = {"group_type": group_type, "group_value": group_value, "group_properties": dict(traits)}
        requests.append(_form(cfg["groupidentify"], cfg, "identification", gi))
    return requests, None


def _alias(event: dict, cfg: dict) -> tuple[list[dict], str | None]:
    if not cfg["s"]["sendAlias"]:
        return [], "alias is not sent: Enable Alias (sendAlias) is off"
    unmap = F.proxy(F.opts(event), "unmap")
    if F.truthy(unmap):
        mapping = [{"user_id": unmap, "unmap": True}]
    else:
        previous, user = event.get("previousId"), event.get("userId")
        if not F.truthy(previous):
            return [], "alias without previousId: nothing to map"
        if not F.truthy(user):
            return [], "alias without userId: nothing to map to"
        mapping = [{"user_id": previous, "global_user_id": user}]
    return [_form(cfg["usermap"], cfg, "mapping", mapping)], None


def _form(url: str, cfg: dict, field: str, value: Any) -> dict:
    return {"method": "POST", "url": url, "headers": dict(FORM),
            "form": {"api_key": cfg["api_key"], field: dumps(value)}}


def _event_request(payload: dict, cfg: dict) -> dict:
    if cfg["batch"]:
        return {"method": "POST", "url": cfg["batch"], "headers": dict(JSON_HEADERS),
                "json": {"api_key": cfg["api_key"], "events": [payload]}}
    return _form(cfg["httpapi"], cfg, "event", payload)


def send_cloud(event: dict, cfg: dict) -> tuple[list[dict], str | None]:
    """(requests, note): note explains why an event sends nothing (None when that is unremarkable)."""
    kind = event.get("type")
    if kind == "track":
        payloads, note = _track(event, cfg)
    elif kind in ("page", "screen"):
        payloads, note = _page(event, cfg)
        if not payloads:
            note = f"{kind} not sent: no enabled page setting matches (named/categorized/all pages)"
    elif kind == "identify":
        return [_form(cfg["identify"], cfg, "identification", _identify(event, cfg))], None
    elif kind == "group":
        return _group(event, cfg)
    elif kind == "alias":
        return _alias(event, cfg)
    else:
        return [], f"type {kind!r} is not sent by the classic destination"
    return [_event_request(p, cfg) for p in payloads], note
