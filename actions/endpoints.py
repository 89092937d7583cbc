"""Amplitude endpoint URLs by (API, region), the table of the destination's `regional-endpoints`.

No action builds a URL by hand: every request URL comes from `endpoint_for`.
"""

from __future__ import annotations

__all__ = ["ENDPOINTS", "REGIONS", "DEFAULT_REGION", "endpoint_for"]

DEFAULT_REGION = "north_america"
REGIONS = ("north_america", "europe")
_API_VERSION = "2"

ENDPOINTS: dict[str, dict[str, str]] = {
    "batch": {
        "north_america": "https://api2.amplitude.com/batch",
        "europe": "https://api.eu.amplitude.com/batch",
    },
    "deletions": {
        "north_america": f"https://amplitude.com/api/{_API_VERSION}/deletions/users",
        "europe": f"https://analytics.eu.amplitude.com/api/{_API_VERSION}/deletions/users",
    },
    "httpapi": {
        "north_america": f"https://api2.amplitude.com/{_API_VERSION}/httpapi",
        "europe": f"https://api.eu.amplitude.com/{_API_VERSION}/httpapi",
    },
    "identify": {
        "north_america": "https://api2.amplitude.com/identify",
        "europe": "https://api.eu.amplitude.com/identify",
    },
    "groupidentify": {
        "north_america": "https://api2.amplitude.com/groupidentify",
        "europe": "https://api.eu.amplitude.com/groupidentify",
    },
    "usermap": {
        # the one endpoint on `api`, not `api2`
        "north_america": "https://api.amplitude.com/usermap",
        "europe": "https://api.eu.amplitude.com/usermap",
    },
    "usersearch": {
        "north_america": f"https://amplitude.com/api/{_API_VERSION}/usersearch",
        "europe": f"https://analytics.eu.amplitude.com/api/{_API_VERSION}/usersearch",
    },
}


def endpoint_for(api: str, region=None) -> str:
    """URL of `api` in `region`; any region other than the known ones (even None) means North America."""
    table = ENDPOINTS[api]
    url = table.get(region) if isinstance(region, str) else None
    return url if url is not None else table[DEFAULT_REGION]
