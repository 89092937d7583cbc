"""Map User (`mapUser`): merges two Amplitude users through the User Mapping (usermap) API."""

from __future__ import annotations

from .endpoints import endpoint_for
from .enrich import truthy
from .fields import field
from .framework import form_request
from .jsjson import UNDEFINED, dumps

SLUG = "mapUser"
TITLE = "Map User"
DESCRIPTION = "Merge two users together that would otherwise have different User IDs tracked in Amplitude."
DEFAULT_SUBSCRIPTION = 'type = "alias"'

FIELDS: dict[str, dict] = {
    'user_id': field(
        'User ID',
        'string',
        description='The User ID to be associated.',
        default={'@path': '$.previousId'},
    ),
    'global_user_id': field(
        'Global User ID',
        'string',
        description='The Global User ID to associate with the User ID.',
        default={'@path': '$.userId'},
    ),
    'min_id_length': field(
        'Minimum ID Length',
        'integer',
        description='Amplitude has a default minimum id length (`min_id_length`) of 5 characters for user_id and device_id fields. This field allows the minimum to be overridden to allow shorter id lengths.',
        allow_null=True,
    ),
}


def perform(payload: dict, settings: dict, ctx=None) -> list[dict]:
    n = payload.get("min_id_length", UNDEFINED)
    form = {
        "api_key": settings.get("apiKey", UNDEFINED),
        # the whole payload, min_id_length included
        "mapping": dumps([payload]),
    }
    if truthy(n) and n > 0:
        form["options"] = dumps({"min_id_length": n})
    return [form_request(endpoint_for("usermap", settings.get("endpoint", UNDEFINED)), form)]
