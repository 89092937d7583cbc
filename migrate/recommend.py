"""Recommendations: each difference category the comparison finds maps to a concrete change to the
subscriptions (a mapping patch or a new subscription). `compare` applies them one after another, re-runs the
events and keeps a change only when it does not lower parity, so every recommendation carries the parity
before and after it was applied. What remains is explained in `residuals`.

A rule is plain data plus two functions: `applies(evidence)` looks at the findings (categories, the paths
that differ, detections) and `apply(subscriptions)` returns the patched copy and a description of the change.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

from migrate.findings import VariantFindings, category_explanation
from migrate.translate import UNSET, add_to_merge, amplitude_option, if_exists

__all__ = ["Rule", "Evidence", "RULES", "candidates", "residuals", "EVENT_ACTIONS"]

EVENT_ACTIONS = ("logEvent", "logEventV2", "logPurchase")
ID_ACTIONS = EVENT_ACTIONS + ("identifyUser", "groupIdentifyUser", "mapUser")


@dataclass
class Evidence:
    """What the previous pass found, for rules to decide whether they apply."""

    findings: VariantFindings
    detections: list[dict]
    mode: str
    classic_settings: dict

    def paths(self, category: str) -> dict[str, int]:
        return self.findings.paths.get(category, {})

    def has_path(self, category: str, *prefixes: str) -> bool:
        return any(p == x or p.startswith(x + ".") or p.startswith(x + "[")
                   for p in self.paths(category) for x in prefixes)

    def names(self, category: str) -> dict[str, int]:
        f = self.findings.findings.get(category)
        return f.events_by_name if f else {}

    def has_text(self, category: str, text: str) -> bool:
        return any(text in p for p in self.paths(category))

    def detection(self, kind: str) -> int:
        return next((d["count"] for d in self.detections if d["kind"] == kind), 0)


@dataclass
class Rule:
    key: str
    category: str
    title: str
    description: str
    applies: Callable[[Evidence], bool]
    apply: Callable[[list[dict], Evidence], tuple[list[dict], dict]]
    parity_neutral: bool = False  # wire-level fixes: kept even though records (and parity) do not change


def _path(p: str) -> dict:
    return {"@path": p}


def _merge(*objects) -> dict:
    return {"@merge": {"objects": list(objects), "direction": "right"}}


def _patched(subs, actions, change: Callable[[dict], dict | None], kind="patch"):
    """Apply `change(mapping)` (returns the patch it made, or None) to the subscriptions of `actions`."""
    out = copy.deepcopy(subs)
    touched, patch = [], {}
    for sub in out:
        if sub.get("partnerAction") in actions:
            made = change(sub.setdefault("mapping", {}), sub)
            if made:
                touched.append(sub["name"])
                patch.update(made)
    return out, {"kind": kind, "subscription": ", ".join(touched), "patch": patch}


# -- user properties ----------------------------------------------------------------------------------

UTM_FIELDS = (("utm_source", "source"), ("utm_medium", "medium"), ("utm_campaign", "name"),
              ("utm_term", "term"), ("utm_content", "content"))


def _classic_user_properties(traits: str, ev: Evidence, remove=()) -> dict:
    """@merge of what Classic put in user properties: traits (identify) or context.traits, utm_* (cloud),
    id = userId (when there is one), without `address` (cloud), plus integrations.Amplitude.groups (cloud)."""
    cloud = ev.mode == "cloud"
    sources = [_path(f"$.{traits}")]
    if cloud and ev.classic_settings.get("trackUtmProperties", True):
        sources.append({name: if_exists(f"$.context.campaign.{src}", _path(f"$.context.campaign.{src}"),
                                        _path(f"$.{traits}.{name}")) for name, src in UTM_FIELDS})
    extra = {"id": if_exists("$.userId", _path("$.userId"), _path(f"$.{traits}.id"))}
    if cloud:
        extra["address"] = UNSET
        sources.append(extra)
        sources.append(amplitude_option("groups"))
    else:
        sources.append(extra)
    removal = {t: UNSET for t in remove}
    if removal:
        sources.append(removal)
    return _merge(*sources)


def _op_traits(value) -> list[str]:
    """Traits that an identify mapping sends with an operation ($add, $setOnce ...)."""
    if not isinstance(value, dict):
        return []
    return [t for op, entries in value.items() if op != "$set" and isinstance(entries, dict) for t in entries]


def _apply_user_properties(subs, ev):
    def change(m, sub):
        action = sub["partnerAction"]
        if action == "identifyUser":
            current = m.get("user_properties")
            ops = _op_traits(current)
            target = _classic_user_properties("traits", ev, ops)
            if ops:
                value = dict(current)
                value["$set"] = target
            else:
                value = target
            m["user_properties"] = value
            if ev.mode == "cloud":
                m.pop("utm_properties", None)  # Classic cloud sent utm as plain properties, no initial_utm_*
                m.pop("referrer", None)
            return {"identifyUser.user_properties": value}
        if ev.mode == "cloud":
            value = _classic_user_properties("context.traits", ev)
            m["user_properties"] = value
            for key in ("setAlways", "setOnce", "utm_properties", "referrer"):
                m.pop(key, None)  # utm now comes in through the merge, as plain properties
            return {f"{action}.user_properties": value}
        if ev.mode == "web" and "user_properties" in m:
            m.pop("user_properties")  # the SDK sent no user properties with events
            return {f"{action}.user_properties": None}
        return None

    return _patched(subs, ("identifyUser",) + EVENT_ACTIONS, change)


# -- other mapping fixes --------------------------------------------------------------------------------

def _apply_library(subs, ev):
    def change(m, sub):
        m["library2"] = {"behavior": "auto"}  # 'auto' sends the literal "segment", as Classic cloud did
        return {"library2": m["library2"]}

    return _patched(subs, EVENT_ACTIONS, change)


REVENUE_KEYS = ("price", "quantity", "productId", "revenueType")


def _apply_event_properties(subs, ev):
    def change(m, sub):
        trigger = sub.get("subscribe", "")
        extra = {"event_id": UNSET, "amplitude_event_type": UNSET}
        if 'type = "page"' in trigger or 'type = "screen"' in trigger:
            extra["category"] = if_exists("$.category", _path("$.category"), _path("$.properties.category"))
            extra["name"] = if_exists("$.name", _path("$.name"), _path("$.properties.name"))
        value = add_to_merge(m.get("event_properties"), extra, _path("$.properties"))
        if sub["partnerAction"] == "logPurchase":
            value = add_to_merge(value, {"products": UNSET})  # Classic sent the order without its products
        if 'type = "track"' in trigger:
            # with a revenue Classic moved these four keys to top-level revenue fields
            value = add_to_merge(value, if_exists("$.properties.revenue", {k: UNSET for k in REVENUE_KEYS}))
        m["event_properties"] = value
        return {f"{sub['name']}.event_properties": value}

    return _patched(subs, ("logEventV2", "logPurchase"), change)


def _address(traits: str, field: str) -> dict:
    """Classic's address lookup: traits.address.X, traits.X, properties.address.X, properties.X. Classic
    never read context.location; for country it used the locale, which only context.location.country
    approximates (city and region stay absent, as in Classic)."""
    chain = if_exists("$.context.location.country", _path("$.context.location.country")) \
        if field == "country" else None
    for p in (f"$.properties.{field}", f"$.properties.address.{field}", f"$.{traits}.{field}",
              f"$.{traits}.address.{field}"):
        chain = if_exists(p, _path(p), chain)
    return chain


def _apply_location(subs, ev):
    def change(m, sub):
        traits = "traits" if sub["partnerAction"] == "identifyUser" else "context.traits"
        patch = {}
        for field in ("country", "city", "region"):
            m[field] = _address(traits, field)
            patch[field] = m[field]
        return patch

    return _patched(subs, EVENT_ACTIONS + ("identifyUser",), change)


def _lower(p: str) -> dict:
    return {"@case": {"operator": "lower", "value": _path(p)}}


def _apply_platform(subs, ev):
    # Classic: Web/iOS/Android from the library name, else device.type, else the lower-cased OS name, else the
    # library name. Browser sources always carry a user agent, so "Web" stands in for the analytics.js lookup;
    # Actions itself rewrites ios/android to iOS/Android.
    value = if_exists("$.context.device.type", _lower("$.context.device.type"),
                      if_exists("$.context.os.name", _lower("$.context.os.name"),
                                if_exists("$.context.userAgent", "Web", _lower("$.context.library.name"))))

    def change(m, sub):
        m["platform"] = copy.deepcopy(value)
        return {"platform": value}

    return _patched(subs, EVENT_ACTIONS + ("identifyUser",), change)


def _dollars(p: str) -> dict:
    # Classic parsed revenue strings such as "$19.99"; "19.99" is then coerced to a number by the runtime
    return {"@replace": {"pattern": "$", "replacement": "", "value": _path(p)}}


def _apply_revenue(subs, ev):
    def change(m, sub):
        revenue = if_exists("$.properties.revenue", _dollars("$.properties.revenue"), _dollars("$.properties.total"))
        m["revenue"] = revenue
        # Classic: without a price, price = revenue and quantity = 1
        m["price"] = if_exists("$.properties.price", _path("$.properties.price"), revenue)
        m["quantity"] = if_exists("$.properties.price", if_exists("$.properties.quantity",
                                                                   _path("$.properties.quantity"), 1), 1)
        return {"revenue": m["revenue"], "price": m["price"], "quantity": m["quantity"]}

    return _patched(subs, ("logPurchase",), change)


def _apply_groups(subs, ev):
    def change(m, sub):
        m["groups"] = amplitude_option("groups")
        return {"groups": m["groups"]}

    return _patched(subs, EVENT_ACTIONS + ("identifyUser",), change)


def _apply_idfv(subs, ev):
    def change(m, sub):
        if "idfv" not in m:
            return None
        del m["idfv"]
        return {"idfv": None}

    return _patched(subs, EVENT_ACTIONS, change)


def _apply_products(subs, ev):
    def change(m, sub):
        m["products"] = _path("$.properties.products")  # a plain path keeps every product key
        return {"products": m["products"]}

    return _patched(subs, ("logPurchase",), change)


def _apply_min_id_length(subs, ev):
    def change(m, sub):
        if m.get("min_id_length"):
            return None
        m["min_id_length"] = 1
        return {"min_id_length": 1}

    return _patched(subs, ID_ACTIONS, change)


def _apply_batch(subs, ev):
    def change(m, sub):
        if m.get("use_batch_endpoint") is True:
            return None
        m["use_batch_endpoint"] = True
        return {"use_batch_endpoint": True}

    return _patched(subs, EVENT_ACTIONS, change)


def _apply_session_integrations(subs, ev):
    from migrate.translate import SESSION_ID

    def change(m, sub):
        if m.get("session_id") == SESSION_ID:
            return None
        m["session_id"] = copy.deepcopy(SESSION_ID)
        return {"session_id": m["session_id"]}

    return _patched(subs, EVENT_ACTIONS, change)


def _apply_insert_id(subs, ev):
    def change(m, sub):
        if m.get("insert_id"):
            return None
        m["insert_id"] = _path("$.messageId")
        return {"insert_id": m["insert_id"]}

    return _patched(subs, ("logEventV2", "logEvent", "logPurchase"), change)


RULES: list[Rule] = [
    Rule("user_properties", "user_properties", "User properties as Classic sent them",
         "Classic cloud sent user properties on every call: identify traits (or context.traits on other calls) "
         "plus id = userId, utm_* from context.campaign as plain properties, and integrations.Amplitude.groups. "
         "Map user_properties with @merge of the same sources (and drop the generated initial_utm_* $setOnce).",
         lambda ev: bool(ev.paths("user_properties")), _apply_user_properties),
    Rule("session_id", "session", "session_id from the classic integrations option",
         "Classic cloud read integrations.Amplitude.session_id; map session_id to fall back to it.",
         lambda ev: ev.has_path("session", "session_id"), _apply_session_integrations),
    Rule("library", "platform_fields", "library = \"segment\" as in Classic",
         "Classic cloud always sent library \"segment\"; Actions sends context.library.name by default. Set "
         "library2.behavior to \"auto\" to send \"segment\".",
         lambda ev: ev.mode == "cloud" and ev.has_path("platform_fields", "library"), _apply_library),
    Rule("event_properties", "event_properties", "Event properties cleaned as Classic did",
         "Classic removed event_id and amplitude_event_type from event properties (and, with a revenue, price, "
         "quantity, productId and revenueType), sent the Order Completed event without its products and added "
         "the page name and category to page events. event_properties becomes an @merge that does the same "
         "(a key mapped to a path no event has is removed).",
         lambda ev: bool(ev.paths("event_properties")) and ev.mode == "cloud", _apply_event_properties),
    Rule("location", "other_fields", "Country, city and region from address traits",
         "Classic read country/city/region from the address traits (traits.address.*, traits.*) and properties; "
         "Actions maps context.location.*. The mapping tries Classic's sources first.",
         lambda ev: ev.mode == "cloud" and ev.has_path("other_fields", "country", "city", "region"),
         _apply_location),
    Rule("platform", "platform_fields", "platform as Classic derived it",
         "Classic derived platform from the library (analytics.js -> Web ...), else context.device.type, else "
         "the lower-cased OS or library name; Actions maps context.device.type only.",
         lambda ev: ev.mode == "cloud" and ev.has_path("platform_fields", "platform"), _apply_platform),
    Rule("revenue", "revenue", "Revenue fields as Classic computed them",
         "Classic parsed \"$19.99\" revenue strings (Actions rejects the whole Order Completed), fell back to "
         "`total`, and sent price = revenue, quantity = 1 when no price was given.",
         lambda ev: ev.mode == "cloud" and (ev.has_path("revenue", "price", "quantity", "revenue")
                                            or ev.has_text("error", "Revenue")), _apply_revenue),
    Rule("groups", "group", "Event-level groups from integrations.Amplitude.groups",
         "Classic sent integrations.Amplitude.groups as the event's groups; map groups to it.",
         lambda ev: ev.has_path("group", "groups"), _apply_groups),
    Rule("idfv", "other_fields", "No idfv",
         "Classic never sent idfv; the Actions default maps it from context.device.id. Remove the idfv mapping.",
         lambda ev: ev.has_path("other_fields", "idfv"), _apply_idfv),
    Rule("products", "product_purchased", "Product Purchased with every product field",
         "Classic's Product Purchased events carried every key of the product; the Log Purchase default keeps "
         "only price, revenue, quantity, productId and revenueType. Map products with a plain @path.",
         lambda ev: bool(ev.paths("product_purchased")), _apply_products),
    Rule("insert_id", "wire_only", "insert_id from messageId (safe cutover)",
         "Without insert_id Amplitude cannot deduplicate retries or events sent by both destinations during "
         "the cutover. Map insert_id to messageId.",
         lambda ev: True, _apply_insert_id, parity_neutral=True),
    Rule("min_id_length", "user_id", "Keep short user and device ids (min_id_length)",
         "HTTP API v2 drops user_id/device_id values shorter than 5 characters (Classic's v1 kept them, its "
         "/identify did not); map min_id_length: 1 so Amplitude keeps them.",
         lambda ev: ev.detection("short_ids") > 0, _apply_min_id_length, parity_neutral=True),
    Rule("batch_endpoint", "wire_only", "Use the batch endpoint",
         "Some users or devices exceed 30 events/second: /2/httpapi answers 429. The batch endpoint allows "
         "1000 events/second per user or device.",
         lambda ev: ev.detection("peak_eps") > 0, _apply_batch, parity_neutral=True),
]


def candidates(subs: list[dict], evidence: Evidence) -> list[tuple[Rule, list[dict], dict]]:
    """The rules that apply, each with the cumulative subscriptions after it and the change it made.
    A rule whose change touches nothing is left out."""
    out = []
    current = subs
    for rule in RULES:
        if not rule.applies(evidence):
            continue
        patched, change = rule.apply(current, evidence)
        if not change["subscription"]:
            continue
        out.append((rule, patched, change))
        current = patched
    return out


# -- what remains ------------------------------------------------------------------------------------

# (category, field) -> why it remains after the recommendations; field None = the category in general
RESIDUAL_REASONS: dict[tuple[str, str | None], str] = {
    ("platform_fields", "os_name"): "Classic cloud parsed the user agent into the browser name and version "
    "(os_name \"Mobile Safari\", os_version = browser major) for analytics.js events; Actions' parser sends the "
    "OS name. No mapping directive can parse a user agent.",
    ("platform_fields", "os_version"): "os_version: Classic used the browser major version from the user "
    "agent or context.os.version; Actions prefers context.os.version, else the parsed browser version.",
    ("platform_fields", "device_model"): "device_model: Classic used the OS family parsed from the user agent "
    "for analytics.js; Actions uses context.device.model or the parsed device/OS.",
    ("platform_fields", "platform"): "platform: Classic derived it from the library name (analytics.js -> Web, "
    "analytics-ios -> iOS ...) or the lower-cased OS/library name; Actions uses context.device.type (plus Web "
    "for analytics.js). No directive can look a library name up in a table.",
    ("platform_fields", "library"): "library: the group identify call of Actions always sends \"segment\"; "
    "Classic sent no library there.",
    ("platform_fields", "device_manufacturer"): "device_manufacturer: Actions also fills it from the parsed "
    "user agent; Classic only from context.device.manufacturer.",
    ("other_fields", "country"): "country: Classic derived it from context.locale (\"en-US\" -> \"United "
    "States\") or the address traits; Actions maps context.location.country. No directive maps locales.",
    ("other_fields", "city"): "city/region: Classic read the address traits and properties; Actions maps "
    "context.location.",
    ("other_fields", "region"): "region: Classic read the address traits and properties; Actions maps "
    "context.location.region.",
    ("other_fields", "language"): "language: Classic sent the English name of context.locale; Amplitude "
    "normalises tags to names, so only tags it does not know differ.",
    ("other_fields", "idfa"): "idfa/adid: Classic sent idfa only for iOS and adid only for Android; Actions "
    "maps both from the advertising id (FQL and directives cannot compare the OS name).",
    ("other_fields", "adid"): "idfa/adid: Classic sent idfa only for iOS and adid only for Android; Actions "
    "maps both from the advertising id.",
    ("event_properties", None): "Classic removed country, language, event_id and amplitude_event_type (and, "
    "with revenue, price/quantity/productId/revenueType) from event properties, and dropped `products` from the "
    "Order Completed event; no directive can remove keys from an object.",
    ("revenue", None): "Classic cloud sent revenue fields on ANY track with a revenue; Actions sends revenue only "
    "through Log Purchase (Order Completed), which also defaults revenueType to \"Purchase\" (HTTP API v1 -> v2 "
    "semantics of the destination).",
    ("product_purchased", None): "Log Purchase builds Product Purchased events with revenue = price x quantity "
    "and revenueType \"Purchase\"; Classic copied the order's revenue type and sent no revenue without "
    "trackRevenuePerProduct.",
    ("group", None): "Actions' Group Identify User always posts /groupidentify (group properties) and adds the "
    "group type as a user property; Classic did so only with Group Type/Value Trait configured.",
    ("user_properties", None): "User properties Classic shaped in ways no mapping reproduces: device-mode SDKs "
    "recorded no user properties on events and sent referrer/UTM through separate identify calls; cloud "
    "Classic's user properties differ where traits and context.traits disagree.",
    ("device_id", None): "Device-mode Classic used the id the Amplitude SDK generated on the device; "
    "server-side Actions cannot know it. Users get new device ids after the switch.",
    ("event_missing", None): "Classic sent records Actions does not: events whose integrations flags disable "
    "\"Actions Amplitude\" only, calls a subscription rejects (for example an unparseable revenue), or the "
    "separate referrer/UTM identify calls of device-mode SDKs.",
    ("event_extra", None): "Actions sends records Classic did not: events whose integrations flags disable "
    "\"Amplitude\" but not \"Actions Amplitude\" (see the integrations_flags detection), or Group Identify's "
    "/groupidentify call.",
    ("event_renamed", None): "Event names that the trigger/template language cannot reproduce exactly (for "
    "example empty-string names or categories, which Classic treated as absent).",
    ("session", None): "session_id: the events carry integrations[\"Actions Amplitude\"].session_id (set by the "
    "Actions browser session plugin), which Classic cloud never read, so Classic sent them without a session "
    "(-1). Actions keeps these sessions: an intended improvement, left in on purpose. Where only "
    "integrations.Amplitude.session_id is set, the translated mapping already falls back to it.",
    ("time", None): "time: Actions drops unparseable timestamps and reads numeric strings differently.",
    ("error", None): "Page and screen calls without a top-level category stop at the Categorized subscription's "
    "event_type gate (nothing is sent, as in Classic, but Segment logs a validation error), and subscriptions "
    "whose required field was empty. Errors do not count against parity.",
    ("user_id", "user_id"): "user_id: min_id_length keeps user ids shorter than 5 characters that Classic's "
    "/identify (and HTTP API v2 by default) dropped: Actions now keeps data Classic lost.",
    ("rejected", None): "Records Amplitude refuses on one side only (ids it drops, missing event_type).",
}


def residuals(findings: VariantFindings) -> list[dict]:
    """Categories still present after the recommendations, each with why it remains."""
    out = []
    for f in findings.categories():
        fields = []
        for p in sorted(findings.paths.get(f.category, {}), key=lambda p: -findings.paths[f.category][p]):
            top = p.split(".")[0].split("[")[0]
            if top not in fields:
                fields.append(top)
        reasons = []
        for top in fields:
            text = RESIDUAL_REASONS.get((f.category, top))
            if text and text not in reasons:
                reasons.append(text)
        general = RESIDUAL_REASONS.get((f.category, None))
        if general and general not in reasons:
            reasons.append(general)
        if not reasons:
            reasons.append(category_explanation(f.category))
        if f.category == "wire_only":
            reasons = ["Not stored by Amplitude as analysis data (insert_id deduplicates only): no effect on "
                       "your charts, not counted against parity."]
        out.append({"category": f.category, "count": f.count, "fields": fields[:8], "explanation": " ".join(reasons)})
    return out
