"""Amplitude's facts, in one place: what its ingestion APIs accept and store, which ids it refuses, its
length limits and how it names languages.

Every other module reads these from here: `migrate.canonical` (building records), `migrate.differ`
(which differences are stored data), `migrate.impact` (the location lookup) and `migrate.detect` (ids
Amplitude drops). Sources: Amplitude's HTTP API v2, Batch, Identify, Group Identify and User Mapping API
documentation (field tables, id rules, limits).
"""

from __future__ import annotations

import re
from functools import lru_cache

from classic.locales import language_name as _iso_language_name

__all__ = [
    "EVENT_FIELDS", "IDENTIFY_FIELDS", "STORED_FIELDS", "STORED_EVENT_FIELDS", "STORED_IDENTIFY_FIELDS",
    "STORED_GROUP_FIELDS", "STORED_USERMAP_FIELDS", "INVALID_IDS", "DEFAULT_MIN_ID_LENGTH",
    "V1_MIN_ID_LENGTH", "MAX_STRING", "USER_PROPERTY_OPS", "LOCATION_FIELDS", "LOOKUP_REPLACING",
    "DEVICE_ID_PLACEHOLDERS", "language_name",
]

# ------------------------------------------------------------------------------------- accepted keys

# Event keys the HTTP API v2 accepts on the wire (its field table, plus `library` and `partner_id`, which it
# also keeps for integrations): a record keeps these and nothing else.
EVENT_FIELDS = (
    "user_id", "device_id", "event_type", "time", "event_properties", "user_properties", "groups",
    "group_properties", "$skip_user_properties_sync", "app_version", "platform", "os_name", "os_version",
    "device_brand", "device_manufacturer", "device_model", "carrier", "country", "region", "city", "dma",
    "language", "price", "quantity", "revenue", "productId", "revenueType", "currency", "location_lat",
    "location_lng", "ip", "idfa", "idfv", "adid", "android_id", "android_app_set_id", "event_id",
    "session_id", "insert_id", "plan", "user_agent", "partner_id", "library", "ingestion_metadata",
    "version_name", "paying", "start_version",
)
# Keys of an `/identify` identification object.
IDENTIFY_FIELDS = (
    "user_id", "device_id", "user_properties", "groups", "app_version", "platform", "os_name",
    "os_version", "device_brand", "device_manufacturer", "device_model", "carrier", "country", "region",
    "city", "dma", "language", "paying", "start_version", "library",
)

# ------------------------------------------------------------------------------------- stored fields

# The fields Amplitude stores and analyses, per record kind (ingestion spec "Event keys"; the Identify API's
# keys). A difference in any other key (a wire-only key) cannot change what anyone sees in Amplitude.
STORED_EVENT_FIELDS = frozenset(
    """user_id device_id event_type time event_properties user_properties groups group_properties
    app_version platform os_name os_version device_brand device_manufacturer device_model carrier
    country region city dma language price quantity revenue productId revenueType currency
    location_lat location_lng ip idfa idfv adid android_id android_app_set_id event_id session_id
    plan user_agent partner_id library version_name""".split()
)
STORED_IDENTIFY_FIELDS = frozenset(
    """user_id device_id user_properties groups app_version platform os_name os_version device_brand
    device_manufacturer device_model carrier country region city dma language paying start_version""".split()
)
# The Identify and Group Identify APIs have no `library` field.
STORED_GROUP_FIELDS = frozenset("group_type group_value group_properties".split())
STORED_USERMAP_FIELDS = frozenset("user_id global_user_id unmap".split())
STORED_FIELDS = {
    "event": STORED_EVENT_FIELDS,
    "identify": STORED_IDENTIFY_FIELDS,
    "group_identify": STORED_GROUP_FIELDS,
    "usermap": STORED_USERMAP_FIELDS,
}

# -------------------------------------------------------------------------------------- ids, limits

# Ids Amplitude refuses outright (HTTP API v2 documentation), compared case-insensitively.
INVALID_IDS = frozenset(
    {"anonymous", "nil", "none", "null", "n/a", "na", "undefined", "unknown", "",
     "00000000-0000-0000-0000-000000000000", "{}", "lmy47d", "0", "-1"}
)
# user_id / device_id shorter than this are refused by HTTP API v2 and Batch (`options.min_id_length`
# overrides it); HTTP API v1 predates the rule and dropped only empty ids.
DEFAULT_MIN_ID_LENGTH = 5
V1_MIN_ID_LENGTH = 1
# String values longer than this are cut on ingestion.
MAX_STRING = 1024
USER_PROPERTY_OPS = ("$set", "$setOnce", "$add", "$append", "$prepend", "$unset", "$preInsert",
                     "$postInsert", "$remove", "$clearAll")

# Device-mode emulators cannot know the id the SDK generated in the browser or app; they write one of
# these markers instead. By rule a marker never equals anything: the SDK id is lost in the switch.
DEVICE_ID_PLACEHOLDERS = frozenset({"<sdk-device-id>", "<sdk device id>", "$sdk_device_id"})

# ------------------------------------------------------------------------------------------ location

LOCATION_FIELDS = frozenset({"country", "region", "city", "dma", "location_lat", "location_lng"})
# Sending any of these replaces Amplitude's lookup of the location from the IP address.
LOOKUP_REPLACING = frozenset({"country", "region", "city", "dma"})

# ------------------------------------------------------------------------------------------ language

_LANGUAGE_TAG = re.compile(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{2,8})*")


@lru_cache(maxsize=4096)
def language_name(value: str) -> str:
    """Amplitude stores language tags as language names ('en-US' -> 'English'); other values as sent.

    The one language table is ISO 639 (pycountry), read through `classic.locales`, which the Classic
    emulator uses too (the 2017 cloud code sent names from the same table)."""
    if not _LANGUAGE_TAG.fullmatch(value):
        return value
    return _iso_language_name(value) or value
