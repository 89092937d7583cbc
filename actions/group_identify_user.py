"""Group Identify User (`groupIdentifyUser`): associates the user with a group (an Identify call, only when a
user or device id is present) and then sets the group's properties (a Group Identify call)."""

from __future__ import annotations

from .endpoints import endpoint_for
from .enrich import plain_iso_ms, truthy
from .fields import field
from .framework import form_request
from .identify_user import min_id_length_option
from .jsjson import UNDEFINED, dumps, js_string

SLUG = "groupIdentifyUser"
TITLE = "Group Identify User"
DESCRIPTION = (
    "Set or update properties of particular groups. Note that these updates will only affect events going forward."
)
DEFAULT_SUBSCRIPTION = 'type = "group"'

FIELDS: dict[str, dict] = {
    'user_id': field(
        'User ID',
        'string',
        allow_null=True,
        description='A UUID (unique user ID) specified by you. **Note:** If you send a request with a user ID that is not in the Amplitude system yet, then the user tied to that ID will not be marked new until their first event. If either user ID or device ID is present, an associate user to group call will be made.',
        default={'@path': '$.userId'},
    ),
    'device_id': field(
        'Device ID',
        'string',
        description='A device specific identifier, such as the Identifier for Vendor (IDFV) on iOS. If either user ID or device ID is present, an associate user to group call will be made.',
        default={
            '@if': {
                'exists': {'@path': '$.context.device.id'},
                'then': {'@path': '$.context.device.id'},
                'else': {'@path': '$.anonymousId'},
            },
        },
    ),
    'insert_id': field(
        'Insert ID',
        'string',
        description='Amplitude will deduplicate subsequent events sent with this ID we have already seen before within the past 7 days. Amplitude recommends generating a UUID or using some combination of device ID, user ID, event type, event ID, and time.',
    ),
    'time': field(
        'Timestamp',
        'string',
        description='The timestamp of the event. If time is not sent with the event, it will be set to the request upload time.',
        default={'@path': '$.timestamp'},
    ),
    'group_properties': field(
        'Group Properties',
        'object',
        description='Additional data tied to the group in Amplitude.',
        default={'@path': '$.traits'},
    ),
    'group_type': field(
        'Group Type',
        'string',
        description='The type of the group',
        required=True,
    ),
    'group_value': field(
        'Group Value',
        'string',
        description='The value of the group',
        required=True,
    ),
    'min_id_length': field(
        'Minimum ID Length',
        'integer',
        description='Amplitude has a default minimum id length of 5 characters for user_id and device_id fields. This field allows the minimum to be overridden to allow shorter id lengths.',
        allow_null=True,
    ),
}


def _time_ms(payload: dict, ctx) -> float | int:
    """dayjs.utc(time).valueOf(): missing time means now; unparseable gives NaN (JSON null)."""
    time = payload.get("time", UNDEFINED)
    if time is UNDEFINED:
        return ctx_now(ctx)
    if time.__class__ is str:
        fast = plain_iso_ms(time)
        if fast is not None:
            return fast
    from . import dayjs

    value = dayjs.utc_ms(time)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def ctx_now(ctx) -> int:
    now = (ctx or {}).get("now")
    if now is None:
        import time

        return int(time.time() * 1000)
    return now


def perform(payload: dict, settings: dict, ctx=None) -> list[dict]:
    group_type = payload.get("group_type", UNDEFINED)
    group_value = payload.get("group_value", UNDEFINED)
    association = {js_string(group_type): group_value}
    options = min_id_length_option(payload)
    api_key = settings.get("apiKey", UNDEFINED)
    region = settings.get("endpoint", UNDEFINED)
    requests = []
    if truthy(payload.get("user_id", UNDEFINED)) or truthy(payload.get("device_id", UNDEFINED)):
        identification = {
            "device_id": payload.get("device_id", UNDEFINED),
            "groups": association,
            "insert_id": payload.get("insert_id", UNDEFINED),
            "library": "segment",
            "time": _time_ms(payload, ctx),
            "user_id": payload.get("user_id", UNDEFINED),
            "user_properties": association,
        }
        requests.append(
            form_request(
                endpoint_for("identify", region),
                {"api_key": api_key, "identification": dumps([identification]), "options": options},
            )
        )
    group = {
        "group_properties": payload.get("group_properties", UNDEFINED),
        "group_value": group_value,
        "group_type": group_type,
        "library": "segment",
    }
    requests.append(
        form_request(
            endpoint_for("groupidentify", region),
            {"api_key": api_key, "identification": dumps([group]), "options": options},
        )
    )
    return requests

