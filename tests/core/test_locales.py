"""classic.locales reads pycountry's database files into code -> name tables: every answer must be the one
pycountry itself gives (the lookups as written against pycountry's API are the rule here)."""

import pycountry
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from classic import locales


def rule_language(locale: str):
    code = locale.replace("_", "-").split("-")[0].lower()
    if not code:
        return None
    lang = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    return lang.name if lang is not None else None


def rule_country(locale: str):
    for part in locale.replace("_", "-").split("-")[1:]:
        if len(part) == 2 and part.isalpha():
            country = pycountry.countries.get(alpha_2=part.upper())
            if country is not None:
                return getattr(country, "common_name", None) or country.name
    return None


def _codes(database, field):
    return sorted({getattr(entry, field) for entry in database if hasattr(entry, field)})


LANGUAGE_CODES = _codes(pycountry.languages, "alpha_2") + _codes(pycountry.languages, "alpha_3")
COUNTRY_CODES = _codes(pycountry.countries, "alpha_2")


def _variants(code: str):
    yield code
    yield code.upper()
    yield code.title()
    yield f"{code}-US"
    yield f"{code}_gb"
    yield f"{code.upper()}-Latn-CH"


@pytest.fixture(params=["tables", "pycountry"])
def lookups(request, monkeypatch):
    """The lookups as shipped (tables from the files), and with the files unreadable (pycountry itself)."""
    if request.param == "pycountry":
        monkeypatch.setattr(locales, "_database", lambda filename, root_key: None)
    monkeypatch.setattr(locales, "_tables", {"languages": locales._UNSET, "countries": locales._UNSET})
    return locales.language_name.__wrapped__, locales.country_name.__wrapped__


def test_the_tables_are_read_from_the_files():
    assert locales._table("languages", locales._language_tables) is not None
    assert locales._table("countries", locales._country_table) is not None


def test_every_language_code_names_what_pycountry_names(lookups):
    language_name, _ = lookups
    assert len(LANGUAGE_CODES) > 7000
    for code in LANGUAGE_CODES:
        for locale in _variants(code):
            assert language_name(locale) == rule_language(locale), locale


def test_every_country_code_names_what_pycountry_names(lookups):
    _, country_name = lookups
    assert len(COUNTRY_CODES) > 240
    for code in COUNTRY_CODES:
        for locale in (f"en-{code}", f"en_{code.lower()}", f"zh-Hant-{code}", f"x-{code}-{code}", f"de-1-{code}"):
            assert country_name(locale) == rule_country(locale), locale


ODD = ["", "-", "_", "--US", "en", "EN", "eng", "und", "zz", "zzz", "qaa", "i-klingon", "x-private", "e", "enx",
       "en-", "en-U", "en-USA", "en-us", "en-00", "en-ÅÅ", "ß-SS", "ǆ-DE", "İn", "ın-tr", "\u0130s", "en\x00-GB",
       "fr-CA-x-ca", " en-US", "en-US ", "tlh", "mis", "mul", "zxx", "ENG_gb", "gr-GR", "el-GR", "jw-ID",
       "in-ID", "iw-IL", "no-NO", "nb-NO", "sh-RS", "mo-MD", "ar-001", "es-419", "de-DE-1996", "sgn-BE-FR"]


@pytest.mark.parametrize("locale", ODD)
def test_odd_locales(lookups, locale):
    language_name, country_name = lookups
    assert language_name(locale) == rule_language(locale)
    assert country_name(locale) == rule_country(locale)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(
    st.text(max_size=12),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_İıßǅﬀ", max_size=10),
    st.tuples(st.sampled_from(LANGUAGE_CODES), st.sampled_from(COUNTRY_CODES),
              st.sampled_from(["-", "_", "-x-"])).map(lambda t: t[0] + t[2] + t[1].swapcase()),
))
@example("en-US")
def test_any_text_gets_pycountry_answer(locale):
    assert locales.language_name(locale) == rule_language(locale)
    assert locales.country_name(locale) == rule_country(locale)
