"""Identify User (`identifyUser`): user properties to Amplitude's Identify API as a form with one
`identification` JSON object. Used by the Identify preset."""

from __future__ import annotations

from .enrich import (
    convert_referrer_property,
    convert_utm_properties,
    merge_user_properties,
    normalize_platform,
    omit,
    truthy,
    user_agent_layer,
)
from . import fields
from .fields import field
from .framework import form_request
from .jsjson import UNDEFINED, dumps
from .endpoints import endpoint_for

SLUG = "identifyUser"
TITLE = "Identify User"
DESCRIPTION = (
    "Set the user ID for a particular device ID or update user properties without sending an event to Amplitude."
)
DEFAULT_SUBSCRIPTION = 'type = "identify"'

FIELDS: dict[str, dict] = {
    'user_id': field(
        'User ID',
        'string',
        allow_null=True,
        description='A UUID (unique user ID) specified by you. **Note:** If you send a request with a user ID that is not in the Amplitude system yet, then the user tied to that ID will not be marked new until their first event. Required unless device ID is present.',
        default={'@path': '$.userId'},
    ),
    'device_id': field(
        'Device ID',
        'string',
        description='A device specific identifier, such as the Identifier for Vendor (IDFV) on iOS. Required unless user ID is present.',
        default={
            '@if': {
                'exists': {'@path': '$.context.device.id'},
                'then': {'@path': '$.context.device.id'},
                'else': {'@path': '$.anonymousId'},
            },
        },
    ),
    'user_properties': field(
        'User Properties',
        'object',
        description='Additional data tied to the user in Amplitude. Each distinct value will show up as a user segment on the Amplitude dashboard. Object depth may not exceed 40 layers. **Note:** You can store property values in an array and date values are transformed into string values.',
        default={'@path': '$.traits'},
    ),
    'groups': field(
        'Groups',
        'object',
        description="Groups of users for Amplitude's account-level reporting feature. Note: You can only track up to 5 groups. Any groups past that threshold will not be tracked. **Note:** This feature is only available to Amplitude Enterprise customers who have purchased the Amplitude Accounts add-on.",
    ),
    'app_version': field(
        'App Version',
        'string',
        description='Version of the app the user is on.',
        default={'@path': '$.context.app.version'},
    ),
    'platform': field(
        'Platform',
        'string',
        description="The platform of the user's device.",
        default={'@path': '$.context.device.type'},
    ),
    'os_name': field(
        'OS Name',
        'string',
        description="The mobile operating system or browser of the user's device.",
        default={'@path': '$.context.os.name'},
    ),
    'os_version': field(
        'OS Version',
        'string',
        description="The version of the mobile operating system or browser of the user's device.",
        default={'@path': '$.context.os.version'},
    ),
    'device_brand': field(
        'Device Brand',
        'string',
        description="The brand of user's the device.",
        default={'@path': '$.context.device.brand'},
    ),
    'device_manufacturer': field(
        'Device Manufacturer',
        'string',
        description="The manufacturer of the user's device.",
        default={'@path': '$.context.device.manufacturer'},
    ),
    'device_model': field(
        'Device Model',
        'string',
        description="The model of the user's device.",
        default={'@path': '$.context.device.model'},
    ),
    'carrier': field(
        'Carrier',
        'string',
        description="The user's mobile carrier.",
        default={'@path': '$.context.network.carrier'},
    ),
    'country': field(
        'Country',
        'string',
        description='The country in which the user is located.',
        default={'@path': '$.context.location.country'},
    ),
    'region': field(
        'Region',
        'string',
        description='The geographical region in which the user is located.',
        default={'@path': '$.context.location.region'},
    ),
    'city': field(
        'City',
        'string',
        description='The city in which the user is located.',
        default={'@path': '$.context.location.city'},
    ),
    'dma': field(
        'Designated Market Area',
        'string',
        description='The Designated Market Area in which the user is located.',
    ),
    'language': field(
        'Language',
        'string',
        description='Language the user has set on their device or browser.',
        default={'@path': '$.context.locale'},
    ),
    'paying': field(
        'Is Paying',
        'boolean',
        description='Whether the user is paying or not.',
    ),
    'start_version': field(
        'Initial Version',
        'string',
        description='The version of the app the user was first on.',
    ),
    'insert_id': field(
        'Insert ID',
        'string',
        description='Amplitude will deduplicate subsequent events sent with this ID we have already seen before within the past 7 days. Amplitude recommends generating a UUID or using some combination of device ID, user ID, event type, event ID, and time.',
    ),
    'userAgent': fields.USER_AGENT,
    'userAgentParsing': fields.USER_AGENT_PARSING,
    'includeRawUserAgent': fields.INCLUDE_RAW_USER_AGENT,
    'utm_properties': fields.UTM_PROPERTIES,
    'referrer': fields.REFERRER,
    'min_id_length': field(
        'Minimum ID Length',
        'integer',
        description='Amplitude has a default minimum id length of 5 characters for user_id and device_id fields. This field allows the minimum to be overridden to allow shorter id lengths.',
        allow_null=True,
    ),
    'library': field(
        'Library',
        'string',
        description='The name of the library that generated the event.',
        default={'@path': '$.context.library.name'},
    ),
    'userAgentData': fields.USER_AGENT_DATA,
}

_DROPPED = frozenset(
    (
        "utm_properties",
        "referrer",
        "userAgent",
        "userAgentParsing",
        "includeRawUserAgent",
        "userAgentData",
        "min_id_length",
        "library",
    )
)


def min_id_length_option(payload: dict):
    """The form field `options`: JSON text when min_id_length > 0, else undefined."""
    n = payload.get("min_id_length", UNDEFINED)
    if truthy(n) and n > 0:
        return dumps({"min_id_length": n})
    return UNDEFINED


def perform(payload: dict, settings: dict, ctx=None) -> list[dict]:
    if payload.__class__ is dict:  # a copy without the consumed keys: the same keys in the same order
        properties = payload.copy()
        for key in _DROPPED.intersection(payload):
            del properties[key]
    else:
        properties = {k: v for k, v in payload.items() if k not in _DROPPED}
    normalize_platform(properties, payload.get("library", UNDEFINED))
    utm = payload.get("utm_properties", UNDEFINED)
    if (isinstance(utm, dict) and utm) or truthy(payload.get("referrer", UNDEFINED)):
        # traits first here (logEvent puts them last): generated $set/$setOnce values win
        user_properties = properties.get("user_properties", UNDEFINED)
        properties["user_properties"] = merge_user_properties(
            omit(user_properties if isinstance(user_properties, dict) else {}, ("utm_properties", "referrer")),
            convert_utm_properties(payload),
            convert_referrer_property(payload),
        )
    layer, _ = user_agent_layer(payload)
    identification = {**layer, **properties, "library": "segment"}
    return [
        form_request(
            endpoint_for("identify", settings.get("endpoint", UNDEFINED)),
            {
                "api_key": settings.get("apiKey", UNDEFINED),
                "identification": dumps(identification),
                "options": min_id_length_option(payload),
            },
        )
    ]
