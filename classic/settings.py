"""Every Amplitude (Classic) setting with its catalog default and the code defaults of each mode.

Segment stores the catalog defaults when a destination is created, so they are what a real destination
normally has; a mode's code defaults only matter for keys missing from the settings object (see
``Emulator(defaults="code")``).
"""
from __future__ import annotations

from typing import Any

__all__ = ["SETTINGS", "SettingsError", "ClassicSettings", "load_settings", "resolve"]


class SettingsError(ValueError):
    """A settings object the emulator cannot use (wrong type for a key, not an object...)."""


# key -> (type, catalog default, {mode: code default}, modes that read it)
# Types: string, boolean, number, map (object of strings), array (list of strings), select.
SETTINGS: dict[str, tuple[str, Any, dict[str, Any], str]] = {
    "apiKey": ("string", "", {}, "all"),
    "appendFieldsToEventProps": ("map", {}, {"web": {}}, "web"),
    "batchEvents": ("boolean", False, {"web": False}, "web"),
    "deviceIdFromUrlParam": ("boolean", False, {"web": False}, "web"),
    "enableLocationListening": ("boolean", True, {"android": True}, "android"),
    "endpoint": ("select", "", {}, "cloud"),
    "eventUploadPeriodMillis": ("number", 30000, {"web": 30000}, "web"),
    "eventUploadThreshold": ("number", 30, {"web": 30}, "web"),
    "forceHttps": ("boolean", False, {"web": False}, "web"),
    "groupTypeTrait": ("string", "", {"web": None, "ios": None, "android": None}, "web ios android cloud"),
    "groupValueTrait": ("string", "", {"web": None, "ios": None, "android": None}, "web ios cloud"),
    "mapQueryParams": ("map", {}, {"web": {}}, "web cloud"),
    "preferAnonymousIdForDeviceId": ("boolean", False, {"web": False}, "web cloud"),
    "saveParamsReferrerOncePerSession": ("boolean", True, {"web": True}, "web"),
    "secretKey": ("string", "", {}, "none"),
    "sendAlias": ("boolean", False, {}, "cloud"),
    "sendToBatchEndpoint": ("boolean", False, {}, "cloud"),
    "trackAllPages": ("boolean", False, {"web": False, "ios": False, "android": False, "cloud": False}, "web ios android cloud"),
    "trackAllPagesV2": ("boolean", False, {"ios": False, "android": True}, "ios android"),
    "trackCategorizedPages": ("boolean", True, {"web": True, "android": False, "cloud": False}, "web android cloud"),
    "trackGclid": ("boolean", False, {"web": False}, "web"),
    "trackNamedPages": ("boolean", True, {"web": True, "android": False, "cloud": False}, "web android cloud"),
    "trackProductsOnce": ("boolean", False, {"web": False}, "web"),
    "trackReferrer": ("boolean", True, {"web": False}, "web"),
    "trackRevenuePerProduct": ("boolean", False, {"web": False}, "web cloud"),
    "trackSessionEvents": ("boolean", False, {"ios": False, "android": False}, "ios android"),
    "trackUtmProperties": ("boolean", True, {"web": True, "cloud": False}, "web cloud"),
    "traitsToAppend": ("array", [], {}, "cloud"),
    "traitsToIncrement": ("array", [], {"web": [], "ios": [], "android": []}, "web ios android cloud"),
    "traitsToPrepend": ("array", [], {}, "cloud"),
    "traitsToSetOnce": ("array", [], {"web": [], "ios": [], "android": []}, "web ios android cloud"),
    "unsetParamsReferrerOnNewSession": ("boolean", False, {"web": False}, "web"),
    "useAdvertisingIdForDeviceId": ("boolean", False, {"ios": False, "android": False}, "ios android"),
    "useAmplitudeReferral": ("boolean", False, {"web": False}, "web"),
    "useCustomAmplitudeProperties": ("boolean", False, {}, "cloud"),
    "useLogRevenueV2": ("boolean", True, {"web": False, "android": False}, "web android"),
    "versionName": ("string", "", {"web": ""}, "web"),
}

# Keys some settings objects carry that are not catalog settings but that code reads (Android reads
# `groupTypeValue` instead of groupValueTrait, old iOS tests used it too).
KNOWN_EXTRA = {"groupTypeValue"}

ENDPOINTS = {"": "us", "us": "us", "north_america": "us", "na": "us", "eu": "eu", "europe": "eu"}


class ClassicSettings(dict):
    """All 37 settings, filled with catalog defaults; ``given`` names the keys the source specified."""

    given: frozenset = frozenset()


def _unwrap(obj: Any) -> Any:
    """Accept a Segment Public API destination document as well as a plain settings object."""
    if not isinstance(obj, dict):
        return obj
    if isinstance(obj.get("data"), dict):
        obj = obj["data"]
    if isinstance(obj.get("destination"), dict):
        obj = obj["destination"]
    if isinstance(obj.get("settings"), dict) and ("metadata" in obj or "id" in obj or "enabled" in obj
                                                 or "sourceId" in obj or len(obj) == 1):
        return obj["settings"]
    if isinstance(obj.get("config"), list):  # legacy Config API: [{"name":..., "value":...}]
        return {c["name"].rsplit("/", 1)[-1]: c.get("value") for c in obj["config"]
                if isinstance(c, dict) and isinstance(c.get("name"), str)}
    return obj


def _check(key: str, kind: str, value: Any, source: str) -> Any:
    def bad(expected: str) -> SettingsError:
        return SettingsError(f"{source}: setting {key!r} must be {expected}, got {type(value).__name__} "
                             f"{_preview(key, value)}")

    if value is None:
        return None  # Segment stores null for cleared optional settings: treat as absent
    if kind in ("string", "select"):
        if not isinstance(value, str):
            raise bad("a string")
    elif kind == "boolean":
        if not isinstance(value, bool):
            if value in ("true", "false"):
                return value == "true"
            raise bad("true or false (a JSON boolean)")
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("a number")
    elif kind == "array":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
    elif kind == "map":
        if isinstance(value, list):  # the UI's text-map is sometimes exported as [{key, value}]
            try:
                value = {e["key"]: e["value"] for e in value}
            except (TypeError, KeyError):
                raise bad("an object of strings") from None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise bad("an object of strings")
    return value


def _preview(key: str, value: Any) -> str:
    if key in ("apiKey", "secretKey"):
        return "(value hidden)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def load_settings(obj: Any, source: str = "settings") -> tuple[ClassicSettings, list[str]]:
    """Validate a classic settings object (or Public API destination document).

    Returns the settings with every catalog key present (catalog default where missing) and a list of
    warnings (unknown keys). Raises SettingsError naming the key and the allowed values on a wrong type or
    an unknown endpoint region.
    """
    raw = _unwrap(obj)
    if not isinstance(raw, dict):
        raise SettingsError(f"{source}: classic settings must be a JSON object, got {type(raw).__name__}")
    warnings: list[str] = []
    out = ClassicSettings()
    given = set()
    for key, value in raw.items():
        spec = SETTINGS.get(key)
        if spec is None:
            if key in KNOWN_EXTRA:
                out[key] = value
                given.add(key)
            else:
                warnings.append(f"{source}: unknown classic setting {key!r} ignored")
            continue
        value = _check(key, spec[0], value, source)
        if value is None:
            continue
        out[key] = value
        given.add(key)
    for key, (_, default, _, _) in SETTINGS.items():
        if key not in out:
            out[key] = _copy(default)
    endpoint = out["endpoint"]
    if endpoint.lower() not in ENDPOINTS:
        # a typo must not silently send EU data to the US endpoint (data residency)
        raise SettingsError(f"{source}: setting 'endpoint' must be one of {_allowed_endpoints()} (empty: US), "
                            f"got {_preview('endpoint', endpoint)}")
    out.given = frozenset(given)
    return out, warnings


def _allowed_endpoints() -> str:
    return ", ".join(repr(k) for k in ENDPOINTS if k)


def _copy(value: Any) -> Any:
    return type(value)(value) if isinstance(value, (list, dict)) else value


def resolve(settings: dict, mode: str, defaults: str = "catalog") -> dict:
    """The effective settings one mode sees.

    defaults="catalog": keys the source did not give keep the catalog default (what Segment stores).
    defaults="code": they take the mode's code default (what the integration code falls back to).
    """
    if not isinstance(settings, ClassicSettings):
        settings, _ = load_settings(settings)
    eff = dict(settings)
    if defaults == "code":
        for key, (_, _, code, _) in SETTINGS.items():
            if key not in settings.given and mode in code:
                eff[key] = _copy(code[mode])
    elif defaults != "catalog":
        raise SettingsError(f"defaults must be 'catalog' or 'code', got {defaults!r}")
    return eff
