"""The Amplitude (Actions) destination: settings, the actions table keyed by slug, presets, and the two
destination-level calls (authentication test and GDPR deletion)."""

from __future__ import annotations

import base64

from . import group_identify_user, identify_user, log_event, log_event_v2, log_purchase, map_user
from .endpoints import DEFAULT_REGION, endpoint_for
from .fields import default_values, field
from .jsjson import UNDEFINED, js_string

__all__ = ["NAME", "SLUG", "SETTINGS", "ACTIONS", "PRESETS", "authentication_request", "deletion_request"]

NAME = "Actions Amplitude"
SLUG = "actions-amplitude"

SETTINGS: dict[str, dict] = {
    "apiKey": field(
        "API Key",
        "password",
        description='Amplitude project API key. You can find this key in the "General" tab of your Amplitude project.',
        required=True,
    ),
    "secretKey": field(
        "Secret Key",
        "password",
        description='Amplitude project secret key. You can find this key in the "General" tab of your Amplitude '
        "project.",
        required=True,
    ),
    "endpoint": field(
        "Endpoint Region",
        "string",
        description="The region to send your data.",
        choices=[
            {"label": "North America", "value": "north_america"},
            {"label": "Europe", "value": "europe"},
        ],
        default=DEFAULT_REGION,
        format="text",
    ),
}

# slug -> action module (FIELDS, perform, TITLE, DESCRIPTION, DEFAULT_SUBSCRIPTION), in the destination's order
ACTIONS = {
    "logEvent": log_event,
    "identifyUser": identify_user,
    "mapUser": map_user,
    "groupIdentifyUser": group_identify_user,
    "logPurchase": log_purchase,
    "logEventV2": log_event_v2,
}

_VIEWED = {"@template": "Viewed {{name}}"}

# The destination's automatic presets. "Browser Session Tracking" belongs to the browser plugin
# (device mode, action `sessionId`) and has no cloud action, so it is not listed here.
PRESETS: list[dict] = [
    {
        "name": "Track Calls",
        "subscribe": 'type = "track" and event != "Order Completed"',
        "partnerAction": "logEventV2",
        "mapping": default_values(log_event_v2.FIELDS),
    },
    {
        "name": "Order Completed Calls",
        "subscribe": 'type = "track" and event = "Order Completed"',
        "partnerAction": "logPurchase",
        "mapping": default_values(log_purchase.FIELDS),
    },
    {
        "name": "Page Calls",
        "subscribe": 'type = "page"',
        "partnerAction": "logEventV2",
        "mapping": {**default_values(log_event_v2.FIELDS), "event_type": _VIEWED},
    },
    {
        "name": "Screen Calls",
        "subscribe": 'type = "screen"',
        "partnerAction": "logEventV2",
        "mapping": {**default_values(log_event_v2.FIELDS), "event_type": _VIEWED},
    },
    {
        "name": "Identify Calls",
        "subscribe": 'type = "identify"',
        "partnerAction": "identifyUser",
        "mapping": default_values(identify_user.FIELDS),
    },
]


def _basic_auth(username, password) -> dict:
    """The request client's Basic auth header (btoa of latin-1 code units); none without credentials."""
    if not (username or password):
        return {}
    text = f"{js_string(username) if username else ''}:{js_string(password) if password else ''}"
    raw = bytes(ord(c) & 0xFF for c in text)
    return {"authorization": "Basic " + base64.b64encode(raw).decode("ascii")}


def authentication_request(settings: dict) -> dict:
    """The request the destination's authentication test makes (GET usersearch with Basic auth)."""
    url = endpoint_for("usersearch", settings.get("endpoint", UNDEFINED)) + "?user=testUser@example.com"
    return {
        "method": "GET",
        "url": url,
        "headers": _basic_auth(settings.get("apiKey"), settings.get("secretKey")),
    }


def deletion_request(settings: dict, event: dict) -> dict:
    """The GDPR deletion request for an event's userId."""
    return {
        "method": "POST",
        "url": endpoint_for("deletions", settings.get("endpoint", UNDEFINED)),
        "headers": {"content-type": "application/json", **_basic_auth(settings.get("apiKey"), settings.get("secretKey"))},
        "json": {"user_ids": [event.get("userId")], "requester": "segment"},
    }


def settings_errors(settings: dict) -> list[str]:
    """The runtime's validation of destination settings (before any subscription runs).

    Segment rejects every event of a destination whose settings fail this check, with an
    AggregateAjvError (status 400) carrying these messages. Empty strings pass, as in the runtime.
    """
    from actions.framework import _compile_node

    errs: list[str] = []
    for key, spec in SETTINGS.items():
        if spec.get("required") and key not in settings:
            errs.append(f"The root value is missing the required field '{key}'.")
    for key, spec in SETTINGS.items():
        if key in settings:
            _compile_node(spec).check(settings[key], "/" + key, errs)
    return errs
