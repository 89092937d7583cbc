"""Log Event (`logEvent`): one Amplitude event per Segment event, HTTP API v2 or batch endpoint."""

from __future__ import annotations

from . import fields as F
from .enrich import (
    _PLATFORMS,
    convert_referrer_property,
    convert_utm_properties,
    event_time,
    library_value,
    merge_user_properties,
    normalize_platform,
    normalized_platform,
    omit,
    plain_iso_ms,
    session_time,
    truthy,
    user_agent_layer,
)
from .framework import event_request
from .jsjson import UNDEFINED

SLUG = "logEvent"
TITLE = "Log Event"
DESCRIPTION = "Send an event to Amplitude."
DEFAULT_SUBSCRIPTION = 'type = "track"'

FIELDS: dict[str, dict] = {
    **F.EVENT_SCHEMA,
    "products": F.PRODUCTS,
    "use_batch_endpoint": F.USE_BATCH_ENDPOINT,
    "userAgent": F.USER_AGENT,
    "userAgentParsing": F.USER_AGENT_PARSING,
    "includeRawUserAgent": F.INCLUDE_RAW_USER_AGENT,
    "utm_properties": F.UTM_PROPERTIES,
    "referrer": F.REFERRER,
    "min_id_length": F.MIN_ID_LENGTH,
    "userAgentData": F.USER_AGENT_DATA,
}

REVENUE_KEYS = frozenset(("revenue", "price", "productId", "quantity", "revenueType"))
# consumed by perform itself; everything else in the payload is copied into the event
_LOCAL_KEYS = frozenset(
    (
        "time",
        "session_id",
        "userAgent",
        "userAgentParsing",
        "includeRawUserAgent",
        "userAgentData",
        "utm_properties",
        "referrer",
        "min_id_length",
        "library",
        "library2",
    )
)
_DROPPED = REVENUE_KEYS | _LOCAL_KEYS


def event_properties(payload: dict, dropped: frozenset = _DROPPED) -> dict:
    """The payload minus the consumed keys, with platform, time and session_id settled (shared by
    logEvent and logPurchase). The usual values (a non-empty platform string or none, a plain ISO time, a
    positive integer session_id, no UTM or referrer) take inline steps; anything else the helpers of
    `enrich`."""
    if payload.__class__ is dict:  # a copy without the consumed keys: the same keys in the same order
        properties = payload.copy()
        for key in dropped.intersection(payload):
            del properties[key]
    else:
        properties = {k: v for k, v in payload.items() if k not in dropped}
    get = payload.get
    platform = properties.get("platform", UNDEFINED)
    if platform.__class__ is str and platform:
        properties["platform"] = _PLATFORMS.get(platform) or normalized_platform(platform)
    elif platform is UNDEFINED:  # (what `normalize_platform` does without a platform)
        if get("library", UNDEFINED) == "analytics.js":
            properties["platform"] = "Web"
    else:
        normalize_platform(properties, get("library", UNDEFINED))
    time = get("time", UNDEFINED)
    if time is not UNDEFINED:
        ms = plain_iso_ms(time) if time.__class__ is str else None
        if ms is None:
            ms = event_time(time)
        if ms is not UNDEFINED:
            properties["time"] = ms
    session = get("session_id", UNDEFINED)
    if session.__class__ is int and 0 < session <= 8_640_000_000_000_000:  # `session_time`'s first case
        properties["session_id"] = session
    elif session is not UNDEFINED:
        session = session_time(session)
        if session is not UNDEFINED:
            properties["session_id"] = session
    utm = get("utm_properties", UNDEFINED)
    referrer = get("referrer", UNDEFINED)
    if (utm is not UNDEFINED or referrer is not UNDEFINED) and (
        (isinstance(utm, dict) and utm) or truthy(referrer)
    ):
        user_properties = properties.get("user_properties", UNDEFINED)
        properties["user_properties"] = merge_user_properties(
            convert_utm_properties(payload),
            convert_referrer_property(payload),
            omit(user_properties if isinstance(user_properties, dict) else {}, ("utm_properties", "referrer")),
        )
    return properties


def options_of(payload: dict):
    n = payload.get("min_id_length", UNDEFINED)
    if truthy(n) and n > 0:
        return {"min_id_length": n}
    return UNDEFINED


def build_event(layer: dict, holes: bool, properties: dict, tail: dict, library) -> dict:
    """{...userAgentLayer, ...properties, ...tail, library}; undefined values left out."""
    event = {**layer, **properties, **tail} if layer or tail else dict(properties)
    if library is not UNDEFINED:
        event["library"] = library
    elif "library" in event:  # a key set to undefined disappears from the JSON
        del event["library"]
    if holes:
        event = {k: v for k, v in event.items() if v is not UNDEFINED}
    return event


def perform(payload: dict, settings: dict, ctx=None) -> list[dict]:
    properties = event_properties(payload)
    layer, holes = user_agent_layer(payload)
    event = build_event(layer, holes, properties, {}, library_value(payload.get("library2", UNDEFINED)))
    return [event_request(settings, payload, [event], options_of(payload))]
