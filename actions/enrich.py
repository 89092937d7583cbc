"""Helpers the actions' perform functions share: UTM and referrer user properties, the $set-aware merge,
platform normalisation, the `library` value, user-agent layers and time conversions.

Each follows the destination's helper of the same name (`utm.ts`, `referrer.ts`, `merge-user-properties.ts`,
`compact.ts`, `user-agent.ts`, `convert-timestamp.ts`), including JavaScript truthiness and spread rules,
because those decide which keys reach Amplitude and in which order.
"""

from __future__ import annotations

import calendar
import math
import re
from functools import lru_cache

from .jsjson import UNDEFINED

__all__ = [
    "truthy",
    "js_spread",
    "omit",
    "convert_utm_properties",
    "convert_referrer_property",
    "merge_user_properties",
    "compact",
    "normalize_platform",
    "library_value",
    "user_agent_layer",
    "event_time",
    "session_time",
    "js_round",
    "js_multiply",
    "UA_KEYS",
]

UA_KEYS = ("os_name", "os_version", "device_manufacturer", "device_model", "device_type")


def truthy(value) -> bool:
    """JavaScript truthiness: objects and arrays are truthy even when empty."""
    cls = value.__class__
    if cls is str:
        return value != ""
    if cls is bool:
        return value
    if cls is dict or cls is list:
        return True
    if value is None or value is UNDEFINED:
        return False
    if isinstance(value, (dict, list)):
        return True
    if isinstance(value, float):
        return value != 0 and value == value
    return bool(value)


def js_spread(value) -> dict:
    """What `{...value}` copies: own enumerable keys; strings and arrays spread their indexes."""
    if isinstance(value, dict):
        return value
    if isinstance(value, (list, str)):
        return {str(i): item for i, item in enumerate(value)}
    return {}


def omit(obj: dict, keys) -> dict:
    return {k: v for k, v in obj.items() if k not in keys}


def convert_utm_properties(payload: dict) -> dict:
    """`utm_properties` -> {$set: {k: v}, $setOnce: {initial_k: v}} (no filtering at all)."""
    utm = payload.get("utm_properties", UNDEFINED)
    if not truthy(utm):
        return {}
    set_, set_once = {}, {}
    for key, value in js_spread(utm).items():
        set_[key] = value
        set_once[f"initial_{key}"] = value
    return {"$set": set_, "$setOnce": set_once}


def convert_referrer_property(payload: dict) -> dict:
    referrer = payload.get("referrer", UNDEFINED)
    if not truthy(referrer):
        return {}
    return {"$set": {"referrer": referrer}, "$setOnce": {"initial_referrer": referrer}}


def merge_user_properties(*objects: dict) -> dict:
    """Left-to-right shallow merge in which `$set` and `$setOnce` merge one level deeper."""
    prev: dict = {}
    for cur in objects:
        prev_set, cur_set = prev.get("$set", UNDEFINED), cur.get("$set", UNDEFINED)
        prev_once, cur_once = prev.get("$setOnce", UNDEFINED), cur.get("$setOnce", UNDEFINED)
        has_set = truthy(prev_set) or truthy(cur_set)
        has_once = truthy(prev_once) or truthy(cur_once)
        merged = {**prev, **cur}
        if has_set:
            merged["$set"] = {**js_spread(prev_set), **js_spread(cur_set)}
        if has_once:
            merged["$setOnce"] = {**js_spread(prev_once), **js_spread(cur_once)}
        prev = merged
    return prev


def compact(obj) -> bool:
    """True when the object has a value other than the empty string (null, 0, false count)."""
    for v in (obj if obj.__class__ is dict else js_spread(obj)).values():
        if not (isinstance(v, str) and v == ""):
            return True
    return False


# JS `/ios/i` without the u flag only folds ASCII letters onto these ASCII patterns.
_IOS = re.compile("ios", re.IGNORECASE | re.ASCII)
_ANDROID = re.compile("android", re.IGNORECASE | re.ASCII)


_PLATFORMS: dict = {}  # platform value -> normalised value (a few distinct values in practice)


def normalized_platform(platform: str) -> str:
    """`normalize_platform` of a string platform (remembered per value)."""
    out = _PLATFORMS.get(platform)
    if out is None:
        out = _ANDROID.sub("Android", _IOS.sub("iOS", platform, count=1), count=1)
        if len(_PLATFORMS) < 1024:
            _PLATFORMS[platform] = out
    return out


def normalize_platform(properties: dict, library) -> None:
    """First `ios` -> `iOS`, first `android` -> `Android`; `Web` for analytics.js without a platform."""
    platform = properties.get("platform", UNDEFINED)
    if truthy(platform):
        if platform.__class__ is str:
            platform = normalized_platform(platform)
        else:
            platform = _ANDROID.sub("Android", _IOS.sub("iOS", platform, count=1), count=1)
        properties["platform"] = platform
    if library == "analytics.js" and not truthy(platform):
        properties["platform"] = "Web"


def library_value(library2):
    """`library` sent to Amplitude: the mapped value with behavior use_mapping, else 'segment'."""
    if isinstance(library2, dict) and library2.get("behavior") == "use_mapping":
        return library2.get("mapping", UNDEFINED)
    return "segment"


_PARSE_UA = None
_CURRENT_BUILD = None


def _parser():
    global _PARSE_UA
    if _PARSE_UA is None:
        from .user_agent import parse_user_agent_properties

        _PARSE_UA = parse_user_agent_properties
    return _PARSE_UA


def _build_getter():
    """The function giving the runtime build modelled now, imported once: the context variable's own `get`,
    which `user_agent.current_build` returns (one Python call less per event)."""
    global _CURRENT_BUILD
    if _CURRENT_BUILD is None:
        from .user_agent import _BUILD

        _CURRENT_BUILD = _BUILD.get
    return _CURRENT_BUILD


@lru_cache(maxsize=4096)
def _parsed_user_agent(user_agent: str, model, platform_version, build: str) -> tuple[dict, bool]:
    data = {}
    if model is not UNDEFINED:
        data["model"] = model
    if platform_version is not UNDEFINED:
        data["platformVersion"] = platform_version
    parsed = _parser()(user_agent, data, build)
    # keep the five keys in the parser's order even when a value is undefined: a mapped field that fills
    # one later takes that position in the JSON text (the JS parser never yields null: None is undefined)
    layer = {key: parsed.get(key, UNDEFINED) for key in UA_KEYS}
    for key, value in parsed.items():
        if key not in layer:
            layer[key] = value
    layer = {key: UNDEFINED if value is None else value for key, value in layer.items()}
    return layer, any(v is UNDEFINED for v in layer.values())


def user_agent_layer(payload: dict) -> tuple[dict, bool]:
    """The layers spread before the payload: parsed UA keys (when userAgentParsing) and `user_agent`
    (when includeRawUserAgent). Returns (layer, may_hold_undefined)."""
    get = payload.get
    user_agent = get("userAgent", UNDEFINED)
    layer: dict = {}
    holes = False
    parsing = get("userAgentParsing", UNDEFINED)
    if (
        (parsing is True or (parsing is not False and parsing is not UNDEFINED and truthy(parsing)))
        and (user_agent.__class__ is str and user_agent != "" or truthy(user_agent))
    ):
        build = (_CURRENT_BUILD or _build_getter())()
        uad = get("userAgentData", UNDEFINED)
        if isinstance(uad, dict):
            key = (user_agent, uad.get("model", UNDEFINED), uad.get("platformVersion", UNDEFINED), build)
        else:
            key = (user_agent, UNDEFINED, UNDEFINED, build)
        try:
            cached, holes = _parsed_user_agent(*key)
        except TypeError:  # unhashable user agent data: parse without the cache
            cached, holes = _parsed_user_agent.__wrapped__(*key)
        layer = cached
    raw = get("includeRawUserAgent", UNDEFINED)
    if raw is True or (raw is not False and raw is not UNDEFINED and truthy(raw)):
        if user_agent is UNDEFINED:
            holes = True
        layer = {**layer, "user_agent": user_agent}
    return layer, holes


_DAYJS = None


def _dayjs():
    global _DAYJS
    if _DAYJS is None:
        from . import dayjs

        _DAYJS = dayjs
    return _DAYJS


# The usual Segment timestamp, restricted so that it is valid in every reading (days 1-28, years 1970-2999):
# its epoch ms is plain arithmetic, which skips the general date parser on the hot path.
_PLAIN_ISO_UTC = re.compile(
    r"(19[7-9]\d|2\d{3})-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.(\d{3}))?Z"
)


_MINUTE_MS: dict = {}  # "YYYY-MM-DDTHH:MM" -> epoch ms of that minute (UTC); cleared when full
_LAST_PLAIN = [None]  # the last string `is_plain_iso` found plain (held here, so the same object is that string)


def is_plain_iso(value: str) -> bool:
    """Whether `value` is a plain `YYYY-MM-DDTHH:MM:SS(.sss)Z` timestamp; the last one found is remembered,
    so that `plain_iso_ms` of that same string (the payload's `time`, tested when the payload was prepared)
    does not match it again."""
    if _PLAIN_ISO_UTC.fullmatch(value) is None:
        return False
    _LAST_PLAIN[0] = value
    return True


def plain_iso_ms(value: str):
    """Epoch ms of a plain `YYYY-MM-DDTHH:MM:SS(.sss)Z` timestamp, or None for anything else."""
    if value is not _LAST_PLAIN[0] and _PLAIN_ISO_UTC.fullmatch(value) is None:
        return None
    # the pattern fixes every position: date at 0-9, hours and minutes at 11-15, seconds at 17-18,
    # milliseconds (if any) at 20-22; the minute's ms are remembered (events of a stream share minutes)
    minute = _MINUTE_MS.get(value[:16])
    if minute is None:
        minute = calendar.timegm(
            (int(value[:4]), int(value[5:7]), int(value[8:10]), int(value[11:13]), int(value[14:16]), 0)
        ) * 1000
        if len(_MINUTE_MS) >= 4096:
            _MINUTE_MS.clear()
        _MINUTE_MS[value[:16]] = minute
    if len(value) == 24:  # seconds and exactly three digits of milliseconds: SSsss is their count of ms
        return minute + int(value[17:19] + value[20:23])
    return minute + int(value[17:19]) * 1000


def event_time(value):
    """`time` -> epoch ms when truthy and dayjs-valid, else UNDEFINED (the key is left out)."""
    if not truthy(value):
        return UNDEFINED
    if value.__class__ is str:
        fast = plain_iso_ms(value)
        if fast is not None:
            return fast
    ms = _dayjs().utc_ms(value)  # isValid() is exactly "valueOf() is not NaN"
    if ms != ms:
        return UNDEFINED
    return _int_if_integral(ms)


_SESSIONS: dict = {}  # string session_id -> session_time of it (session ids repeat over a session's events)


def session_time(value):
    """`session_id` -> formatSessionId(value) when truthy and dayjs-valid, else UNDEFINED."""
    cls = value.__class__
    if cls is int and 0 < abs(value) <= 8_640_000_000_000_000:  # epoch ms within the Date range: itself
        return value
    if cls is str:
        out = _SESSIONS.get(value)
        if out is None:
            out = _session_time(value)
            if len(_SESSIONS) < 4096:
                _SESSIONS[value] = out
        return out
    return _session_time(value)


def _session_time(value):
    if not truthy(value):
        return UNDEFINED
    dj = _dayjs()
    ms = dj.utc_ms(value)
    if ms != ms:
        return UNDEFINED
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return _int_if_integral(dj.format_session_id(value))
    return _int_if_integral(ms)  # formatSessionId is dayjs.utc(value).valueOf() for everything else


def _int_if_integral(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def js_round(value):
    """Math.round: halves go up (towards +Infinity)."""
    if isinstance(value, int) or not math.isfinite(value):
        return value
    return _int_if_integral(float(math.floor(value + 0.5)))


def js_multiply(a, b):
    """a * b with IEEE doubles, as JavaScript computes it."""
    if isinstance(a, int) and isinstance(b, int):
        product = a * b
        if -(2**53) <= product <= 2**53:
            return product
    return _int_if_integral(float(a) * float(b))
