"""Locale strings as the 2017 cloud code sent them: 'en-US' -> language 'English', country 'United States'."""
from __future__ import annotations

from functools import lru_cache

import pycountry

__all__ = ["language_name", "country_name"]


def _parts(locale: str) -> list[str]:
    return locale.replace("_", "-").split("-")


@lru_cache(maxsize=1024)
def language_name(locale: str) -> str | None:
    code = _parts(locale)[0].lower()
    if not code:
        return None
    lang = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    return lang.name if lang is not None else None


@lru_cache(maxsize=1024)
def country_name(locale: str) -> str | None:
    for part in _parts(locale)[1:]:
        if len(part) == 2 and part.isalpha():
            country = pycountry.countries.get(alpha_2=part.upper())
            if country is not None:
                return getattr(country, "common_name", None) or country.name
    return None
