"""Page and screen naming: which Amplitude events a page/screen call becomes, per mode.

Cloud mode is contested (spec §7.3.1), so it has named variants (option ``page_naming``):

* ``viewed`` (default): one event per enabled setting, in the web integration's order:
  Track All Pages -> "Loaded a Page", Track Categorized Pages (category given) -> "Viewed <category> Page",
  Track Named Pages (name given) -> "Viewed <category> <name> Page" (or "Viewed <name> Page").
  Matches the docs' "multiple events will be sent for the same call", the catalog descriptions'
  examples and the Actions migration note ("Viewed Home Page").
* ``loaded``: the same events named like the docs' table literally: "Loaded a Page",
  "Loaded <category> Page", "Loaded <category> <name> Page".
* ``code2017``: the 2017 open-source code exactly: at most one event, sent when all pages is on, or
  categorized and a category, or named and a name; named "Viewed <fullName> Page", and "Loaded a Page"
  when the call has no name (even if it has a category).
"""
from __future__ import annotations

from .facade import full_name, js_str, truthy

__all__ = ["PAGE_NAMING", "cloud_names", "web_names", "android_screen", "ios_screen"]

PAGE_NAMING = ("viewed", "loaded", "code2017")


def _noun(kind: str) -> str:
    return "Screen" if kind == "screen" else "Page"


def cloud_names(event: dict, s: dict, variant: str = "viewed") -> list[str]:
    noun = _noun(event.get("type"))
    name, category = event.get("name"), event.get("category")
    fname = full_name(event)
    if variant == "code2017":
        gate = s["trackAllPages"] or (s["trackCategorizedPages"] and truthy(category)) or \
            (s["trackNamedPages"] and truthy(name))
        if not gate:
            return []
        return [f"Viewed {fname} {noun}" if fname else f"Loaded a {noun}"]
    verb = "Loaded" if variant == "loaded" else "Viewed"
    out = []
    if s["trackAllPages"]:
        out.append(f"Loaded a {noun}")
    if s["trackCategorizedPages"] and truthy(category):
        out.append(f"{verb} {js_str(category)} {noun}")
    if s["trackNamedPages"] and fname:
        out.append(f"{verb} {fname} {noun}")
    return out


def web_names(event: dict, s: dict) -> list[str]:
    """analytics.js integration: up to three events (all, categorized, named), in that order."""
    return cloud_names(event, s, "viewed")


def android_screen(event: dict, s: dict) -> tuple[str, bool] | None:
    """Android's exclusive chain -> (event name, add the name property) or None."""
    name, category = event.get("name"), event.get("category")
    if s["trackAllPagesV2"]:
        return "Loaded a Screen", True
    if s["trackAllPages"]:
        # ScreenPayload.event(): the name if non-empty, else the category (Java prints null)
        shown = name if truthy(name) else category
        return f"Viewed {'null' if shown is None else js_str(shown)} Screen", False
    if s["trackCategorizedPages"] and truthy(category):
        return f"Viewed {js_str(category)} Screen", False
    if s["trackNamedPages"] and truthy(name):
        return f"Viewed {js_str(name)} Screen", False
    return None


def ios_screen(event: dict, s: dict) -> tuple[str, bool] | None:
    name = event.get("name")
    if s["trackAllPagesV2"]:
        return "Loaded a Screen", True
    if s["trackAllPages"]:
        return f"Viewed {'(null)' if name is None else js_str(name)} Screen", False
    return None
