"""Browser and OS names from a user-agent string, for the 2017 cloud rule on analytics.js events
(os_name = browser name, os_version = browser major version, device_model = OS name).

Approximate: covers the browser families Amplitude's ua-parser fork names most often; anything else
leaves the context fields untouched.
"""
from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["parse"]

# (browser name, pattern with the version in group 1), most specific first
_BROWSERS = [
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"(?:OPR|Opera)/(\d+)")),
    ("Samsung Browser", re.compile(r"SamsungBrowser/(\d+)")),
    ("Facebook", re.compile(r"FBAV/(\d+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS)/(\d+)")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/(\d+)")),
    ("IE", re.compile(r"(?:MSIE |Trident/.*rv:)(\d+)")),
    ("Mobile Safari", re.compile(r"Version/(\d+)[^ ]* Mobile/")),
    ("Safari", re.compile(r"Version/(\d+)[^ ]* Safari/")),
]
_OSES = [
    ("Windows", re.compile(r"Windows")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Android", re.compile(r"Android")),
    ("Mac OS", re.compile(r"Mac OS X")),
    ("Chromium OS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux")),
]


@lru_cache(maxsize=4096)
def parse(ua: str) -> tuple[str | None, str | None, str | None]:
    """(browser name, browser major version, OS name)."""
    browser = version = None
    for name, pattern in _BROWSERS:
        m = pattern.search(ua)
        if m:
            browser, version = name, m.group(1)
            break
    os_name = next((name for name, pattern in _OSES if pattern.search(ua)), None)
    return browser, version, os_name
