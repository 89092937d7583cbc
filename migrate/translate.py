"""Translate Amplitude (Classic) settings into Amplitude (Actions) subscriptions, with a log that accounts for
every setting.

The subscriptions start from the destination's presets and their default mappings and change only what a
classic setting (or a migration safety rule) requires. Each classic key gets one log entry:

* ``exact``: the subscriptions reproduce the setting's behaviour;
* ``approximated``: reproduced as closely as Actions fields and triggers allow (the reason says how and what
  still differs; `compare` measures it on your events);
* ``not_migratable``: Actions has no equivalent (the reason says what changes);
* ``default``: the value is the catalog default and the behaviour it controls needs nothing in Actions.

Rules the tool adds on top of the settings (listed in `Translation.notes`): insert_id <- messageId so that
Amplitude deduplicates retries and an overlapping cutover; session_id from the Actions browser plugin or,
failing that, the classic `integrations.Amplitude.session_id` option.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from classic.settings import ENDPOINTS, SETTINGS
from migrate.masking import is_secret_key, mask_value, redact

__all__ = ["Translation", "translate", "UNSET", "add_to_merge", "amplitude_option", "merge", "if_exists", "path", "to_public_api", "if_blank", "NAMED", "UNNAMED", "MODES", "PAGE_NAMING", "SEGMENT_GROUP", "mask_settings"]

MODES = ("cloud", "web", "ios", "android")
PAGE_NAMING = ("viewed", "loaded", "code2017")
SEGMENT_GROUP = "[Segment] Group"
EVENT_ACTIONS = ("logEvent", "logEventV2", "logPurchase")

EXACT, APPROX, NOT_MIGRATABLE, DEFAULT = "exact", "approximated", "not_migratable", "default"


@dataclass
class Translation:
    subscriptions: list[dict]
    log: list[dict]
    settings: dict  # Actions destination settings: apiKey, secretKey, endpoint (secrets as given)
    notes: list[str] = field(default_factory=list)
    mode: str = "cloud"


def mask_settings(settings: dict) -> dict:
    """A copy with secret values masked by the one rule (empty ones stay empty: 'not set' reveals nothing)."""
    return redact(settings)


# ----------------------------------------------------------------------------------------- directives

def path(p: str) -> dict:
    return {"@path": p}


def if_exists(p: str, then, otherwise=None) -> dict:
    body = {"exists": path(p), "then": then}
    if otherwise is not None:
        body["else"] = otherwise
    return {"@if": body}


def if_blank(p: str, then, otherwise=None) -> dict:
    """`then` when the value at `p` is present and not blank, else `otherwise`. The runtime's @if `blank`
    test treats "", 0 and false as blank: Classic's truthiness checks (names, categories, group traits)."""
    body = {"blank": path(p), "then": then}
    if otherwise is not None:
        body["else"] = otherwise
    return {"@if": body}


# Trigger tails for Classic's "has a name" test (a truthiness check: an empty name counts as none).
NAMED = ' and name != null and name != ""'
UNNAMED = ' and (name = null or name = "")'


def template(text: str) -> dict:
    return {"@template": text}


def merge(*objects) -> dict:
    return {"@merge": {"objects": list(objects), "direction": "right"}}


# A path no Segment event has: inside a right-hand @merge it resolves to undefined, which overwrites the key
# and is then removed (mapping-kit semantics), so {"address": UNSET} deletes `address` from the merged object.
UNSET = {"@path": "$.__remove_key__"}


def add_to_merge(current, extra, base=None) -> dict:
    """`current` (a mapping value) with the keys of `extra` merged over it (a right-hand @merge)."""
    if isinstance(current, dict) and isinstance(current.get("@merge"), dict) and \
            current["@merge"].get("direction") == "right":
        out = copy.deepcopy(current)
        out["@merge"]["objects"].append(extra)
        return out
    return merge(copy.deepcopy(current if current is not None else base), extra)


DEVICE_ID_DEFAULT = if_exists("$.context.device.id", path("$.context.device.id"), path("$.anonymousId"))
DEVICE_ID_PREFER_ANONYMOUS = if_exists("$.anonymousId", path("$.anonymousId"), path("$.context.device.id"))
def amplitude_option(*names: str) -> dict:
    """The first of `names` found in the classic `integrations.Amplitude` options object.

    A plain @path is not enough: with `integrations: {"Amplitude": false}` the path walk stops at `false`
    and returns it, which then fails validation. @merge ignores a boolean source, so the options are first
    copied into an object (empty when they are not one) and the names are read from that."""
    lookup = None
    for name in reversed(names):
        lookup = if_exists(f"$.{name}", path(f"$.{name}"), lookup) if lookup is not None else path(f"$.{name}")
    return {"@transform": {"apply": merge(path("$.integrations.Amplitude")), "mapping": lookup}}


SESSION_ID = if_exists(
    "$.integrations.Actions Amplitude.session_id",
    path("$.integrations.Actions Amplitude.session_id"),
    amplitude_option("session_id", "sessionId"),
)


# ----------------------------------------------------------------------------------------- the log

class _Log:
    def __init__(self, given: dict, effective: dict):
        self.given = given
        self.effective = effective
        self.entries: dict[str, dict] = {}

    def __call__(self, key: str, status: str, reason: str) -> None:
        value = self.given.get(key, self.effective.get(key))
        if is_secret_key(key):
            value = mask_value(value)
        entry = {"key": key, "value": copy.deepcopy(value), "status": status, "reason": reason}
        if key not in self.given:
            entry["present"] = False
        self.entries[key] = entry

    def default_or(self, key: str, status: str, reason: str, default_reason: str) -> None:
        """Log `default` when the setting has its catalog default, else `status`."""
        if _is_default(key, self.effective.get(key)):
            self(key, DEFAULT, default_reason)
        else:
            self(key, status, reason)


def _is_default(key: str, value) -> bool:
    spec = SETTINGS.get(key)
    return spec is not None and value == spec[1]


# ----------------------------------------------------------------------------------------- building

def _presets() -> dict[str, dict]:
    from actions import preset_subscriptions

    return {s["name"]: s for s in preset_subscriptions()}


def _sub(name: str, action: str, subscribe: str, mapping: dict) -> dict:
    return {"name": name, "partnerAction": action, "subscribe": subscribe, "mapping": mapping, "enabled": True}


def _from_preset(preset: dict, name: str | None = None, subscribe: str | None = None, **overrides) -> dict:
    mapping = copy.deepcopy(preset.get("mapping") or {})
    mapping.update(overrides)
    return _sub(name or preset["name"], preset["partnerAction"], subscribe or preset["subscribe"], mapping)


def category_gate(event_type) -> dict:
    """event_type only when the call has a non-empty top-level category. The trigger language cannot test
    that field, so a call without one resolves no event_type and the runtime rejects it before sending:
    exactly Classic's gate, at the cost of one validation error per such call in Segment's delivery
    overview (the recommendations narrow the trigger to `properties.category` where that loses nothing)."""
    return if_blank("$.category", event_type)


def _page_subscriptions(base: dict, kind: str, s: dict, mode: str, naming: str) -> list[dict]:
    """Subscriptions reproducing the classic page (or screen) naming settings for one mode."""
    if mode == "web" and kind == "screen":
        return []  # analytics.js has no screen calls
    noun = "Screen" if kind == "screen" else "Page"
    plural = f"{noun}s"
    trigger = f'type = "{kind}"'
    full_name = if_blank("$.category", template(f"Viewed {{{{category}}}} {{{{name}}}} {noun}"),
                         template(f"Viewed {{{{name}}}} {noun}"))
    subs: list[dict] = []
    if mode in ("cloud", "web") and naming != "code2017":
        verb = "Loaded" if naming == "loaded" else "Viewed"
        if naming == "loaded":
            full_name = if_blank("$.category", template(f"Loaded {{{{category}}}} {{{{name}}}} {noun}"),
                                 template(f"Loaded {{{{name}}}} {noun}"))
        if s["trackAllPages"]:
            subs.append(_from_preset(base, f"All {plural} (Loaded a {noun})", trigger,
                                     event_type=f"Loaded a {noun}"))
        if s["trackCategorizedPages"]:
            subs.append(_from_preset(base, f"Categorized {plural}", trigger,
                                     event_type=category_gate(template(f"{verb} {{{{category}}}} {noun}"))))
        if s["trackNamedPages"]:
            subs.append(_from_preset(base, f"Named {plural}", trigger + NAMED, event_type=full_name))
    elif mode in ("cloud", "web"):  # code2017: at most one event per call, so the triggers exclude each other
        if s["trackAllPages"] or s["trackNamedPages"]:
            subs.append(_from_preset(base, f"Named {plural}", trigger + NAMED, event_type=full_name))
        elif s["trackCategorizedPages"]:
            subs.append(_from_preset(base, f"Named {plural}", trigger + NAMED,
                                     event_type=category_gate(full_name)))
        if s["trackAllPages"]:
            subs.append(_from_preset(base, f"Unnamed {plural} (Loaded a {noun})", trigger + UNNAMED,
                                     event_type=f"Loaded a {noun}"))
        elif s["trackCategorizedPages"]:
            subs.append(_from_preset(base, f"Unnamed {plural} (Loaded a {noun})", trigger + UNNAMED,
                                     event_type=category_gate(f"Loaded a {noun}")))
    elif mode == "android" and kind == "screen":  # an exclusive chain: one event at most
        with_name = merge(path("$.properties"), {"name": path("$.name")})
        if s["trackAllPagesV2"]:
            subs.append(_from_preset(base, "All Screens (Loaded a Screen)", trigger, event_type="Loaded a Screen",
                                     event_properties=with_name))
        elif s["trackAllPages"]:
            subs.append(_from_preset(base, "All Screens", trigger, event_type=if_blank(
                "$.name", template("Viewed {{name}} Screen"),
                if_exists("$.category", template("Viewed {{category}} Screen"), "Viewed null Screen"))))
        else:
            if s["trackCategorizedPages"] and s["trackNamedPages"]:
                subs.append(_from_preset(base, "Categorized or Named Screens", trigger, event_type=if_blank(
                    "$.category", template("Viewed {{category}} Screen"),
                    if_blank("$.name", template("Viewed {{name}} Screen")))))
            elif s["trackCategorizedPages"]:
                subs.append(_from_preset(base, "Categorized Screens", trigger,
                                         event_type=category_gate(template("Viewed {{category}} Screen"))))
            elif s["trackNamedPages"]:
                subs.append(_from_preset(base, "Named Screens", trigger + NAMED,
                                         event_type=template("Viewed {{name}} Screen")))
    elif mode == "ios" and kind == "screen":
        with_name = merge(path("$.properties"), {"name": path("$.name")})
        if s["trackAllPagesV2"]:
            subs.append(_from_preset(base, "All Screens (Loaded a Screen)", trigger, event_type="Loaded a Screen",
                                     event_properties=with_name))
        elif s["trackAllPages"]:
            subs.append(_from_preset(base, "All Screens", trigger, event_type=if_exists(
                "$.name", template("Viewed {{name}} Screen"), "Viewed (null) Screen")))
    return subs


# Classic tests page names and categories for truthiness (`if (name)`), the trigger language and @if for
# existence: a call whose name or category is "" sends an event in Actions that Classic did not send (or names
# it differently). Settings whose subscriptions depend on such a test are therefore approximated, not exact.

def _revenue_per_product_status(s: dict, mode: str) -> tuple[str, str]:
    """trackRevenuePerProduct per mode: what replaying an order through both sides shows."""
    value = str(bool(s["trackRevenuePerProduct"])).lower()
    if mode in ("ios", "android"):
        return APPROX, (f"not read by the {mode} integration: Classic logged Order Completed as a standard track "
                        "(one event, revenue by the revenue rules, no Product Purchased), as documented. Order "
                        f"Completed Calls (Log Purchase, trackRevenuePerProduct: {value}) also sends one Product "
                        "Purchased per product and revenueType \"Purchase\".")
    where = ("revenue on the order or on each Product Purchased event as in Classic" if mode == "cloud" else
             "revenue on the events themselves, where Classic web logged separate revenue_amount events")
    return APPROX, (f"Order Completed Calls (Log Purchase) trackRevenuePerProduct: {value}: {where}; Log Purchase "
                    "also sets revenueType \"Purchase\" and reads price/quantity differently, so revenue fields differ.")


def _log_pages(s: dict, mode: str, naming: str, log: _Log) -> None:
    web_like = mode in ("cloud", "web")
    how = ("one subscription per setting, as Classic sends one event per enabled setting"
           if naming != "code2017" else "mutually exclusive triggers, as Classic sends at most one event per call")

    def status(key: str, what: str, depends: bool) -> tuple[str, str]:
        """EXACT: the triggers and event_type gates test names and categories for truthiness as Classic did
        (`name != null and name != ""`, @if blank), so an empty name or category counts as none on both sides."""
        return EXACT, (f" An empty {what} counts as none, as in Classic (truthiness tests: `!= \"\"`, @if blank)."
                       if s[key] and depends else "")

    if web_like:
        all_pages = ('"Loaded a Page"/"Loaded a Screen" subscription' if s["trackAllPages"]
                     else "off: no all-pages subscription")
        # code2017 splits "Loaded a Page" from named pages on `name = null`, so even All Pages depends on the name
        st, why = status("trackAllPages", "name", naming == "code2017")
        log("trackAllPages", st, f"{all_pages} ({how}).{why}")
        st_named, why_named = status("trackNamedPages", "name", True)
        st_cat, why_cat = status("trackCategorizedPages", "category", True)
        log("trackNamedPages", st_named,
            ("Named Pages subscription (`name != null and name != \"\"`), event_type \"Viewed <category> <name> Page\" via @if/@template"
             if s["trackNamedPages"] else "off: no named-pages subscription") + f" ({how}).{why_named}")
        log("trackCategorizedPages", st_cat,
            ("Categorized Pages subscription; event_type \"Viewed <category> Page\" only when the call has a "
             "top-level category (@if): the trigger language cannot test that field, so calls without a category "
             "are rejected by the runtime before sending (a validation error in Segment's delivery overview, "
             "no data sent, as in Classic)" if s["trackCategorizedPages"] else "off: no categorized-pages "
             "subscription") + f" ({how}).{why_cat}")
        log.default_or("trackAllPagesV2", NOT_MIGRATABLE,
                       "read by mobile device-mode only; has no effect in this mode.",
                       "mobile device-mode only; off.")
    else:
        log("trackAllPagesV2", EXACT,
            "\"Loaded a Screen\" subscription with the name added to event properties (@merge)."
            if s["trackAllPagesV2"] else "off: screens are named by the other settings.")
        # Android's chain shows the name when it is truthy, else the category; iOS prints the name as it is
        android_chain = mode == "android" and not s["trackAllPagesV2"]
        st, why = status("trackAllPages", "name", android_chain)
        log("trackAllPages", st, ("screen naming reproduced with @if/@template (page calls do not exist in "
            "mobile device-mode)." if s["trackAllPages"] else "off.") + why)
        for key, what in (("trackNamedPages", "name"), ("trackCategorizedPages", "category")):
            if mode == "ios":
                log(key, EXACT, "not read by the iOS integration: no subscription.")
            else:
                st, why = status(key, what, android_chain and not s["trackAllPages"])
                log(key, st, ("Android screen chain reproduced in one subscription: event_type from the "
                    "category, else the name (@if); screens without either are rejected before sending."
                    if s[key] else "off.") + why)


def translate(classic_settings: dict, *, mode: str = "cloud", page_naming: str = "viewed",
              presets: dict | None = None) -> Translation:
    """Subscriptions (runtime shape) and the translation log for a classic settings object.

    `classic_settings` is a plain object of setting keys or a Segment Public API destination document.
    Raises classic.SettingsError for a wrong-typed setting.
    """
    from classic.settings import load_settings

    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if page_naming not in PAGE_NAMING:
        raise ValueError(f"page_naming must be one of {', '.join(PAGE_NAMING)}, got {page_naming!r}")
    s, _warnings = load_settings(classic_settings, source="classic settings")
    given = _given(classic_settings, s)
    log = _Log(given, s)
    presets = presets or _presets()
    notes: list[str] = []

    # -- common rules for event subscriptions ----------------------------------------------------
    device_id = DEVICE_ID_DEFAULT
    if s["preferAnonymousIdForDeviceId"] and mode in ("cloud", "web"):
        device_id = DEVICE_ID_PREFER_ANONYMOUS
        log("preferAnonymousIdForDeviceId", EXACT,
            "device_id mapping reordered: anonymousId first, then context.device.id (every subscription).")
    elif s["preferAnonymousIdForDeviceId"]:
        log("preferAnonymousIdForDeviceId", EXACT, f"not read in {mode} device-mode: device_id left at its default.")
    else:
        log("preferAnonymousIdForDeviceId", DEFAULT if mode == "cloud" else APPROX,
            "off: Actions' default device_id (context.device.id, then anonymousId) is Classic cloud's order."
            if mode == "cloud" else
            f"off: in {mode} device-mode the SDK generated the device_id; server-side Actions cannot reproduce it "
            "and uses context.device.id, then anonymousId (users get new device ids).")
    if s["useAdvertisingIdForDeviceId"] and mode in ("ios", "android"):
        device_id = if_exists("$.context.device.advertisingId", path("$.context.device.advertisingId"), device_id)
        log("useAdvertisingIdForDeviceId", APPROX,
            "device_id mapping puts context.device.advertisingId first; the SDK also fell back to its own id.")
    else:
        log.default_or("useAdvertisingIdForDeviceId", NOT_MIGRATABLE,
                       "read by mobile device-mode only; no effect in this mode.", "off.")

    use_batch = bool(s["sendToBatchEndpoint"])
    log.default_or("sendToBatchEndpoint", EXACT, "use_batch_endpoint: true on every event subscription.",
                   "off: events go to /2/httpapi (use_batch_endpoint false).")

    utm = bool(s["trackUtmProperties"]) and mode in ("cloud", "web")
    referrer = bool(s["trackReferrer"]) and mode == "web"

    def common(sub: dict) -> dict:
        m = sub["mapping"]
        action = sub["partnerAction"]
        if "device_id" in m or action in EVENT_ACTIONS + ("identifyUser", "groupIdentifyUser"):
            m["device_id"] = copy.deepcopy(device_id)
        if action in EVENT_ACTIONS:
            m["insert_id"] = path("$.messageId")
            m["session_id"] = copy.deepcopy(SESSION_ID)
            m["use_batch_endpoint"] = use_batch
        if action == "logEventV2":
            set_once = m.get("setOnce") if isinstance(m.get("setOnce"), dict) else None
            set_always = m.get("setAlways") if isinstance(m.get("setAlways"), dict) else None
            for obj, prefix in ((set_once, "initial_"), (set_always, "")):
                if obj is None:
                    continue
                # Classic cloud sent utm_* as plain ($set) properties, never initial_utm_* ($setOnce)
                if not utm or (mode == "cloud" and prefix):
                    for k in [k for k in obj if k.startswith(prefix + "utm_")]:
                        del obj[k]
                if not referrer:
                    obj.pop(prefix + "referrer", None)
            for key, obj in (("setOnce", set_once), ("setAlways", set_always)):
                if obj is not None and not obj:
                    del m[key]
        if action in ("logEvent", "logPurchase", "identifyUser"):
            if not utm:
                m.pop("utm_properties", None)
            if not referrer:
                m.pop("referrer", None)
        if mode == "cloud" and not s["useCustomAmplitudeProperties"] and action in EVENT_ACTIONS:
            m["event_properties"] = add_to_merge(m.get("event_properties"), {"country": UNSET, "language": UNSET},
                                                 path("$.properties"))
        if s["versionName"] and mode == "web" and "app_version" in m:
            m["app_version"] = s["versionName"]
        return sub

    # -- the subscriptions -------------------------------------------------------------------------
    subs: list[dict] = []
    track = _from_preset(presets["Track Calls"])
    order = _from_preset(presets["Order Completed Calls"], trackRevenuePerProduct=bool(s["trackRevenuePerProduct"]))
    subs += [track, order]
    subs += _page_subscriptions(presets["Page Calls"], "page", s, mode, page_naming)
    subs += _page_subscriptions(presets["Screen Calls"], "screen", s, mode, page_naming)
    _log_pages(s, mode, page_naming, log)
    identify = _from_preset(presets["Identify Calls"])
    subs.append(identify)
    subs.append(_group_subscription(s, mode, log))
    if s["sendAlias"]:  # every mode: Segment processes all alias calls server-side (classic docs)
        subs.append(_sub("Map User (alias)", "mapUser", 'type = "alias"',
                         {"user_id": path("$.previousId"), "global_user_id": path("$.userId")}))
        log("sendAlias", APPROX, "Map User subscription (`type = \"alias\"`): previousId -> user_id, userId -> "
            "global_user_id" + ("" if mode == "cloud" else f" (Classic processed {mode} alias calls on Segment's "
            "servers too, as documented)") + ". Not reproducible: the integrations.Amplitude.unmap option, and "
            "Classic sent no usermap without a non-empty previousId and userId, where Actions sends one with the "
            "missing id left out. Needs Amplitude Portfolio.")
    else:
        log("sendAlias", DEFAULT, "off: alias calls are not sent; no Map User subscription.")

    _identify_traits(identify, s, mode, log)
    subs = [common(sub) for sub in subs]

    # -- everything else -----------------------------------------------------------------------------
    log("trackRevenuePerProduct", *_revenue_per_product_status(s, mode))
    log("apiKey", EXACT, "destination setting apiKey (value not shown).")
    log("secretKey", EXACT if s["secretKey"] else DEFAULT,
        "destination setting secretKey, used only for deletions (value not shown)." if s["secretKey"] else
        "empty: Actions requires a Secret Key for GDPR deletions; set it in the destination settings.")
    endpoint = ENDPOINTS.get(str(s["endpoint"]).lower())
    region = "europe" if endpoint == "eu" else "north_america"
    if endpoint is None:
        log("endpoint", APPROX, f"unknown region {s['endpoint']!r}: Actions endpoint north_america.")
    else:
        log("endpoint", EXACT if s["endpoint"] else DEFAULT, f"destination setting endpoint: {region}.")
    _log_simple(s, mode, log, utm, referrer)

    notes.append("insert_id <- messageId on every event subscription: Amplitude deduplicates retries and the "
                 "overlap while both destinations run (safe cutover).")
    notes.append("session_id <- integrations[\"Actions Amplitude\"].session_id, else the classic "
                 "integrations.Amplitude.session_id option (so server-side session ids keep working).")
    notes.append("Order Completed goes through Log Purchase and Track Calls excludes it (`event != \"Order "
                 "Completed\"`): no double counting.")

    for key in given:  # anything the catalog does not know is still accounted for
        if key not in log.entries:
            log(key, NOT_MIGRATABLE, "not an Amplitude (Classic) catalog setting; no component reads it, so "
                "it has no Actions equivalent.")
    entries = list(log.entries.values())
    order_keys = list(given) + [k for k in SETTINGS if k not in given]
    entries.sort(key=lambda e: order_keys.index(e["key"]) if e["key"] in order_keys else len(order_keys))
    settings = {"apiKey": s["apiKey"], "secretKey": s["secretKey"], "endpoint": region}
    return Translation(subs, entries, settings, notes, mode)


def _given(raw, s) -> dict:
    from classic.settings import _unwrap

    obj = _unwrap(raw)
    return dict(obj) if isinstance(obj, dict) else {}


def _group_subscription(s: dict, mode: str, log: _Log) -> dict:
    type_trait, value_trait = s["groupTypeTrait"], s["groupValueTrait"]
    if mode == "android":
        value_trait = s.get("groupTypeValue") or None  # Android reads this key, not groupValueTrait
    mapping = {
        "user_id": path("$.userId"),
        "device_id": copy.deepcopy(DEVICE_ID_DEFAULT),
        "time": path("$.timestamp"),
    }
    fallback_type = (if_exists("$.traits.name", path("$.traits.name"), SEGMENT_GROUP)
                     if mode in ("ios", "android") else SEGMENT_GROUP)
    if type_trait and value_trait:
        t, v = f"$.traits.{type_trait}", f"$.traits.{value_trait}"
        # Classic needs truthy trait values: the @if blank test (an empty string counts as absent)
        mapping["group_type"] = if_blank(t, if_blank(v, path(t), fallback_type), fallback_type)
        mapping["group_value"] = if_blank(t, if_blank(v, path(v), path("$.groupId")), path("$.groupId"))
        if mode in ("cloud", "android"):
            mapping["group_properties"] = if_blank(t, if_blank(v, path("$.traits")))
        reason = (f"Group Identify User subscription: group_type <- traits.{type_trait}, group_value <- "
                  f"traits.{value_trait} when both are non-empty (nested @if blank, Classic's truthiness "
                  f"check), else the legacy \"{SEGMENT_GROUP}\" = groupId.")
        log("groupTypeTrait", APPROX, reason)
        log("groupValueTrait", APPROX, reason)
    else:
        mapping["group_type"] = fallback_type
        mapping["group_value"] = path("$.groupId")
        reason = (f"not set: Group Identify User subscription with the legacy group type \"{SEGMENT_GROUP}\" = "
                  "groupId. Actions also posts /groupidentify (with no properties), which Classic did not.")
        for key in ("groupTypeTrait", "groupValueTrait"):
            if s[key]:
                log(key, APPROX, f"only one of groupTypeTrait/groupValueTrait is set, so Classic always used the "
                    f"legacy type; {reason.split(': ', 1)[1]}")
            else:
                log(key, DEFAULT, reason)
    if "groupTypeValue" in s:
        log("groupTypeValue", EXACT if mode == "android" else NOT_MIGRATABLE,
            "Android reads this key instead of groupValueTrait: used as the group value trait." if mode == "android"
            else "only the Android integration reads this key; no effect in this mode.")
    return _sub("Group Identify User", "groupIdentifyUser", 'type = "group"', mapping)


def _addressable(trait: str) -> bool:
    """Whether @path "$.traits.<trait>" reaches exactly that trait: not for an empty name, nor for dots,
    brackets or quotes, which the runtime's path syntax reads as structure."""
    from actions.mapping_kit import get_path

    marker = object()
    return get_path({"traits": {trait: marker}}, f"traits.{trait}") is marker


def _identify_traits(identify: dict, s: dict, mode: str, log: _Log) -> None:
    ops = []  # (operation, traits) in Classic's precedence: $add wins over $setOnce
    ops.append(("$add", list(s["traitsToIncrement"])))
    ops.append(("$setOnce", list(s["traitsToSetOnce"])))
    cloud_only = mode == "cloud"
    ops.append(("$append", list(s["traitsToAppend"]) if cloud_only else []))
    ops.append(("$prepend", list(s["traitsToPrepend"]) if cloud_only else []))
    used: set[str] = set()
    user_properties: dict = {"$set": path("$.traits")}
    listed = [t for _, traits in ops for t in traits if _addressable(t)]
    if listed:  # a trait with an operation is not also $set (Classic sent it once)
        user_properties["$set"] = merge(path("$.traits"), {t: UNSET for t in dict.fromkeys(listed)})
    for op, traits in ops:
        entries = {}
        for trait in traits:
            if trait in used or not _addressable(trait):
                continue
            used.add(trait)
            entries[trait] = path(f"$.traits.{trait}")
        if entries:
            user_properties[op] = entries
    if len(user_properties) > 1:
        identify["mapping"]["user_properties"] = user_properties
    def why(op: str) -> str:
        return (f"Identify Calls user_properties mapped as operations: {{{op}: {{trait: traits.<trait>}}}} and $set "
                "<- the other traits (@merge removes the listed ones). Segment's table says 'Not supported with "
                "Actions'; identifyUser's free-form user_properties can carry the operation.")

    for key, op in (("traitsToIncrement", "$add"), ("traitsToSetOnce", "$setOnce"), ("traitsToAppend", "$append"),
                    ("traitsToPrepend", "$prepend")):
        value = s[key]
        if not value:
            log(key, DEFAULT, "empty: no trait operation.")
        elif key in ("traitsToAppend", "traitsToPrepend") and not cloud_only:
            log(key, NOT_MIGRATABLE, f"read by cloud mode only; no effect in {mode} device-mode.")
        else:
            dotted = [t for t in value if not _addressable(t)]
            extra = (" Traits whose names @path cannot address (a dot, bracket or quote, or an empty name) stay "
                     f"plain $set: {', '.join(repr(t) for t in dotted)}." if dotted else "")
            device = "" if cloud_only else (" Device-mode SDKs also dropped listed traits whose values they "
                                            "could not apply (e.g. a non-numeric $add); Actions sends them.")
            log(key, EXACT if cloud_only and not dotted else APPROX, why(op) + extra + device)


def _log_simple(s: dict, mode: str, log: _Log, utm: bool, referrer: bool) -> None:
    web, cloud = mode == "web", mode == "cloud"

    def device_only(key, what, modes=("web",)):
        if mode in modes and not _is_default(key, s[key]):
            log(key, NOT_MIGRATABLE, what)
        else:
            log.default_or(key, NOT_MIGRATABLE, f"{'/'.join(modes)} device-mode only; no effect in {mode} mode. "
                           f"({what})", f"catalog default; {'/'.join(modes)} device-mode only. ({what})")

    device_only("batchEvents", "Amplitude SDK client-side upload batching; Actions sends from Segment's servers. "
                "No effect on the data Amplitude stores.")
    device_only("eventUploadPeriodMillis", "SDK upload timing; not configurable in Actions, no data effect.")
    device_only("eventUploadThreshold", "SDK upload batch size; not configurable in Actions, no data effect.")
    device_only("forceHttps", "SDK transport option; Actions always uses https. No data effect.")
    device_only("deviceIdFromUrlParam", "the SDK took the device id from the amp_device_id URL parameter; no "
                "directive can parse a URL parameter, so device ids from links are lost.")
    device_only("saveParamsReferrerOncePerSession", "SDK session handling of referrer/UTM; Actions sends them from "
                "each event's context.")
    device_only("unsetParamsReferrerOnNewSession", "SDK session handling of referrer/UTM; not supported in Actions.")
    device_only("trackGclid", "the SDK read gclid from the page URL; not supported in Actions.")
    device_only("useAmplitudeReferral", "the SDK's own referrer tracking; Actions maps context.page.referrer "
                "(setOnce/setAlways) instead.")
    device_only("trackProductsOnce", "one Order Completed with a products array instead of Product Purchased "
                "events; Log Purchase always sends Product Purchased events.")
    device_only("trackSessionEvents", "the mobile SDK's [Session Started]/[Session Ended] events; Actions sends "
                "session_id only.", ("ios", "android"))
    device_only("enableLocationListening", "the Android SDK read GPS location; Actions maps "
                "context.location.latitude/longitude.", ("android",))
    if mode in ("web", "android") and not s["useLogRevenueV2"]:
        log("useLogRevenueV2", APPROX, "Classic used the deprecated logRevenue (v1) call; Actions sends revenue "
            "v2 fields on Log Purchase only: check revenue charts.")
    else:
        log.default_or("useLogRevenueV2", EXACT, "Actions sends revenue as v2 fields (Log Purchase).",
                       "on (catalog default): revenue v2, as Actions sends it.")
    if s["appendFieldsToEventProps"] and web:
        log("appendFieldsToEventProps", APPROX, "not applied automatically: add each field with "
            "event_properties = @merge [$.properties, {name: @path}] (see recommendations).")
    else:
        log.default_or("appendFieldsToEventProps", NOT_MIGRATABLE, "web device-mode only; no effect in this mode.",
                       "empty: nothing to append.")
    if s["mapQueryParams"] and mode in ("cloud", "web"):
        log("mapQueryParams", NOT_MIGRATABLE, "no Actions setting; the raw context.page.search string could be "
            "added with an @merge on event_properties/user_properties, but the per-call rules (first key only in "
            "cloud, last-entry type on web) cannot be expressed. Properties named after these keys stop arriving.")
    else:
        log.default_or("mapQueryParams", NOT_MIGRATABLE, f"not read in {mode} mode.", "empty: no query params mapped.")
    if cloud:
        log("useCustomAmplitudeProperties", EXACT,
            "on: language/country stay in event properties, as Actions keeps them." if s["useCustomAmplitudeProperties"]
            else "off: Classic removed language/country from event properties; event_properties is an @merge that "
            "removes those two keys.")
    else:
        log.default_or("useCustomAmplitudeProperties", NOT_MIGRATABLE, f"cloud mode only; no effect in {mode}.",
                       "off; cloud mode only.")
    if cloud or web:
        log("trackUtmProperties", EXACT if s["trackUtmProperties"] else EXACT,
            "on: UTM user properties from context.campaign ($set utm_*, $setOnce initial_utm_*) as in the presets."
            if s["trackUtmProperties"] else "off: the utm entries are removed from setOnce/setAlways/utm_properties.")
    else:
        log("trackUtmProperties", EXACT, f"not read in {mode} device-mode: the utm entries are removed.")
    if web:
        log("trackReferrer", APPROX if s["trackReferrer"] else EXACT,
            "on: referrer and initial_referrer user properties from context.page.referrer on every event (Classic "
            "sent them with a separate identify on page calls, from document.referrer)." if s["trackReferrer"]
            else "off: referrer entries removed from setOnce/setAlways/referrer.")
    else:
        log("trackReferrer", EXACT, f"web device-mode only: Classic {mode} never sent referrer user properties, so "
            "the referrer entries are removed from the Actions mappings.")
    if s["versionName"] and web:
        log("versionName", EXACT, f"app_version set to the literal {s['versionName']!r} on every subscription.")
    else:
        log.default_or("versionName", NOT_MIGRATABLE, f"web device-mode only; no effect in {mode} mode.",
                       "empty: app_version from context.app.version.")


def to_public_api(subscriptions: list[dict]) -> list[dict]:
    """The subscriptions in the Segment Public API shape (name, actionSlug, trigger, enabled, settings)."""
    return [
        {"name": s["name"], "actionSlug": s["partnerAction"], "trigger": s["subscribe"],
         "enabled": s.get("enabled", True), "settings": s["mapping"]}
        for s in subscriptions
    ]
