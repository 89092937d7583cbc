"""Locale strings as the 2017 cloud code sent them: 'en-US' -> language 'English', country 'United States'.

The names come from pycountry's ISO 639-3 and ISO 3166-1 databases. A lookup needs only each code's
name, so the first one reads pycountry's two JSON files into code -> name tables instead of importing
pycountry and building its full database objects (which costs a short run more than the run itself). The
tables follow pycountry's own index rule (codes lowered, a later entry wins); if its files are not where
its package keeps them, or hold an entry of another shape, the lookups go through pycountry itself.
tests/core/test_locales.py checks every code of both databases against pycountry."""
from __future__ import annotations

import os
from functools import lru_cache
from importlib.util import find_spec

import orjson

__all__ = ["language_name", "country_name"]


def _parts(locale: str) -> list[str]:
    return locale.replace("_", "-").split("-")


def _database(filename: str, root_key: str) -> list | None:
    """The entries of one of pycountry's database files, or None when it cannot be read as expected."""
    try:
        spec = find_spec("pycountry")
        origin = spec.origin if spec is not None else None
        if not origin:
            return None
        with open(os.path.join(os.path.dirname(origin), "databases", filename), "rb") as fh:
            entries = orjson.loads(fh.read())[root_key]
    except (OSError, ValueError, KeyError, TypeError, ImportError):
        return None
    return entries if isinstance(entries, list) else None


def _index(entries: list, fields: tuple[str, ...], country: bool = False) -> tuple[dict, ...] | None:
    """{code lowered: name} for each of `fields`, as pycountry indexes them (entries in order, a later one
    wins); a country's name is its common_name when it has a non-empty one, as country_name reads it. None
    when an entry is not what pycountry's files hold (then pycountry answers)."""
    indexes: tuple[dict, ...] = tuple({} for _ in fields)
    pairs = tuple(zip(fields, indexes))
    for entry in entries:
        if type(entry) is not dict:
            return None
        name = entry["name"] if "name" in entry else None
        if country and "common_name" in entry:
            name = entry["common_name"] or name
        if type(name) is not str:
            return None
        for field, index in pairs:
            if field in entry:
                value = entry[field]
                if type(value) is not str:
                    return None
                index[value.lower()] = name
    return indexes


def _language_tables() -> tuple[dict, ...] | None:
    entries = _database("iso639-3.json", "639-3")
    return None if entries is None else _index(entries, ("alpha_2", "alpha_3"))


def _country_table() -> dict | None:
    entries = _database("iso3166-1.json", "3166-1")
    tables = None if entries is None else _index(entries, ("alpha_2",), country=True)
    return None if tables is None else tables[0]


_UNSET = object()
# built on the first lookup of each process (worker processes build their own); two threads that race build it
# twice, the same table, and no lock is held across a fork
_tables: dict = {"languages": _UNSET, "countries": _UNSET}


def _table(key: str, build):
    table = _tables[key]
    if table is _UNSET:
        table = _tables[key] = build()
    return table


def _pycountry_language(code: str) -> str | None:
    import pycountry

    lang = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    return lang.name if lang is not None else None


def _pycountry_country(code: str) -> str | None:
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    if country is not None:
        return getattr(country, "common_name", None) or country.name
    return None


@lru_cache(maxsize=1024)
def language_name(locale: str) -> str | None:
    code = _parts(locale)[0].lower()
    if not code:
        return None
    tables = _table("languages", _language_tables)
    if tables is None:
        return _pycountry_language(code)
    # pycountry lowers the value it is given once more (its indexes hold lowered codes)
    return tables[0 if len(code) == 2 else 1].get(code.lower())


@lru_cache(maxsize=1024)
def country_name(locale: str) -> str | None:
    for part in _parts(locale)[1:]:
        if len(part) == 2 and part.isalpha():
            table = _table("countries", _country_table)
            name = _pycountry_country(part.upper()) if table is None else table.get(part.upper().lower())
            if name is not None:
                return name
    return None
