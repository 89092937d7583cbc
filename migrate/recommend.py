"""Recommendations: each difference category the comparison finds maps to a concrete change to the
subscriptions (a mapping patch or a trigger change). `compare` applies them one after another, re-runs the
events and `settle` keeps a rule only when `better` says it improves a figure without making a more important
one worse (chart parity first, then events lost, exact parity, errors, differing fields), and only on the
subscriptions where the replay shows it changes what Amplitude stores; so every recommendation carries the
figures before and after it was applied. What remains is explained in `residuals`.

A rule is plain data plus two functions: `applies(evidence)` looks at the findings (categories, the paths
that differ, detections) and `apply(subscriptions)` returns the patched copy and the changes it made, one
entry per subscription with every field as before -> after (`recommendation_entries` turns them into the
report's recommendations: one subscription each).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

from migrate.findings import VariantFindings, category_explanation
from migrate.impact import BREAKDOWN, CHART, OUTSIDE_CHANGES
from migrate.translate import UNSET, add_to_merge, amplitude_option, if_blank, if_exists

__all__ = ["Rule", "Evidence", "RULES", "candidates", "residuals", "EVENT_ACTIONS", "better", "not_worse", "moved",
           "stats", "FIGURES",
           "mappable_chart_events",
           "recommendation_entries", "field_changes", "apply_only", "subscription_figures", "settle",
           "SUBSCRIPTION_FIGURES"]

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
    # A rule whose benefit the replayed records cannot show (a wire-level fix) states the figure it moves
    # instead: `neutral(evidence, before, after)` (the subscriptions before and after the rule) gives
    # {"figure": what is counted, "before": n, "after": n}; the rule is kept when that figure improves and no
    # replayed figure gets worse.
    neutral: Callable[[Evidence, list[dict], list[dict]], dict] | None = None
    # a rule that only prepares another (moving tracks with a revenue to Log Purchase before their revenue
    # fields are computed there) is judged by the figures after that rule, and kept only with it
    judged_with: str | None = None


def _path(p: str) -> dict:
    return {"@path": p}


def _merge(*objects) -> dict:
    return {"@merge": {"objects": list(objects), "direction": "right"}}


_ABSENT = object()


def field_changes(before: dict, after: dict) -> list[dict]:
    """The fields of one subscription that differ, as {"field", "before", "after"} (None = absent): the
    trigger as `subscribe`, mapping fields as `mapping.<key>`, in the mapping's order."""
    out = []
    for key in ("subscribe", "enabled", "partnerAction"):
        if before.get(key, _ABSENT) != after.get(key, _ABSENT):
            out.append({"field": key, "before": before.get(key), "after": after.get(key)})
    old, new = before.get("mapping") or {}, after.get("mapping") or {}
    for key in list(old) + [k for k in new if k not in old]:
        a, b = old.get(key, _ABSENT), new.get(key, _ABSENT)
        if a != b:
            out.append({"field": f"mapping.{key}", "before": None if a is _ABSENT else copy.deepcopy(a),
                        "after": None if b is _ABSENT else copy.deepcopy(b)})
    return out


def _patched(subs, actions, change: Callable[[dict, dict], object], names=None):
    """Apply `change(mapping, subscription)` (it edits them in place) to the subscriptions of `actions`
    (and, when given, only those named in `names`). Returns the patched list and one change entry per
    subscription that changed.

    The list is new and shares what the rule does not touch with `subs` (which stays as it was): a
    subscription of another action is the same object, and `change` gets a copy of the subscription and of its
    mapping, whose values are shared. Every rule's `change` only sets, replaces or removes top-level keys of
    the two (a value it builds on is copied first: `add_to_merge`, `dict(current)`), and nothing edits a
    subscription list once a rule made it (the verification replays it, `settle` and the report read it): a
    deep copy of the whole list per rule, as before, gave the same subscriptions."""
    out = list(subs)
    changes = []
    for i, before in enumerate(subs):
        if before.get("partnerAction") not in actions or (names is not None and before.get("name") not in names):
            continue
        sub = out[i] = dict(before)
        if "mapping" in sub:
            mapping = sub["mapping"]
            sub["mapping"] = dict(mapping) if type(mapping) is dict else copy.deepcopy(mapping)
        change(sub.setdefault("mapping", {}), sub)
        fields = field_changes(before, sub)
        if fields:
            changes.append({"kind": "patch", "subscription": sub["name"], "changes": fields})
    return out, changes


# -- user properties ----------------------------------------------------------------------------------

UTM_FIELDS = (("utm_source", "source"), ("utm_medium", "medium"), ("utm_campaign", "name"),
              ("utm_term", "term"), ("utm_content", "content"))


def _classic_user_properties(traits: str, ev: Evidence, remove=(), utm: bool = True) -> dict:
    """@merge of what Classic put in user properties: traits (identify) or context.traits, utm_* (cloud,
    unless `utm` is False because the subscription's setAlways already sends them as $set, which Amplitude
    stores the same), id = userId (when there is one), without `address` (cloud), plus
    integrations.Amplitude.groups (cloud: a plain @path is enough inside @merge, which ignores the `false` a
    path walk returns for `integrations: {"Amplitude": false}`)."""
    cloud = ev.mode == "cloud"
    sources = [_path(f"$.{traits}")]
    if utm and cloud and ev.classic_settings.get("trackUtmProperties", True):
        sources.append({name: if_exists(f"$.context.campaign.{src}", _path(f"$.context.campaign.{src}"),
                                        _path(f"$.{traits}.{name}")) for name, src in UTM_FIELDS})
    extra = {"id": if_exists("$.userId", _path("$.userId"), _path(f"$.{traits}.id"))}
    if cloud:
        extra["address"] = UNSET
        sources.append(extra)
        sources.append(_path("$.integrations.Amplitude.groups"))
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
            return
        if ev.mode == "cloud":
            # Log Event V2's setAlways already sends utm_* from context.campaign as $set (the translation
            # removed the initial_utm_* $setOnce): Amplitude stores plain properties as $set, so the merge
            # leaves UTM to it. Log Purchase's utm_properties also sends initial_utm_* $setOnce: replaced.
            keeps_utm = action == "logEventV2" and isinstance(m.get("setAlways"), dict) and \
                not isinstance(m.get("setOnce"), dict)
            m["user_properties"] = _classic_user_properties("context.traits", ev, utm=not keeps_utm)
            for key in (() if keeps_utm else ("setAlways", "setOnce")) + ("utm_properties", "referrer"):
                m.pop(key, None)
            return
        if ev.mode == "web":
            m.pop("user_properties", None)  # the SDK sent no user properties with events
            if 'type = "page"' not in sub.get("subscribe", ""):
                # the SDK sent referrer (and UTM) user properties with a separate identify on page loads only;
                # on page events the mapping keeps them, the nearest a single subscription gets to that call
                m.pop("setOnce", None)
                m.pop("setAlways", None)
        return None

    return _patched(subs, ("identifyUser",) + EVENT_ACTIONS, change)


# -- other mapping fixes --------------------------------------------------------------------------------

def _apply_library(subs, ev):
    def change(m, sub):
        m["library2"] = {"behavior": "auto"}  # 'auto' sends the literal "segment", as Classic cloud did

    return _patched(subs, EVENT_ACTIONS, change)


REVENUE_KEYS = ("price", "quantity", "productId", "revenueType")


def _page_properties_differ(ev: Evidence) -> bool:
    return any(n.startswith(("page", "screen")) for n in ev.names("event_properties"))


def _apply_event_properties(subs, ev):
    cloud = ev.mode == "cloud"

    def change(m, sub):
        trigger = sub.get("subscribe", "")
        extra = {"event_id": UNSET, "amplitude_event_type": UNSET} if cloud else {}
        page = 'type = "page"' in trigger or 'type = "screen"' in trigger
        if page and (cloud or _page_properties_differ(ev)):
            # Classic added a truthy top-level category and name to the properties of page and screen events
            extra["category"] = _blank_or("$.category", _path("$.category"), _path("$.properties.category"))
            extra["name"] = _blank_or("$.name", _path("$.name"), _path("$.properties.name"))
        if not cloud and sub["partnerAction"] == "logPurchase" and \
                ev.has_path("event_properties", "event_properties.products"):
            extra["products"] = UNSET  # the SDK logged the order without its products array
        if not extra:
            return
        value = add_to_merge(m.get("event_properties"), extra, _path("$.properties"))
        if not cloud:
            m["event_properties"] = value
            return
        if sub["partnerAction"] == "logPurchase":
            value = add_to_merge(value, {"products": UNSET})  # Classic sent the order without its products
        if 'type = "track"' in trigger:
            # with a revenue Classic moved these four keys to top-level revenue fields
            value = add_to_merge(value, if_exists("$.properties.revenue", {k: UNSET for k in REVENUE_KEYS}))
        m["event_properties"] = value

    return _patched(subs, ("logEventV2", "logPurchase"), change)


def _address(traits: str, field: str) -> dict:
    """Classic's address lookup: traits.address.X, traits.X, properties.address.X, properties.X. Classic
    never read context.location itself, but it sent a country whenever the call had a locale, and a call
    with no location field at all left Amplitude to derive country, region and city itself; so the last
    fallback is context.location.X when the call has no locale (city and region) or always (country, the
    nearest stand-in for the locale's country)."""
    location = _path(f"$.context.location.{field}")
    if field == "country":
        chain = if_exists(f"$.context.location.{field}", location)
    else:
        chain = {"@if": {"exists": _path("$.context.locale"), "else": location}}
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


# Classic's library -> platform table. A lookup through @transform: the table and the library name form a new
# object and a @path built with @template reads the entry ("analytics.js" is split at its dot by the path
# syntax, hence the nesting; the `platform` leaf makes a missing or partial name resolve to nothing).
PLATFORM_TABLE = {"analytics": {"js": {"platform": "Web"}}, "analytics-ios": {"platform": "iOS"},
                  "analytics-android": {"platform": "Android"}}


def lookup(table: dict, key: dict, leaf: str) -> dict:
    """`table[key][leaf]` as a mapping: key is any directive (a path, a lower-cased path ...)."""
    return {"@transform": {"apply": {"table": copy.deepcopy(table), "key": key},
                           "mapping": {"@path": {"@template": "table.{{key}}." + leaf}}}}


_blank_or = if_blank  # Classic's truthiness checks as the runtime's @if `blank` test


def platform_mapping() -> dict:
    """The table entry for the library, else the fall-backs. One @transform: the table, the library name
    and the fall-back value form one object, read by @template-built paths (the table appears once)."""
    rest = _blank_or("$.context.device.type", _lower("$.context.device.type"),
                     _blank_or("$.context.os.name", _lower("$.context.os.name"),
                               _lower("$.context.library.name")))
    entry = {"@path": {"@template": "table.{{key}}.platform"}}
    return {"@transform": {
        "apply": {"table": copy.deepcopy(PLATFORM_TABLE), "key": _path("$.context.library.name"), "rest": rest},
        "mapping": {"@if": {"exists": entry, "then": copy.deepcopy(entry), "else": _path("$.rest")}}}}


def _apply_platform(subs, ev):
    # Classic: Web/iOS/Android from the library name, else device.type, else the lower-cased OS name, else the
    # library name; Actions itself rewrites ios/android to iOS/Android. A server library that forwards a
    # browser's user agent keeps its own name, as in Classic.
    value = platform_mapping()

    def change(m, sub):
        m["platform"] = copy.deepcopy(value)

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

    return _patched(subs, ("logPurchase",), change)


TRACK_WITHOUT_REVENUE = " and properties.revenue = null"
TRACK_WITH_REVENUE = 'type = "track" and (event = "Order Completed" or properties.revenue != null)'


def _revenue_tracks(ev: Evidence) -> bool:
    return ev.mode == "cloud" and any(n != "Order Completed" for n in ev.names("revenue")) and \
        (ev.has_path("revenue", "revenue") or ev.has_path("revenue", "price"))


def _apply_revenue_tracks(subs, ev):
    """Tracks with a revenue go through Log Purchase (which sends revenue fields) instead of Log Event
    (which removes them), and Track Calls excludes them so that each call is sent once."""
    def change(m, sub):
        trigger = sub.get("subscribe", "")
        if sub["partnerAction"] == "logPurchase" and trigger == 'type = "track" and event = "Order Completed"':
            sub["subscribe"] = TRACK_WITH_REVENUE
        elif sub["partnerAction"] == "logEventV2" and trigger.startswith('type = "track"') and \
                "properties.revenue" not in trigger and "(" not in trigger:
            sub["subscribe"] = trigger + TRACK_WITHOUT_REVENUE

    return _patched(subs, ("logEventV2", "logPurchase"), change)


SDK_REVENUE_TRIGGER = 'type = "track" and (properties.revenue != null or properties.total != null)'


def _sdk_revenue(ev: Evidence) -> bool:
    # the SDK's revenue_amount event pairs with whatever Actions sent in its place (a Product Purchased event,
    # or nothing), so any revenue or per-product difference points at it; verification keeps it only if it helps
    return ev.mode in ("ios", "android") and bool(ev.paths("revenue") or ev.paths("product_purchased"))


def _apply_sdk_revenue(subs, ev):
    """The mobile SDKs logged every track as it came (Order Completed too, with its products in the event
    properties) and, for a track with a revenue or total, a second `revenue_amount` event (logRevenueV2) with
    $price/$quantity in its properties. Track Calls takes every track; Order Completed Calls (Log Purchase)
    becomes that revenue event: its trigger, event_type, event_properties, price and quantity change, and it
    sends no products (no Product Purchased events)."""
    def first(*paths, default=None):
        chain = default
        for p in reversed(paths):
            chain = if_exists(p, _path(p), chain) if chain is not None else _path(p)
        return chain

    price = first("$.properties.price", "$.properties.revenue", "$.properties.total")
    quantity = first("$.properties.quantity", default=1)

    def change(m, sub):
        trigger = sub.get("subscribe", "")
        if sub["partnerAction"] == "logEventV2" and trigger == 'type = "track" and event != "Order Completed"':
            sub["subscribe"] = 'type = "track"'
        elif sub["partnerAction"] == "logPurchase" and trigger == 'type = "track" and event = "Order Completed"':
            sub["subscribe"] = SDK_REVENUE_TRIGGER
            m["event_type"] = "revenue_amount"
            m["event_properties"] = _merge(_path("$.properties"), {
                "$price": copy.deepcopy(price), "$quantity": copy.deepcopy(quantity),
                "$productId": first("$.properties.productId", "$.properties.product_id"),
                "$revenueType": _path("$.properties.revenueType")})
            m["price"] = copy.deepcopy(price)
            m["quantity"] = copy.deepcopy(quantity)
            m.pop("revenue", None)  # Log Purchase sends revenue = price x quantity, as the SDK's event had it
            m.pop("products", None)

    return _patched(subs, ("logEventV2", "logPurchase"), change)


WEB_REVENUE = "Revenue (revenue_amount)"
# a non-zero numeric revenue (Classic's truthiness check), or an order (which may carry only a total)
WEB_REVENUE_TRIGGER = ('type = "track" and (properties.revenue > 0 or properties.revenue < 0 '
                       'or event = "Order Completed")')
# analytics.js gave revenue events of these (lower-cased) names the revenue type "Purchase"
PURCHASE_TABLE = {name: {"revenueType": "Purchase"} for name in ("order completed", "completed order",
                                                                  "product purchased")}


def _web_revenue(ev: Evidence) -> bool:
    return ev.mode == "web" and any("revenue_amount" in p for p in ev.paths("revenue"))


def _apply_web_revenue(subs, ev):
    """analytics.js logged Order Completed (and any track with a revenue) without revenue fields, then a
    separate `revenue_amount` event (logRevenueV2) with them. Order Completed Calls stops sending revenue
    fields, and a new Log Purchase subscription sends that revenue event."""
    out, changes = _patched(subs, ("logPurchase",), _strip_revenue, names=("Order Completed Calls",))
    base = next((s for s in out if s.get("name") == "Order Completed Calls"), None)
    if base is None or any(s.get("name") == WEB_REVENUE for s in out):
        return out, changes
    price = _blank_or("$.properties.price", _path("$.properties.price"),
                      if_exists("$.properties.revenue", _dollars("$.properties.revenue"),
                                _dollars("$.properties.total")))
    quantity = _blank_or("$.properties.price", _blank_or("$.properties.quantity", _path("$.properties.quantity"), 1),
                         1)
    revenue_type = _blank_or("$.properties.revenueType", _path("$.properties.revenueType"),
                             lookup(PURCHASE_TABLE, {"@case": {"operator": "lower", "value": _path("$.event")}},
                                    "revenueType"))
    sub = copy.deepcopy(base)
    sub["name"], sub["subscribe"] = WEB_REVENUE, WEB_REVENUE_TRIGGER
    m = sub["mapping"]
    for key in ("products", "revenue"):
        m.pop(key, None)  # no Product Purchased events; Log Purchase sends revenue = price x quantity
    m["event_type"] = "revenue_amount"
    # event properties are not coerced to numbers: the price as the call gave it
    plain_price = _blank_or("$.properties.price", _path("$.properties.price"),
                            if_exists("$.properties.revenue", _path("$.properties.revenue"), _path("$.properties.total")))
    m["event_properties"] = _merge(_path("$.properties"), {
        "products": UNSET, "$price": plain_price, "$quantity": copy.deepcopy(quantity),
        "$productId": _path("$.properties.productId"), "$revenueType": copy.deepcopy(revenue_type)})
    m["price"], m["quantity"], m["revenueType"] = price, quantity, revenue_type
    out.append(sub)
    # shown as what differs from the subscription it copies: the rest is that subscription's mapping
    changes.append({"kind": "new_subscription", "subscription": WEB_REVENUE, "copy_of": base["name"],
                    "changes": field_changes(base, sub)})
    return out, changes


def _strip_revenue(m, sub):
    for key in ("revenue", "price", "quantity", "revenueType", "productId"):
        m.pop(key, None)


def _categorized(kind: str) -> Callable[[Evidence], bool]:
    noun = "Screens" if kind == "screen" else "Pages"

    def applies(ev: Evidence) -> bool:
        return ev.mode in ("cloud", "web") and ev.has_text("error", f"Categorized {noun}:")

    return applies


CATEGORY_TRIGGER = ' and properties.category != null and properties.category != ""'


def _apply_categorized(kind: str):
    noun = "Screens" if kind == "screen" else "Pages"

    def apply(subs, ev):
        def change(m, sub):
            trigger = sub.get("subscribe", "")
            if "properties.category" not in trigger:
                sub["subscribe"] = trigger + CATEGORY_TRIGGER

        return _patched(subs, ("logEventV2", "logEvent"), change, names=(f"Categorized {noun}",))

    return apply


def _apply_groups(subs, ev):
    def change(m, sub):
        m["groups"] = amplitude_option("groups")

    return _patched(subs, EVENT_ACTIONS + ("identifyUser",), change)


def _apply_idfv(subs, ev):
    def change(m, sub):
        if "idfv" not in m:
            return None
        del m["idfv"]

    return _patched(subs, EVENT_ACTIONS, change)


def _apply_products(subs, ev):
    def change(m, sub):
        if m.get("event_type") == "revenue_amount":
            return  # the mobile SDK's revenue event (sdk_revenue) sends no products
        m["products"] = _path("$.properties.products")  # a plain path keeps every product key

    return _patched(subs, ("logPurchase",), change)


def _apply_min_id_length(subs, ev):
    def change(m, sub):
        if m.get("min_id_length"):
            return None
        m["min_id_length"] = 1

    # cloud: events only, since Classic's /identify calls lost short ids too; the device-mode SDKs kept them
    return _patched(subs, EVENT_ACTIONS if ev.mode == "cloud" else ID_ACTIONS, change)


def _apply_batch(subs, ev):
    def change(m, sub):
        if m.get("use_batch_endpoint") is True:
            return None
        m["use_batch_endpoint"] = True

    return _patched(subs, EVENT_ACTIONS, change)


def _apply_session_integrations(subs, ev):
    from migrate.translate import SESSION_ID

    def change(m, sub):
        if m.get("session_id") == SESSION_ID:
            return None
        m["session_id"] = copy.deepcopy(SESSION_ID)

    return _patched(subs, EVENT_ACTIONS, change)


def _insert_id_neutral(ev: Evidence, before: list[dict], after: list[dict]) -> dict:
    """insert_id changes no stored field, so no replayed figure shows it: count the event subscriptions
    that send none (Amplitude then cannot deduplicate retries or the events both destinations send while
    they overlap at the cutover)."""
    def missing(subs):
        return sum(1 for sub in subs if sub.get("partnerAction") in EVENT_ACTIONS
                   and not (sub.get("mapping") or {}).get("insert_id"))

    return {"figure": "event subscriptions that send no insert_id", "before": missing(before),
            "after": missing(after)}


BATCH_EPS_LIMIT = 1000  # events per second per user or device on /batch (30 on /2/httpapi: detect.EPS_LIMIT)


def _batch_neutral(ev: Evidence, before: list[dict], after: list[dict]) -> dict:
    """The replay does not model Amplitude's 429 answers: count the users or devices of the events that go
    over the per-second limit of the endpoint each set of subscriptions uses (the peak_eps detection)."""
    found = next((d for d in ev.detections if d["kind"] == "peak_eps"), None) if ev is not None else None
    over_30 = found["count"] if found else 0
    over_batch = sum(1 for e in (found or {}).get("examples", []) if e.get("peak_eps", 0) > BATCH_EPS_LIMIT)

    def over(subs):
        batch = all((s.get("mapping") or {}).get("use_batch_endpoint") is True for s in subs
                    if s.get("partnerAction") in EVENT_ACTIONS)
        return over_batch if batch else over_30

    return {"figure": "users or devices above the endpoint's limit (30 events/s on /2/httpapi, "
                      f"{BATCH_EPS_LIMIT} on /batch): Amplitude answers 429", "before": over(before),
            "after": over(after)}


def _apply_insert_id(subs, ev):
    def change(m, sub):
        if m.get("insert_id"):
            return None
        m["insert_id"] = _path("$.messageId")

    return _patched(subs, ("logEventV2", "logEvent", "logPurchase"), change)


RULES: list[Rule] = [
    Rule("user_properties", "user_properties", "User properties as Classic sent them",
         "Classic cloud sent user properties on every call: identify traits (or context.traits on other calls) "
         "plus id = userId, utm_* from context.campaign as plain properties, and integrations.Amplitude.groups. "
         "Map user_properties with @merge of the same sources (and drop the generated initial_utm_* $setOnce); "
         "where the subscription's setAlways already sends utm_* as $set it stays, as Amplitude stores both alike. "
         "In web device-mode the SDK sent no user properties with events (referrer and UTM came with a separate "
         "identify on page loads), so the event mappings drop theirs, outside page events also setOnce/setAlways.",
         lambda ev: bool(ev.paths("user_properties")), _apply_user_properties),
    Rule("session_id", "session", "session_id from the classic integrations option",
         "Classic cloud read integrations.Amplitude.session_id; map session_id to fall back to it.",
         lambda ev: ev.has_path("session", "session_id"), _apply_session_integrations),
    Rule("library", "platform_fields", "library = \"segment\" as in Classic",
         "Classic cloud always sent library \"segment\"; Actions sends context.library.name by default. Set "
         "library2.behavior to \"auto\" to send \"segment\".",
         lambda ev: ev.mode == "cloud" and ev.has_path("platform_fields", "library"), _apply_library),
    Rule("event_properties", "event_properties", "Event properties cleaned as Classic did",
         "Cloud: Classic removed event_id and amplitude_event_type from event properties (and, with a revenue, "
         "price, quantity, productId and revenueType), sent the Order Completed event without its products and "
         "added a non-empty page name and category to page events. event_properties becomes an @merge that does "
         "the same (a key mapped to a path no event has is removed). Web: the integration added the page name "
         "and category to page events and logged Order Completed without its products; the same @merge does so.",
         lambda ev: bool(ev.paths("event_properties")) and (
             ev.mode == "cloud" or _page_properties_differ(ev)
             or ev.has_path("event_properties", "event_properties.products")),
         _apply_event_properties),
    Rule("location", "other_fields", "Country, city and region from address traits",
         "Classic read country/city/region from the address traits (traits.address.*, traits.*) and properties, "
         "and sent a country whenever the call had a locale. The mapping tries Classic's sources first, then "
         "context.location (city and region only for calls without a locale, where Amplitude would otherwise "
         "derive them from the ip as it did for Classic).",
         lambda ev: ev.mode == "cloud" and ev.has_path("other_fields", "country", "city", "region"),
         _apply_location),
    Rule("platform", "platform_fields", "platform as Classic derived it",
         "Classic derived platform from the library name (analytics.js -> Web, analytics-ios -> iOS, "
         "analytics-android -> Android), else a non-empty context.device.type, else the lower-cased OS name, "
         "else the library name; Actions maps context.device.type only. The mapping looks the library name up "
         "in that table (@transform with a @path built by @template), then falls back the same way, so a server "
         "library that forwards a browser's user agent keeps its own name.",
         lambda ev: ev.mode == "cloud" and ev.has_path("platform_fields", "platform"), _apply_platform),
    Rule("revenue_tracks", "revenue", "Tracks with a revenue through Log Purchase",
         "Classic cloud sent revenue, price and quantity on ANY track with a revenue (for example a renewal); "
         "Track Calls (Log Event) removes the revenue keys. Order Completed Calls (Log Purchase) also takes "
         "tracks with `properties.revenue != null`, and Track Calls excludes them (`properties.revenue = null`): "
         "each call is still sent once.",
         _revenue_tracks, _apply_revenue_tracks, judged_with="revenue"),
    Rule("sdk_revenue", "revenue", "Revenue as the mobile SDK logged it (revenue_amount)",
         "The iOS and Android SDKs logged each track unchanged (Order Completed with its products in the "
         "properties, no Product Purchased events) and, for a track with a revenue or total, a second event "
         "`revenue_amount` carrying $price and $quantity (logRevenueV2). Track Calls takes every track and Order "
         "Completed Calls (Log Purchase) becomes that revenue event for every track with a revenue or total.",
         _sdk_revenue, _apply_sdk_revenue),
    Rule("web_revenue", "revenue", "Revenue as analytics.js logged it (revenue_amount)",
         "In web device-mode the integration logged Order Completed and any track with a revenue without revenue "
         "fields, then a separate `revenue_amount` event with price, quantity and revenue type (\"Purchase\" for "
         "order names). Order Completed Calls stops sending revenue fields and a new Log Purchase subscription "
         "sends that event for tracks with a non-zero numeric revenue and for orders.",
         _web_revenue, _apply_web_revenue),
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
         # not in iOS device mode: the Amplitude iOS SDK sent the vendor id as idfv (api_properties.ios_idfv),
         # the identifierForVendor analytics-ios also puts in context.device.id, which the default maps
         lambda ev: ev.mode != "ios" and ev.has_path("other_fields", "idfv"), _apply_idfv),
    Rule("products", "product_purchased", "Product Purchased with every product field",
         "Classic's Product Purchased events carried every key of the product; the Log Purchase default keeps "
         "only price, revenue, quantity, productId and revenueType. Map products with a plain @path.",
         lambda ev: bool(ev.paths("product_purchased")), _apply_products),
    Rule("insert_id", "wire_only", "insert_id from messageId (safe cutover)",
         "Without insert_id Amplitude cannot deduplicate retries or events sent by both destinations during "
         "the cutover. Map insert_id to messageId.",
         lambda ev: True, _apply_insert_id, neutral=_insert_id_neutral),
    Rule("min_id_length", "user_id", "Keep short user and device ids on events (min_id_length)",
         "HTTP API v2 drops user_id/device_id values shorter than 5 characters (Classic's v1 /httpapi kept "
         "them); map min_id_length: 1 so Amplitude keeps them: on the event subscriptions in cloud mode (Classic's "
         "/identify lost those ids as well), on every subscription in device modes (the SDKs kept them).",
         lambda ev: ev.detection("short_ids") > 0, _apply_min_id_length),
    Rule("batch_endpoint", "wire_only", "Use the batch endpoint",
         "Some users or devices exceed 30 events/second: /2/httpapi answers 429. The batch endpoint allows "
         "1000 events/second per user or device.",
         lambda ev: ev.detection("peak_eps") > 0, _apply_batch,
         neutral=_batch_neutral),
    Rule("categorized_screens", "error", "Categorized Screens fire only for calls with a category",
         "As for pages: the trigger tests `properties.category`, so screen calls without a category do not fire "
         "the subscription (no validation error); kept only when no categorized call is lost.",
         _categorized("screen"), _apply_categorized("screen")),
    Rule("categorized_pages", "error", "Categorized Pages fire only for calls with a category",
         "Classic sent \"Viewed <category> Page\" only for page calls with a non-empty category. The trigger "
         "language cannot read the call's top-level `category`, so the subscription fires for every page call "
         "and the event_type gate rejects the uncategorized ones (a validation error in Segment's delivery view, "
         "nothing sent). Triggering on `properties.category` (analytics.js copies the category there) sends "
         "nothing and logs nothing for calls without one; kept only when no categorized call is lost.",
         _categorized("page"), _apply_categorized("page")),
]


def candidates(subs: list[dict], evidence: Evidence) -> list[tuple[Rule, list[dict], list[dict]]]:
    """The rules that apply, each with the cumulative subscriptions after it and the changes it made (one
    entry per subscription). A rule whose change touches nothing is left out."""
    out = []
    current = subs
    for rule in RULES:
        if not rule.applies(evidence):
            continue
        patched, changes = rule.apply(current, evidence)
        if not changes:
            continue
        out.append((rule, patched, changes))
        current = patched
    return out


# -- verification ---------------------------------------------------------------------------------------

def stats(findings) -> dict:
    """The figures `better` judges by, from a VariantFindings: events, events whose chart-relevant content
    matches (chart parity), events whose every stored field matches, events with a lost record, errors."""
    def count(category):
        f = findings.findings.get(category)
        return f.count if f else 0

    outcomes = getattr(findings, "outcomes", None)
    lost = outcomes.get("lost", 0) if isinstance(outcomes, dict) else count("event_missing") + count("rejected")
    outside_only = getattr(findings, "outside_only", 0)  # chart differences only a change outside the mappings closes
    tables = getattr(findings, "fields", None) or {}
    # (event, field) pairs that change numbers in charts or a breakdown dimension: moves when a rule fixes one
    # field of events that still differ in another (library = "segment" while os_name still differs)
    fields = sum(sum(tables.get(impact, {}).values()) for impact in (CHART, BREAKDOWN))
    return {"events": findings.events, "chart": findings.matched,
            "mappable": findings.matched + outside_only,
            "exact": getattr(findings, "matched_exact", findings.matched), "lost": lost, "errors": count("error"),
            "fields": fields}


def mappable_chart_events(findings) -> int:
    """Events with a chart-level difference that the mappings could still close (not only SDK device ids and
    sessions): the figure that moves in device modes, where nearly every event keeps an SDK device id."""
    s = stats(findings)
    return s["events"] - s["mappable"]


FIGURES = ("mappable", "chart", "lost", "exact", "errors", "fields")  # the order `better` judges them in


def _key(s: dict) -> tuple:
    return (s.get("mappable", s["chart"]), s["chart"], -s["lost"], s["exact"], -s["errors"], -s.get("fields", 0))


def better(before: dict, after: dict) -> bool:
    """Whether a change (figures `before` -> `after`, as `stats` gives them) should be kept: it must improve
    a figure without making a more important one worse. In order: chart parity counting events whose only
    chart differences need a change outside the mappings as matched (device modes are judged on what mappings
    can do); plain chart parity; fewer lost events; exact parity; fewer errors; fewer (event, field) pairs
    that change charts or a breakdown. A change that turns lost events into events sent with small
    differences is therefore kept; a change that moves no figure is not (see `Rule.neutral` for the
    wire-level fixes no replayed figure can show)."""
    return _key(after) > _key(before)


def not_worse(before: dict, after: dict) -> bool:
    return _key(after) >= _key(before)


def moved(before: dict, after: dict) -> list[str]:
    """The figures that changed, most important first."""
    return [name for name in FIGURES if before.get(name) != after.get(name)]


SUBSCRIPTION_FIGURES = ("events", "changed", "chart_before", "chart_after", "exact_before", "exact_after")


def subscription_figures(row) -> dict:  # (a 7th counter, events newly fired for, is internal)
    """A per-subscription counter row (see SUBSCRIPTION_FIGURES) as a dict: the events that fired the
    subscription before or after the change, how many of them Amplitude would store differently, and how
    many differ from Classic in chart content / in any stored field before and after."""
    return dict(zip(SUBSCRIPTION_FIGURES, row or (0,) * len(SUBSCRIPTION_FIGURES)))


def apply_only(rule: Rule, subs: list[dict], evidence: Evidence, names) -> tuple[list[dict], list[dict]]:
    """`rule.apply`, keeping its change only on the subscriptions named in `names` (None: all): the others
    stay as they were and a new subscription not named is left out."""
    patched, changes = rule.apply(subs, evidence)
    if names is None:
        return patched, changes
    before = {s.get("name"): s for s in subs}
    out = []
    for sub in patched:
        name = sub.get("name")
        if name in names:
            out.append(sub)
        elif name in before:
            out.append(before[name])  # as it was (shared, as `_patched` shares what it leaves)
    return out, [c for c in changes if c["subscription"] in names]


def recommendation_entries(rule: Rule, changes: list[dict], per_subscription: dict | None = None,
                           **figures) -> list[dict]:
    """The report's recommendations for one verified rule: one per subscription it changes, each with its
    fields as before -> after, the rule's verified figures (`figures`: parity_before, parity_after, kept,
    ...) and the figures of the events that fired that subscription (`per_subscription`: name -> counter
    row, see `subscription_figures`)."""
    per_subscription = per_subscription or {}
    return [{
        "rule": rule.key,
        "category": rule.category,
        "title": rule.title,
        "description": rule.description,
        "subscription": change["subscription"],
        "kind": change["kind"],
        "changes": change["changes"],
        "change": change,
        "subscription_figures": subscription_figures(per_subscription.get(change["subscription"])),
        **figures,
    } for change in changes]


def settle(found: list, step_findings: list, per_subscription: list[dict], base_findings, base_subs: list[dict],
           evidence: Evidence, mode: str) -> tuple[list[dict], list[dict]]:
    """Decide, after the replay, what each candidate rule (`found`, as `candidates` gives it, measured
    cumulatively: `step_findings[i]` after rule i, `base_findings` before the first) may change.

    A rule is kept when `better` says its figures improved, or, for a rule with a `neutral` figure, when that
    figure improved and no replayed figure got worse. A kept rule changes only the subscriptions where the
    replay shows it changed what Amplitude would store (`per_subscription[i]`: subscription name -> counter
    row, see `subscription_figures`; its `changed` count > 0); wire-level rules keep all their changes.
    Returns the recommended subscriptions (the kept changes applied to `base_subs`) and the report entries,
    one per subscription: the changes actually applied (for kept rules), or the changes tried (others)."""
    entries: list[dict] = []
    keys = [rule.key for rule, _, _ in found]
    befores = [base_findings] + list(step_findings[:-1])
    tried_befores = [base_subs] + [tried for _, tried, _ in found[:-1]]
    decisions, neutrals, partners = [], [], []
    for i, (rule, tried, _) in enumerate(found):
        before, after = stats(befores[i]), stats(step_findings[i])
        neutral = rule.neutral(evidence, tried_befores[i], tried) if rule.neutral else None
        partner = keys.index(rule.judged_with) if rule.judged_with in keys[i + 1:] else None
        if neutral is not None:
            keep = not_worse(before, after) and neutral["after"] < neutral["before"]
        elif partner is not None:
            keep = better(before, stats(step_findings[partner]))
        else:
            keep = better(before, after)
        decisions.append(keep)
        neutrals.append(neutral)
        partners.append(partner)
    for i, partner in enumerate(partners):
        if partner is not None and not decisions[partner]:
            decisions[i] = False  # it only prepares the other rule
    # a subscription that a later kept rule makes fire for other events (a widened trigger): the earlier
    # changes to it stay, even where the events it had before did not need them
    retriggered = [set() for _ in found]
    for i, table in enumerate(per_subscription):
        if decisions[i]:
            names = {name for name, row in table.items() if len(row) > 6 and row[6]}
            for j in range(i):
                retriggered[j] |= names
    subs = base_subs
    previous = base_findings
    for (rule, tried, changes), current, table, keep, neutral, partner, later in zip(
            found, step_findings, per_subscription, decisions, neutrals, partners, retriggered):
        before, after = stats(previous), stats(current)
        applied = changes
        if keep:
            needed = None if neutral is not None else {name for name, row in table.items() if row[1]} | later
            subs, applied = apply_only(rule, subs, evidence, needed)
            # kept for the events a later change sends to this subscription, not for those it had here
            applied = [{**c, "for_later_events": True} if c["subscription"] in later and
                       not (table.get(c["subscription"]) or [0, 0])[1] else c for c in applied]
        figures = {
            "mode": mode,
            # figures on the events of this mode, cumulative in the order listed
            "events": current.events,
            "parity_before": previous.parity,
            "parity_after": current.parity,
            "parity_exact_before": previous.parity_exact,
            "parity_exact_after": current.parity_exact,
            # events with a chart-level difference: a fix that turns a lost event into one sent with a field
            # difference does not raise this figure, and never looks like a regression
            "chart_events_before": previous.chart_events,
            "chart_events_after": current.chart_events,
            # the same without the differences only a change outside the mappings closes (device modes)
            "mappable_chart_events_before": mappable_chart_events(previous),
            "mappable_chart_events_after": mappable_chart_events(current),
            "lost_before": before["lost"],
            "lost_after": after["lost"],
            "errors_before": before["errors"],
            "errors_after": after["errors"],
            "field_differences_before": before["fields"],
            "field_differences_after": after["fields"],
            "category_events_before": _category_count(previous, rule.category),
            "category_events_after": _category_count(current, rule.category),
            "figures_moved": moved(before, after),
            "kept": keep,
        }
        if neutral is not None:
            figures["neutral"] = neutral
        if partner is not None:
            figures["judged_with"] = found[partner][0].title
        entries.extend(recommendation_entries(rule, applied, table, **figures))
        previous = current  # cumulative: the next rule is measured against this one
    return subs, entries


def _category_count(findings, category: str) -> int:
    f = findings.findings.get(category)
    return f.count if f else 0


# -- what remains ------------------------------------------------------------------------------------

# (category, field) -> why it remains after the recommendations; field None = the category in general
RESIDUAL_REASONS: dict[tuple[str, str | None], str] = {
    ("platform_fields", "os_name"): "os_name: Classic cloud sent the browser name parsed from the user agent "
    "(\"Chrome\", \"Mobile Safari\") for analytics.js events; Actions sends the OS name. Mapping os_name to "
    "context.userAgent sends the whole user-agent string: the directives find, replace and look up literal "
    "text, none extracts a browser name from a string.",
    ("platform_fields", "os_version"): "os_version: Classic sent the browser's major version from the user "
    "agent for analytics.js (else context.os.version); Actions prefers context.os.version, else the parsed "
    "browser version.",
    ("platform_fields", "device_model"): "device_model: Classic sent the OS family parsed from the user agent "
    "for analytics.js; Actions uses context.device.model or the parsed device.",
    ("platform_fields", "platform"): "platform: values the recommended library table and fall-backs still "
    "give differently (for example a device.type other than web/ios/android in another case).",
    ("platform_fields", "library"): "library: the group identify call of Actions always sends \"segment\"; "
    "Classic sent no library there (Amplitude stores none for group identify either).",
    ("platform_fields", "device_manufacturer"): "device_manufacturer: Actions also fills it from the parsed "
    "user agent; Classic only from context.device.manufacturer.",
    ("other_fields", "country"): "country: Classic derived it from context.locale (\"pt-BR\" -> \"Brazil\"). "
    "A mapping could only do that with a lookup table of every locale your sources send (an @transform "
    "with a @path built by @template, as the platform recommendation does for three libraries); the tool "
    "does not generate one, so the recommended mapping sends context.location.country instead.",
    ("other_fields", "city"): "city/region: Classic read only the address traits and properties; calls with "
    "a locale but no address therefore had no city or region in Classic, while Actions sends context.location.",
    ("other_fields", "region"): "region: Classic read only the address traits and properties (see city).",
    ("other_fields", "language"): "language: Classic sent the English name of context.locale; Amplitude "
    "normalises tags to names, so only tags it does not know differ.",
    ("other_fields", "idfa"): "idfa/adid: Classic sent the advertising id as idfa only when the OS name is "
    "iOS and as adid only when it is Android; the Actions default maps both from the advertising id. A "
    "trigger can test the OS name (`context.os.name = \"iOS\"`, case-sensitive) and a mapping can look the "
    "lower-cased OS name up, but the tool does not recommend it: both are breakdown fields.",
    ("other_fields", "adid"): "idfa/adid: see idfa.",
    ("event_properties", None): "Event properties Classic built from outside the call's properties (the "
    "integration's own additions in device-mode, query parameters) or that the @merge does not cover for "
    "these events.",
    ("revenue", "price"): "price/quantity/revenue of a zero revenue: the mobile SDKs logged a `revenue_amount` "
    "event with price 0 and revenue 0; Log Purchase sends the event without revenue fields when the amount is 0 "
    "(revenue sums are the same).",
    ("revenue", "revenueType"): "revenueType: Log Purchase sends revenueType \"Purchase\" when the call has none; "
    "Classic sent none (a breakdown field only).",
    ("revenue", None): "Revenue the mappings do not reproduce: revenue strings other than \"$\"-prefixed numbers "
    "(Log Purchase rejects them), and in web device-mode string revenues on tracks other than orders (the "
    "revenue event's trigger compares numbers only).",
    ("product_purchased", None): "Log Purchase builds Product Purchased events with revenue = price x quantity "
    "and revenueType \"Purchase\"; Classic copied the order's revenue type and sent no revenue without "
    "trackRevenuePerProduct. Device-mode SDKs sent no Product Purchased events.",
    ("group", None): "Actions' Group Identify User always posts /groupidentify (group properties) and adds the "
    "group type as a user property; Classic did so only with Group Type/Value Trait configured (and the "
    "device-mode SDKs never posted /groupidentify).",
    ("user_properties", None): "User properties Classic shaped in ways no mapping reproduces: device-mode SDKs "
    "sent referrer and UTM through separate identify calls (with referring_domain, which no directive can cut "
    "out of a URL) and one identify per trait change; cloud Classic's user properties differ where traits "
    "and context.traits disagree.",
    ("device_id", None): "Device-mode Classic used the id the Amplitude SDK generated on the device; "
    "server-side Actions cannot know it. Users get new device ids after the switch.",
    ("event_missing", None): "Classic sent records Actions does not: events whose integrations flags disable "
    "\"Actions Amplitude\" only, calls a subscription rejects (for example an unparseable revenue), or the "
    "separate referrer/UTM identify calls of device-mode SDKs.",
    ("event_extra", None): "Actions sends records Classic did not: events whose integrations flags disable "
    "\"Amplitude\" but not \"Actions Amplitude\" (see the integrations_flags detection), or Group Identify's "
    "/groupidentify call.",
    ("event_renamed", None): "Event names the subscriptions still produce differently (device-mode revenue "
    "events, page names the event_type template renders otherwise).",
    ("session", None): "session_id: the events carry integrations[\"Actions Amplitude\"].session_id (set by the "
    "Actions browser session plugin), which Classic cloud never read, so Classic sent them without a session "
    "(-1). Actions keeps these sessions: an intended improvement, left in on purpose. Where only "
    "integrations.Amplitude.session_id is set, the translated mapping already falls back to it.",
    ("time", None): "time: Actions drops unparseable timestamps and reads numeric strings differently.",
    ("error", None): "Calls a subscription fires for but rejects before sending (Segment's delivery view shows a "
    "validation error for each): page and screen calls without a top-level category at the Categorized "
    "subscription's event_type gate, where no trigger can test that field (the trigger language reads only "
    "type, event, name, userId, properties, traits and context) and Classic sent nothing either; and calls "
    "whose fields fail the action's validation (an empty required field, a revenue or price sent as a string "
    "such as \"$74.99\"), which Classic may still have sent: those count as missing events above. The error "
    "itself does not count against parity.",
    ("user_id", "user_id"): "user_id: ids Amplitude drops on one side only (shorter than 5 characters, or junk "
    "values), see the short_ids detection.",
    ("rejected", None): "Records Amplitude refuses on one side only (ids it drops, missing event_type).",
}

# In device modes the Amplitude SDK, not Classic's server code, built these fields: (mode family, category,
# field or None) -> why they remain there. Looked up before RESIDUAL_REASONS, whose texts describe cloud mode.
DEVICE_RESIDUAL_REASONS: dict[tuple[str, str, str | None], str] = {
    ("web", "platform_fields", None): "Platform fields in web device mode came from the Amplitude JavaScript "
    "SDK (amplitude-js 5.2.2) in the browser: library \"amplitude-js/5.2.2\", platform \"Web\", the browser's "
    "name and major version as os_name and os_version, the OS family as device_model, and the user agent. "
    "Actions sends what analytics.js recorded: library \"analytics.js\" and the OS and device that ua-parser "
    "finds in context.userAgent. Breakdown fields only: charts split by them show the new values from the "
    "switch on. No directive extracts a browser name from a user-agent string.",
    ("mobile", "platform_fields", None): "Platform fields in iOS and Android device mode came from the Amplitude "
    "SDK on the phone: library \"amplitude-ios\" / \"amplitude-android\", os_name \"ios\" / \"android\" in lower "
    "case, and the device model, OS version and carrier it read itself. Actions sends what the Segment "
    "library put in context (library \"analytics-ios\", os_name \"iOS\", context.device.model). Breakdown fields "
    "only: charts split by them show the new values from the switch on; the tool keeps the values Segment's "
    "library reports rather than imitating the SDK's.",
    ("web", "other_fields", None): "ip and language in web device mode: the browser itself sent its events, so "
    "Amplitude saw the browser's address (Actions sends context.ip, the address Segment received); the SDK "
    "sent the locale tag as language, which Amplitude stores as a language name, so only records where one "
    "side sends no language differ. Breakdown fields or no effect (an ip whose looked-up location is the same).",
    ("mobile", "other_fields", None): "Location, advertising ids and app version in iOS and Android device mode "
    "came from the Amplitude SDK: it sent no country, region or city (Amplitude looked them up from the "
    "phone's IP address) and no latitude or longitude unless location tracking was enabled in the app. "
    "Actions sends context.location, context.ip, the advertising id and context.app from the event, so "
    "Amplitude stores what the Segment library recorded. Breakdown fields only.",
}


def _residual_reason(mode: str | None, category: str, field: str | None) -> str | None:
    family = "web" if mode == "web" else "mobile" if mode in ("ios", "android") else None
    if family:
        text = DEVICE_RESIDUAL_REASONS.get((family, category, field))
        if text or (family, category, None) in DEVICE_RESIDUAL_REASONS:
            return text
    return RESIDUAL_REASONS.get((category, field))


# Differences no mapping can remove in device modes: the key of the change outside the mappings that closes
# them (`migrate.impact.OUTSIDE_CHANGES` holds its wording, shared with the impact classification).
OUTSIDE_MAPPINGS: dict[str, str] = {"device_id": "sdk_device_id", "session": "sdk_session"}
DEVICE_MODES = ("web", "ios", "android")


def residuals(findings: VariantFindings, mode: str | None = None) -> list[dict]:
    """Categories still present after the recommendations, each with why it remains. In a device mode, the
    SDK-generated device ids and sessions carry `outside_mappings`: the key of the change outside Segment's
    mappings that would close them (`migrate.impact.OUTSIDE_CHANGES`; counted apart from what mappings fix)."""
    out = []
    for f in findings.categories():
        fields = []
        for p in sorted(findings.paths.get(f.category, {}), key=lambda p: -findings.paths[f.category][p]):
            top = p.split(".")[0].split("[")[0]
            if top not in fields:
                fields.append(top)
        reasons = []
        for top in fields:
            text = _residual_reason(mode, f.category, top)
            if text and text not in reasons:
                reasons.append(text)
        general = _residual_reason(mode, f.category, None)
        if general and general not in reasons:
            reasons.append(general)
        if not reasons:
            reasons.append(category_explanation(f.category))
        if f.category == "wire_only":
            reasons = ["Not stored by Amplitude as analysis data (insert_id deduplicates only): no effect on "
                       "your charts, not counted against parity."]
        entry = {"category": f.category, "count": f.count, "fields": fields[:8], "explanation": " ".join(reasons)}
        if mode in DEVICE_MODES and f.category in OUTSIDE_MAPPINGS:
            entry["outside_mappings"] = OUTSIDE_MAPPINGS[f.category]
            entry["explanation"] = OUTSIDE_CHANGES[entry["outside_mappings"]]
        out.append(entry)
    return out
