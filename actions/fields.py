"""Field specifications: what each action field is, its type and its default mapping directive.

A field spec is a plain dict: `label`, `description`, `type` (string | number | integer | boolean | object |
datetime | password | text), `multiple`, `allow_null`, `required`, `choices`, `properties` (nested specs),
`additional_properties`, and `default` (a mapping directive or literal) only when the field has one.
The blocks below are the destination's shared definitions (`event-schema.ts`, `properties.ts` and the fields
the three event actions repeat); the actions spread them in the destination's order.
"""

from __future__ import annotations

__all__ = [
    "field",
    "default_values",
    "EVENT_SCHEMA",
    "PRODUCTS",
    "USE_BATCH_ENDPOINT",
    "USER_AGENT",
    "USER_AGENT_PARSING",
    "INCLUDE_RAW_USER_AGENT",
    "UTM_PROPERTIES",
    "REFERRER",
    "MIN_ID_LENGTH",
    "USER_AGENT_DATA",
]

_NO_DEFAULT = object()


def field(
    label: str,
    type: str,
    *,
    description: str | None = None,
    default=_NO_DEFAULT,
    multiple: bool = False,
    allow_null: bool = False,
    required: bool = False,
    choices: list | None = None,
    properties: dict | None = None,
    additional_properties: bool = False,
    **ui,
) -> dict:
    """One field spec; `ui` keeps presentation-only keys (hidden flags, object UI, depends_on)."""
    spec = {
        "label": label,
        "description": description,
        "type": type,
        "multiple": multiple,
        "allow_null": allow_null,
        "required": required,
        "choices": choices,
        "properties": properties,
        "additional_properties": additional_properties,
    }
    if default is not _NO_DEFAULT:
        spec["default"] = default
    if ui:
        spec["ui"] = ui
    return spec


def default_values(fields: dict) -> dict:
    """Every field that has a default, mapped to it, in field order (what presets use)."""
    return {key: spec["default"] for key, spec in fields.items() if "default" in spec}


EVENT_SCHEMA: dict[str, dict] = {
    'user_id': field(
        'User ID',
        'string',
        allow_null=True,
        description='A readable ID specified by you. Must have a minimum length of 5 characters. Required unless device ID is present. **Note:** If you send a request with a user ID that is not in the Amplitude system yet, then the user tied to that ID will not be marked new until their first event.',
        default={'@path': '$.userId'},
    ),
    'device_id': field(
        'Device ID',
        'string',
        description='A device-specific identifier, such as the Identifier for Vendor on iOS. Required unless user ID is present. If a device ID is not sent with the event, it will be set to a hashed version of the user ID.',
        default={
            '@if': {
                'exists': {'@path': '$.context.device.id'},
                'then': {'@path': '$.context.device.id'},
                'else': {'@path': '$.anonymousId'},
            },
        },
    ),
    'event_type': field(
        'Event Type',
        'string',
        description='A unique identifier for your event.',
        required=True,
        default={'@path': '$.event'},
    ),
    'session_id': field(
        'Session ID',
        'datetime',
        description='The start time of the session, necessary if you want to associate events with a particular system. To use automatic Amplitude session tracking in browsers, enable Analytics 2.0 on your connected source.',
        default={'@path': '$.integrations.Actions Amplitude.session_id'},
    ),
    'time': field(
        'Timestamp',
        'datetime',
        description='The timestamp of the event. If time is not sent with the event, it will be set to the request upload time.',
        default={'@path': '$.timestamp'},
    ),
    'event_properties': field(
        'Event Properties',
        'object',
        description='An object of key-value pairs that represent additional data to be sent along with the event. You can store property values in an array, but note that Amplitude only supports one-dimensional arrays. Date values are transformed into string values. Object depth may not exceed 40 layers.',
        default={'@path': '$.properties'},
    ),
    'user_properties': field(
        'User Properties',
        'object',
        description='An object of key-value pairs that represent additional data tied to the user. You can store property values in an array, but note that Amplitude only supports one-dimensional arrays. Date values are transformed into string values. Object depth may not exceed 40 layers.',
        default={'@path': '$.traits'},
    ),
    'groups': field(
        'Groups',
        'object',
        description='Groups of users for the event as an event-level group. You can only track up to 5 groups. **Note:** This Amplitude feature is only available to Enterprise customers who have purchased the Accounts add-on.',
    ),
    'app_version': field(
        'App Version',
        'string',
        description='The current version of your application.',
        default={'@path': '$.context.app.version'},
    ),
    'platform': field(
        'Platform',
        'string',
        description='Platform of the device. If using analytics.js to send events from a Browser and no if no Platform value is provided, the value "Web" will be sent.',
        default={'@path': '$.context.device.type'},
    ),
    'os_name': field(
        'OS Name',
        'string',
        description='The name of the mobile operating system or browser that the user is using.',
        default={'@path': '$.context.os.name'},
    ),
    'os_version': field(
        'OS Version',
        'string',
        description='The version of the mobile operating system or browser the user is using.',
        default={'@path': '$.context.os.version'},
    ),
    'device_brand': field(
        'Device Brand',
        'string',
        description='The device brand that the user is using.',
        default={'@path': '$.context.device.brand'},
    ),
    'device_manufacturer': field(
        'Device Manufacturer',
        'string',
        description='The device manufacturer that the user is using.',
        default={'@path': '$.context.device.manufacturer'},
    ),
    'device_model': field(
        'Device Model',
        'string',
        description='The device model that the user is using.',
        default={'@path': '$.context.device.model'},
    ),
    'carrier': field(
        'Carrier',
        'string',
        description='The carrier that the user is using.',
        default={'@path': '$.context.network.carrier'},
    ),
    'country': field(
        'Country',
        'string',
        description='The current country of the user.',
        default={'@path': '$.context.location.country'},
    ),
    'region': field(
        'Region',
        'string',
        description='The current region of the user.',
        default={'@path': '$.context.location.region'},
    ),
    'city': field(
        'City',
        'string',
        description='The current city of the user.',
        default={'@path': '$.context.location.city'},
    ),
    'dma': field(
        'Designated Market Area',
        'string',
        description='The current Designated Market Area of the user.',
    ),
    'language': field(
        'Language',
        'string',
        description='The language set by the user.',
        default={'@path': '$.context.locale'},
    ),
    'price': field(
        'Price',
        'number',
        description='The price of the item purchased. Required for revenue data if the revenue field is not sent. You can use negative values to indicate refunds.',
        default={'@path': '$.properties.price'},
    ),
    'quantity': field(
        'Quantity',
        'integer',
        description='The quantity of the item purchased. Defaults to 1 if not specified.',
        default={'@path': '$.properties.quantity'},
    ),
    'revenue': field(
        'Revenue',
        'number',
        description='Revenue = price * quantity. If you send all 3 fields of price, quantity, and revenue, then (price * quantity) will be used as the revenue value. You can use negative values to indicate refunds. **Note:** You will need to explicitly set this if you are using the Amplitude in cloud-mode.',
        default={'@path': '$.properties.revenue'},
    ),
    'productId': field(
        'Product ID',
        'string',
        description='An identifier for the item purchased. You must send a price and quantity or revenue with this field.',
        default={'@path': '$.properties.productId'},
    ),
    'revenueType': field(
        'Revenue Type',
        'string',
        description='The type of revenue for the item purchased. You must send a price and quantity or revenue with this field.',
        default={'@path': '$.properties.revenueType'},
    ),
    'location_lat': field(
        'Latitude',
        'number',
        description='The current Latitude of the user.',
        default={'@path': '$.context.location.latitude'},
    ),
    'location_lng': field(
        'Longtitude',
        'number',
        description='The current Longitude of the user.',
        default={'@path': '$.context.location.longitude'},
    ),
    'ip': field(
        'IP Address',
        'string',
        description='The IP address of the user. Use "$remote" to use the IP address on the upload request. Amplitude will use the IP address to reverse lookup a user\'s location (city, country, region, and DMA). Amplitude has the ability to drop the location and IP address from events once it reaches our servers. You can submit a request to Amplitude\'s platform specialist team here to configure this for you.',
        default={'@path': '$.context.ip'},
    ),
    'idfa': field(
        'Identifier For Advertiser (IDFA)',
        'string',
        description='Identifier for Advertiser. _(iOS)_',
        default={
            '@if': {
                'exists': {'@path': '$.context.device.advertisingId'},
                'then': {'@path': '$.context.device.advertisingId'},
                'else': {'@path': '$.context.device.idfa'},
            },
        },
    ),
    'idfv': field(
        'Identifier For Vendor (IDFV)',
        'string',
        description='Identifier for Vendor. _(iOS)_',
        default={'@path': '$.context.device.id'},
    ),
    'adid': field(
        'Google Play Services Advertising ID',
        'string',
        description='Google Play Services advertising ID. _(Android)_',
        default={
            '@if': {
                'exists': {'@path': '$.context.device.advertisingId'},
                'then': {'@path': '$.context.device.advertisingId'},
                'else': {'@path': '$.context.device.idfa'},
            },
        },
    ),
    'android_id': field(
        'Android ID',
        'string',
        description='Android ID (not the advertising ID). _(Android)_',
    ),
    'event_id': field(
        'Event ID',
        'integer',
        description='An incrementing counter to distinguish events with the same user ID and timestamp from each other. Amplitude recommends you send an event ID, increasing over time, especially if you expect events to occur simultanenously.',
    ),
    'insert_id': field(
        'Insert ID',
        'string',
        description='Amplitude will deduplicate subsequent events sent with this ID we have already seen before within the past 7 days. Amplitude recommends generating a UUID or using some combination of device ID, user ID, event type, event ID, and time.',
    ),
    'library': field(
        'HIDDEN: Library',
        'string',
        description='HIDDEN: The name of the library that generated the event.',
        unsafe_hidden=True,
        default={'@path': '$.context.library.name'},
    ),
    'library2': field(
        'Library Settings',
        'object',
        description='Specifies the "library" value to send to Amplitude. Select "Use Mapping" to set the value from the "Library Mapping" field. "Legacy Behaviour" sets the value to "segment".',
        default_object_ui='keyvalue',
        properties={
            'behavior': field(
                'Behavior',
                'string',
                description='Configure how to set the library value.',
                choices=[
                    {'label': 'Auto', 'value': 'auto'},
                    {'label': 'Use Mapping', 'value': 'use_mapping'},
                ],
            ),
            'mapping': field(
                'Library Mapping',
                'string',
                description='The library value to send to Amplitude. Only used when the "Behavior" field is set to "Use Mapping".',
            ),
        },
        default={'behavior': 'use_mapping', 'mapping': {'@path': '$.context.library.name'}},
    ),
}


PRODUCTS = field(
    'Products',
    'object',
    description='The list of products purchased.',
    multiple=True,
    additional_properties=True,
    properties={
        'price': field(
            'Price',
            'number',
            description='The price of the item purchased. Required for revenue data if the revenue field is not sent. You can use negative values to indicate refunds.',
        ),
        'quantity': field(
            'Quantity',
            'integer',
            description='The quantity of the item purchased. Defaults to 1 if not specified.',
        ),
        'revenue': field(
            'Revenue',
            'number',
            description='Revenue = price * quantity. If you send all 3 fields of price, quantity, and revenue, then (price * quantity) will be used as the revenue value. You can use negative values to indicate refunds.',
        ),
        'productId': field(
            'Product ID',
            'string',
            description='An identifier for the item purchased. You must send a price and quantity or revenue with this field.',
        ),
        'revenueType': field(
            'Revenue Type',
            'string',
            description='The type of revenue for the item purchased. You must send a price and quantity or revenue with this field.',
        ),
    },
    default={
        '@arrayPath': [
            '$.properties.products',
            {
                'price': {'@path': 'price'},
                'revenue': {'@path': 'revenue'},
                'quantity': {'@path': 'quantity'},
                'productId': {'@path': 'productId'},
                'revenueType': {'@path': 'revenueType'},
            },
        ],
    },
)


USE_BATCH_ENDPOINT = field(
    'Use Batch Endpoint',
    'boolean',
    description="If true, events are sent to Amplitude's `batch` endpoint rather than their `httpapi` events endpoint. Enabling this setting may help reduce 429s – or throttling errors – from Amplitude. More information about Amplitude's throttling is available in [their docs](https://developers.amplitude.com/docs/batch-event-upload-api#429s-in-depth).",
    default=False,
)


USER_AGENT = field(
    'User Agent',
    'string',
    description='The user agent of the device sending the event.',
    default={'@path': '$.context.userAgent'},
)


USER_AGENT_PARSING = field(
    'User Agent Parsing',
    'boolean',
    description='Enabling this setting will set the Device manufacturer, Device Model and OS Name properties based on the user agent string provided in the userAgent field',
    default=True,
)


INCLUDE_RAW_USER_AGENT = field(
    'Include Raw User Agent',
    'boolean',
    description='Enabling this setting will send user_agent based on the raw user agent string provided in the userAgent field',
    default=False,
)


UTM_PROPERTIES = field(
    'UTM Properties',
    'object',
    description='UTM Tracking Properties',
    properties={
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
        'utm_source': {'@path': '$.context.campaign.source'},
        'utm_medium': {'@path': '$.context.campaign.medium'},
        'utm_campaign': {'@path': '$.context.campaign.name'},
        'utm_term': {'@path': '$.context.campaign.term'},
        'utm_content': {'@path': '$.context.campaign.content'},
    },
)


REFERRER = field(
    'Referrer',
    'string',
    description='The referrer of the web request. Sent to Amplitude as both last touch “referrer” and first touch “initial_referrer”',
    default={'@path': '$.context.page.referrer'},
)


MIN_ID_LENGTH = field(
    'Minimum ID Length',
    'integer',
    description='Amplitude has a default minimum id lenght of 5 characters for user_id and device_id fields. This field allows the minimum to be overridden to allow shorter id lengths.',
    allow_null=True,
)


USER_AGENT_DATA = field(
    'User Agent Data',
    'object',
    description='The user agent data of device sending the event',
    properties={
        'model': field(
            'Model',
            'string',
        ),
        'platformVersion': field(
            'PlatformVersion',
            'string',
        ),
    },
    default={
        'model': {'@path': '$.context.userAgentData.model'},
        'platformVersion': {'@path': '$.context.userAgentData.platformVersion'},
    },
)
