"""Log Event V2 (`logEventV2`): like Log Event, but user properties come from the setOnce / setAlways / add
fields ($setOnce, $set, $add), replacing any the traits carried. Used by the Track, Page and Screen presets."""

from __future__ import annotations

from . import fields as F
from .enrich import compact, truthy, user_agent_layer
from .fields import field
from .framework import api_request as event_request
from .jsjson import UNDEFINED
from .log_event import REVENUE_KEYS, event_properties

SLUG = "logEventV2"
TITLE = "Log Event V2"
DESCRIPTION = "Send an event to Amplitude"
DEFAULT_SUBSCRIPTION = 'type = "track"'

FIELDS: dict[str, dict] = {
    **F.EVENT_SCHEMA,
    "products": F.PRODUCTS,
    'setOnce': field(
        'Set Once',
        'object',
        description='The following fields will only be set as user properties if they do not already have a value.',
        additional_properties=True,
        properties={
            'initial_referrer': field(
                'Initial Referrer',
                'string',
                description='The referrer of the web request.',
            ),
            'initial_utm_source': field(
                'Initial UTM Source',
                'string',
            ),
            'initial_utm_medium': field(
                'Initial UTM Medium',
                'string',
            ),
            'initial_utm_campaign': field(
                'Initial UTM Campaign',
                'string',
            ),
            'initial_utm_term': field(
                'Initial UTM Term',
                'string',
            ),
            'initial_utm_content': field(
                'Initial UTM Content',
                'string',
            ),
        },
        default={
            'initial_referrer': {'@path': '$.context.page.referrer'},
            'initial_utm_source': {'@path': '$.context.campaign.source'},
            'initial_utm_medium': {'@path': '$.context.campaign.medium'},
            'initial_utm_campaign': {'@path': '$.context.campaign.name'},
            'initial_utm_term': {'@path': '$.context.campaign.term'},
            'initial_utm_content': {'@path': '$.context.campaign.content'},
        },
    ),
    'setAlways': field(
        'Set Always',
        'object',
        description='The following fields will be set as user properties for every event.',
        additional_properties=True,
        properties={
            'referrer': field(
                'Referrer',
                'string',
            ),
            'utm_source': field(
                'UTM Source',
                'string',
            ),
            'utm_medium': field(
                'UTM Medium',
                'string',
            ),
            'utm_campaign': field(
                'UTM Campaign',
                'string',
            ),
            'utm_term': field(
                'UTM Term',
                'string',
            ),
            'utm_content': field(
                'UTM Content',
                'string',
            ),
        },
        default={
            'referrer': {'@path': '$.context.page.referrer'},
            'utm_source': {'@path': '$.context.campaign.source'},
            'utm_medium': {'@path': '$.context.campaign.medium'},
            'utm_campaign': {'@path': '$.context.campaign.name'},
            'utm_term': {'@path': '$.context.campaign.term'},
            'utm_content': {'@path': '$.context.campaign.content'},
        },
    ),
    'add': field(
        'Add',
        'object',
        description="Increment a user property by a number with add. If the user property doesn't have a value set yet, it's initialized to 0.",
        additional_properties=True,
        default_object_ui='keyvalue',
    ),
    "use_batch_endpoint": F.USE_BATCH_ENDPOINT,
    "userAgent": F.USER_AGENT,
    'userAgentParsing': field(
        'User Agent Parsing',
        'boolean',
        description='Enabling this setting will set the Device manufacturer, Device Model and OS Name properties based on the user agent string provided in the userAgent field.',
        default=True,
    ),
    "includeRawUserAgent": F.INCLUDE_RAW_USER_AGENT,
    'min_id_length': field(
        'Minimum ID Length',
        'integer',
        description='Amplitude has a default minimum id length of 5 characters for user_id and device_id fields. This field allows the minimum to be overridden to allow shorter id lengths.',
        allow_null=True,
    ),
    "userAgentData": F.USER_AGENT_DATA,
}

_DROPPED = REVENUE_KEYS | frozenset(
    (
        "time",
        "session_id",
        "userAgent",
        "userAgentParsing",
        "includeRawUserAgent",
        "userAgentData",
        "min_id_length",
        "library",
        "library2",
        "setOnce",
        "setAlways",
        "add",
    )
)
# no utm/referrer fields here: event_properties then never merges $set/$setOnce
_USER_PROPERTY_FIELDS = (("$setOnce", "setOnce"), ("$set", "setAlways"), ("$add", "add"))


def perform(payload: dict, settings: dict, ctx=None) -> list[dict]:
    # `compact`, `library_value`, `build_event`, `options_of` and `event_request` inline (one event per call)
    properties = event_properties(payload, _DROPPED)
    get = payload.get
    for name, key in _USER_PROPERTY_FIELDS:
        obj = get(key, UNDEFINED)
        if obj is UNDEFINED:
            continue
        if obj.__class__ is dict:
            for value in obj.values():
                if value != "" or not isinstance(value, str):
                    break
            else:
                continue  # nothing but empty strings (or nothing)
        elif not compact(obj):
            continue
        current = properties.get("user_properties", UNDEFINED)
        properties["user_properties"] = {**(current if isinstance(current, dict) else {}), name: obj}
    layer, holes = user_agent_layer(payload)
    event = {**layer, **properties} if layer else properties  # `properties` is this call's own dict
    library2 = get("library2", UNDEFINED)
    if isinstance(library2, dict) and library2.get("behavior") == "use_mapping":
        library = library2.get("mapping", UNDEFINED)
        if library is not UNDEFINED:
            event["library"] = library
        elif "library" in event:  # a key set to undefined disappears from the JSON
            del event["library"]
    else:
        event["library"] = "segment"
    if holes:
        event = {k: v for k, v in event.items() if v is not UNDEFINED}
    n = get("min_id_length", UNDEFINED)
    options = {"min_id_length": n} if n is not UNDEFINED and truthy(n) and n > 0 else UNDEFINED
    batch = get("use_batch_endpoint", UNDEFINED)
    if batch is False or batch is UNDEFINED:
        return [event_request(settings, "httpapi", [event], options)]
    return [event_request(settings, "batch" if truthy(batch) else "httpapi", [event], options)]
