"""The contested choices of the cloud emulator (spec §7.3), each a named option with a default.

Rule for the defaults: the documented behaviour where the documentation is explicit, the 2017
open-source code elsewhere. ``--known-event-types`` calibration (classic/calibrate.py) can pick the
variant whose event names actually occur in the team's Amplitude project; ``amplitude-migrate calibrate``
(migrate/calibration.py) picks every option from an Amplitude export, field by field.
"""
from __future__ import annotations

from .settings import SettingsError

__all__ = ["OPTIONS", "DEFAULTS", "check_options", "OptionError"]


class OptionError(SettingsError):
    """An emulator option (--option NAME=VALUE) with an unknown name or value: an input error like any
    settings error (the classic engine's one base, `SettingsError`)."""


# name -> (choices, default, why)
OPTIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "page_naming": (
        ("viewed", "loaded", "code2017"), "viewed",
        "cloud page/screen names: 'viewed' = one event per enabled setting, 'Loaded a Page' / "
        "'Viewed <category> Page' / 'Viewed <category> <name> Page' (docs: several events per call; catalog "
        "examples; Actions migration note); 'loaded' = the docs table's literal 'Loaded <category> <name> Page' "
        "names; 'code2017' = the 2017 code: at most one event, 'Viewed <fullName> Page' or 'Loaded a Page'",
    ),
    "query_params": (
        ("configured", "code2017"), "configured",
        "cloud mapQueryParams on non-identify calls: 'configured' = each entry goes to the user or event "
        "properties its value names (catalog description); 'code2017' = only the first entry, always into "
        "event_properties",
    ),
    "order_completed": (
        ("expand", "code2017"), "expand",
        "cloud Order Completed: 'expand' = order event without products plus one 'Product Purchased' per "
        "product (docs); 'code2017' = a plain track",
    ),
    "group_call": (
        ("docs", "code2017"), "docs",
        "cloud group: 'docs' = Group Type/Value Trait when both trait values are present (plus the traits as "
        "group properties), else '[Segment] Group' = groupId; 'code2017' = always '[Segment] Group' = groupId",
    ),
    "revenue_price": (
        ("docs", "code2017"), "docs",
        "cloud revenue fields: 'docs' = price falls back to revenue (quantity 1) when no price is given; "
        "'code2017' = price and quantity only when a price is given",
    ),
    "language": (
        ("name", "locale"), "name",
        "cloud language field: 'name' = English language name from context.locale ('en-US' -> 'English', the "
        "2017 code; the docs say nothing later); 'locale' = the locale string as sent",
    ),
    "user_agent": (
        ("browser", "os"), "browser",
        "cloud analytics.js events with a user agent: 'browser' = the 2017 code: os_name = browser name, "
        "os_version = browser major version, device_model = OS name; 'os' = os_name is the OS name from the "
        "user agent (version and device model as in 'browser')",
    ),
    "country": (
        ("locale", "ip"), "locale",
        "cloud country: 'locale' = the 2017 code: country name from context.locale ('en-US' -> 'United "
        "States'); 'ip' = no country from the locale, so Amplitude looks the ip up (a traits.address country "
        "is sent in both)",
    ),
    "defaults": (
        ("catalog", "code"), "catalog",
        "keys missing from the settings object: 'catalog' = catalog defaults (what Segment stores for a new "
        "destination); 'code' = the mode's code defaults (e.g. web V1 revenue, Android trackAllPagesV2 on)",
    ),
}

DEFAULTS = {name: spec[1] for name, spec in OPTIONS.items()}


def check_options(options: dict | None) -> dict:
    out = dict(DEFAULTS)
    for name, value in (options or {}).items():
        if name not in OPTIONS:
            raise OptionError(f"unknown emulator option {name!r} (known: {', '.join(OPTIONS)})")
        if value not in OPTIONS[name][0]:
            raise OptionError(f"option {name!r} must be one of {', '.join(OPTIONS[name][0])}, got {value!r}")
        out[name] = value
    return out
