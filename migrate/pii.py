"""Personal data in outputs meant for people: pseudonymise it with keyed hashes.

Reports are pasted into pull requests and attached to tickets, so by default every personal value in them
(ids, contact and identity traits, IP addresses, precise location, and keys the team names) is replaced by
a pseudonym ``pii:<12 hex digits>``: the first 48 bits of HMAC-SHA256 over the value under a key that is
random per run (or derived from ``--pii-salt``, for pseudonyms that stay the same across runs).

* Equal values get equal pseudonyms and different values different ones, so a changed device_id still
  shows as changed and the same user is recognisable across the examples of one report. The JSON type is
  part of the hashed text: ``"123"`` and ``123`` stay different.
* A value is personal by where it sits: under a personal key (`is_personal_key`: ``user_id``, ``email``,
  ``traits.name``, ``context.device.id``, an ``address`` object ...), or next to a key naming such a field
  (``{"field": "userId", "value": ...}``, ``{"path": "device_id", "pairs": [[classic, actions, count]]}``),
  the shape detections and breakdowns use.
* Raw values found that way are also replaced wherever else they occur inside a string (a URL, a page
  path, a referrer, an error message, a dict key), as are e-mail addresses anywhere, and personal
  ``key=value`` / ``"key": value`` pairs inside query strings, form bodies and JSON text.
* Event names, property names, counts and non-personal values (plan, price, category, page names, and coarse
  location: country, region, city, also inside an address) stay readable. Well-known placeholder ids ("anonymous", "null", "0" ...) stay readable too: they
  identify nobody and are what a team must fix.

`protect_report` applies this to a finished report model (any field a producer adds included), except the
parts that are configuration rather than event data (subscriptions, recommendations, the translation log).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable
from urllib.parse import quote, quote_plus, unquote_plus

__all__ = [
    "MODES",
    "PERSONAL_KEYS",
    "PiiPolicy",
    "Pseudonymiser",
    "is_personal_key",
    "normalize_key",
    "protect_report",
]

MODES = ("mask", "keep")
PREFIX = "pii:"
DIGEST_HEX = 12  # 48 bits: collisions within one report are vanishingly unlikely
MIN_SUBSTRING = 4  # shorter raw values are replaced only where they are the whole string
METHOD = f"HMAC-SHA256, first {DIGEST_HEX * 4} bits, as {PREFIX}<hex>"


def normalize_key(key: Any) -> str:
    """``userId``, ``user_id`` and ``User-ID`` are one key: lower case, letters and digits only."""
    if key.__class__ is str:
        return _normalize_text(key)
    return _NOT_KEY_CHARS.sub("", str(key).lower())


_NOT_KEY_CHARS = re.compile(r"[^a-z0-9]")


@lru_cache(maxsize=8192)  # a report's keys are a few hundred names, met thousands of times
def _normalize_text(key: str) -> str:
    return _NOT_KEY_CHARS.sub("", key.lower())


# Personal wherever they occur (normalised names).
PERSONAL_KEYS = frozenset(
    # ids
    "userid anonymousid previousid groupid deviceid globaluserid groupvalue groups user "
    "advertisingid idfa idfv adid gaid aaid androidid androidappsetid appsetid "
    # contact and identity traits
    "email emailaddress phone phonenumber mobile mobilephone firstname lastname fullname username "
    "displayname birthday birthdate dateofbirth dob "
    # address
    "address streetaddress street address1 address2 addressline1 addressline2 line1 line2 postalcode "
    "postcode zip zipcode "
    # network and precise location
    "ip ipaddress clientip latitude longitude lat lng lon long locationlat locationlng".split()
)
# A key ending in one of these is personal too (customer_email, billing_phone, classic_device_id ...).
PERSONAL_SUFFIXES = ("userid", "deviceid", "anonymousid", "advertisingid", "email", "emailaddress", "phone",
                     "phonenumber", "firstname", "lastname", "fullname", "ipaddress")
# Personal only inside an identity object: traits.name, user_properties.id, context.device.id.
IDENTITY_CONTAINERS = frozenset({"traits", "contexttraits", "userproperties", "identification"})
IDENTITY_KEYS = frozenset({"name", "id", "avatar"})
DEVICE_CONTAINERS = frozenset({"device"})
DEVICE_KEYS = frozenset({"id", "name"})  # a device name is often "Jane's iPhone"

# Inside a personal object (an address) these stay readable: coarse location identifies nobody, Amplitude
# stores it as plain city/region/country fields, and charts break down by it. Street and postal code do not.
COARSE_KEYS = frozenset({"country", "countrycode", "city", "region", "state", "province"})
# Counts stay, even inside a personal field's breakdown ({"user_id": {"top": [{"value": ..., "count": 3}]}}).
COUNT_KEYS = frozenset({"count", "events", "matched", "n", "total", "share"})
# A dict holding one of these naming a personal field has personal values in its other keys.
NAMING_KEYS = ("field", "path", "key", "property", "trait")
# ... except for these, which are about the field, not its value.
DESCRIPTIVE_KEYS = frozenset(normalize_key(k) for k in (
    "reason", "title", "detail", "explanation", "kind", "category", "note", "message", "label", "status",
    "count", "events", "matched", "share", "n", "total", "peak_eps", "parity", "impact", "messageId",
    "event_name", "source",
))


def _placeholders() -> frozenset[str]:
    from migrate.detect import JUNK_IDS
    from migrate.amplitude import DEVICE_ID_PLACEHOLDERS

    return frozenset(JUNK_IDS) | frozenset(DEVICE_ID_PLACEHOLDERS)


PLACEHOLDERS = _placeholders()

# Bounded parts (RFC 5321 limits): linear time on long strings, which event data can hold.
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}(?:@|%40)[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,8}\.[A-Za-z]{2,24}")
# key=value in query strings and form bodies
_PARAM = re.compile(r"(?<![A-Za-z0-9_%])([A-Za-z][A-Za-z0-9_.\-\[\]]{0,63})=([^&#\s;\"']+)")
# "key": value in JSON text (a form field can hold a JSON document)
_JSON_PAIR = re.compile(r'"([^"\\]{1,64})"(\s*:\s*)("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)')
_PATH_PART = re.compile(r"[A-Za-z0-9_$\-@ ]+")


def is_personal_key(key: Any, ancestors: Iterable[str] = (), extra: frozenset[str] = frozenset()) -> bool:
    """Whether the value under `key` is personal; `ancestors` are the enclosing keys (normalised or not)."""
    if not isinstance(key, str):
        return False
    k = normalize_key(key)
    if not k:
        return False
    if k in PERSONAL_KEYS or k in extra or k.endswith(PERSONAL_SUFFIXES):
        return True
    # the enclosing object, looking through user-property operations ($set, $setOnce ...)
    parent = ""  # the last ancestor that is no operation
    for a in reversed(ancestors if isinstance(ancestors, (tuple, list)) else tuple(ancestors)):
        if not str(a).startswith("$"):
            parent = normalize_key(a)
            break
    if k in IDENTITY_KEYS and parent in IDENTITY_CONTAINERS:
        return True
    if k in DEVICE_KEYS and parent in DEVICE_CONTAINERS:
        return True
    return False


def _path_parts(path: str) -> list[str]:
    """'context.device.id', "root[0]['user_properties']['email']", 'products[0].email' -> key names."""
    return [p for p in _PATH_PART.findall(path) if not p.isdigit() and p != "root"]


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in PLACEHOLDERS


def _hashable(value: Any) -> bool:
    """Values that get a pseudonym: strings and numbers; None, booleans and placeholders identify nobody."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, str):
        return not _is_placeholder(value)
    return isinstance(value, (int, float))


@lru_cache(maxsize=256)
def _alternation(values: tuple[str, ...]) -> re.Pattern:
    body = "|".join(re.escape(v) for v in values)
    # whole tokens only: not inside a longer run of letters and digits
    return re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])")


class Pseudonymiser:
    """Keyed pseudonyms for personal values, and a scrubber for any JSON-like value."""

    def __init__(self, key: bytes | None = None, *, extra_keys: Iterable[str] = ()):
        self.stable = key is not None
        self._key = key if key is not None else secrets.token_bytes(32)
        self.extra_keys = tuple(sorted({k for k in extra_keys if k}))
        self._extra = frozenset(normalize_key(k) for k in self.extra_keys)

    @classmethod
    def from_salt(cls, salt: str | None, *, extra_keys: Iterable[str] = ()) -> "Pseudonymiser":
        """A given salt makes pseudonyms repeatable across runs; None makes a random per-run key."""
        if salt is None:
            return cls(extra_keys=extra_keys)
        key = hashlib.sha256(b"amplitude-migrate pii v1\0" + salt.encode("utf-8", "surrogatepass")).digest()
        return cls(key, extra_keys=extra_keys)

    # -- single values -----------------------------------------------------------------------------
    def pseudonym(self, value: Any) -> str:
        if isinstance(value, str):
            text = "s:" + value
        else:
            text = "j:" + json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
        digest = hmac.new(self._key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        return PREFIX + digest[:DIGEST_HEX]

    def is_personal(self, key: Any, ancestors: Iterable[str] = ()) -> bool:
        return is_personal_key(key, ancestors, self._extra)

    # -- whole documents ---------------------------------------------------------------------------
    def scrub(self, value: Any) -> Any:
        """A copy of `value` with every personal value pseudonymised (see the module documentation)."""
        found: dict[str, str] = {}
        self._collect(value, (), None, found)
        return _Scrub(self, found).walk(value, (), None)

    def scrub_many(self, values: Iterable[Any]) -> list[Any]:
        """Scrub several documents with one set of raw values (one report's sections)."""
        values = list(values)
        found: dict[str, str] = {}
        for v in values:
            self._collect(v, (), None, found)
        scrub = _Scrub(self, found)
        return [scrub.walk(v, (), None) for v in values]

    def _note(self, raw: Any, found: dict[str, str]) -> None:
        if not _hashable(raw):
            return
        alias = self.pseudonym(raw)
        text = raw if isinstance(raw, str) else json.dumps(raw)
        if not text:
            return
        # surrogatepass: a lone surrogate (valid JSON input) must not stop the report
        for variant in {text, quote(text, safe="", errors="surrogatepass"),
                        quote_plus(text, safe="", errors="surrogatepass")}:
            found.setdefault(variant, alias)

    def _personal_siblings(self, value: dict, ancestors: tuple) -> str | None:
        """For a dict naming a personal field ({"field": "userId", "value": ...}): 'pairs', else None."""
        for naming in NAMING_KEYS:
            named = value.get(naming)
            if isinstance(named, str) and named:
                parts = _path_parts(named)
                if parts and self.is_personal(parts[-1], (*ancestors, *parts[:-1])):
                    return "pairs"
        return None

    def _child_mode(self, key: Any, ancestors: tuple, mode: str | None, siblings: str | None) -> str | None:
        if mode in ("pairs", "row") and normalize_key(key) in DESCRIPTIVE_KEYS:
            return None
        if mode == "all" and normalize_key(key) in COARSE_KEYS | COUNT_KEYS:
            return None
        if mode is not None:
            return mode
        if self.is_personal(key, ancestors):
            return "all"
        if siblings and normalize_key(key) not in DESCRIPTIVE_KEYS and key not in NAMING_KEYS:
            return siblings
        return None

    def _collect(self, value: Any, ancestors: tuple, mode: str | None, found: dict[str, str]) -> None:
        if isinstance(value, dict):
            siblings = self._personal_siblings(value, ancestors) if mode is None else None
            for k, v in value.items():
                child = self._child_mode(k, ancestors, mode, siblings)
                self._collect(v, (*ancestors, str(k)), child, found)
        elif isinstance(value, (list, tuple)):
            for v, child in zip(value, _item_modes(value, mode)):
                if child is not _KEEP:
                    self._collect(v, ancestors, child, found)
        elif mode is not None:
            self._note(value, found)


_KEEP = "keep"


def _is_count_slot(seq, i: int) -> bool:
    """In [classic value, actions value, count] rows the last integer is a count, not a value."""
    return i == len(seq) - 1 and len(seq) >= 2 and isinstance(seq[i], int) and not isinstance(seq[i], bool)


def _item_modes(seq, mode: str | None) -> list:
    """The mode of each item of a list. Under a personal field, a list of lists is a table of rows such as
    [classic value, actions value, count]: the trailing integer of a row is a count and stays."""
    if mode is None:
        return [None] * len(seq)
    table = bool(seq) and all(isinstance(v, (list, tuple)) for v in seq)
    out = []
    for i in range(len(seq)):
        if mode in ("pairs", "row") and _is_count_slot(seq, i):
            out.append(_KEEP)
        elif table:
            out.append("row")
        else:
            out.append("pairs" if mode == "row" else mode)
    return out


class _Scrub:
    def __init__(self, owner: Pseudonymiser, found: dict[str, str]):
        self.owner = owner
        self.found = found
        self.long_values = tuple(sorted((v for v in found if len(v) >= MIN_SUBSTRING), key=lambda v: (-len(v), v)))
        self._minus_lengths = [-len(v) for v in self.long_values]  # ascending: bisect finds the values that fit
        self._texts: dict[str, str] = {}  # text -> its scrubbed form (texts repeat across a report)

    def walk(self, value: Any, ancestors: tuple, mode: str | None) -> Any:
        owner = self.owner
        if isinstance(value, dict):
            siblings = owner._personal_siblings(value, ancestors) if mode is None else None
            out = {}
            for k, v in value.items():
                child = owner._child_mode(k, ancestors, mode, siblings)
                new_key = self.text(k) if isinstance(k, str) else k
                out[new_key] = self.walk(v, (*ancestors, str(k)), child)
            return out
        if isinstance(value, (list, tuple)):
            return [v if child is _KEEP else self.walk(v, ancestors, child)
                    for v, child in zip(value, _item_modes(value, mode))]
        if mode is not None and _hashable(value):
            return owner.pseudonym(value)
        if isinstance(value, str):
            return self.text(value)
        return value

    def text(self, text: str) -> str:
        """Personal data inside free text: known raw values, e-mail addresses, personal key=value pairs."""
        if not text:
            return text
        done = self._texts.get(text)
        if done is None:
            done = self._texts[text] = self._text(text)
        return done

    def _text(self, text: str) -> str:
        alias = self.found.get(text)
        if alias is not None:
            return alias
        # a plain substring test first (only of the values no longer than the text): fast, and the pattern then
        # holds only the values this text contains
        start = bisect_left(self._minus_lengths, -len(text))
        present = tuple(v for v in self.long_values[start:] if v in text)
        if present:
            text = _alternation(present).sub(lambda m: self.found[m.group(0)], text)
        owner = self.owner
        if "@" in text or "%40" in text:
            text = _EMAIL.sub(lambda m: owner.pseudonym(unquote_plus(m.group(0))), text)
        if "=" in text:
            text = _PARAM.sub(self._param, text)
        if '"' in text and ":" in text:
            text = _JSON_PAIR.sub(self._json_pair, text)
        return text

    def _param(self, m: re.Match) -> str:
        name, raw = m.group(1), m.group(2)
        parts = _path_parts(name)
        if not parts or not self.owner.is_personal(parts[-1], parts[:-1]) or raw.startswith(PREFIX):
            return m.group(0)
        value = unquote_plus(raw)
        if not _hashable(value):
            return m.group(0)
        return f"{name}={quote(self.owner.pseudonym(value), safe=':')}"

    def _json_pair(self, m: re.Match) -> str:
        name, sep, raw = m.group(1), m.group(2), m.group(3)
        if not self.owner.is_personal(name):
            return m.group(0)
        try:
            value = json.loads(raw)
        except ValueError:
            return m.group(0)
        if not _hashable(value) or (isinstance(value, str) and value.startswith(PREFIX)):
            return m.group(0)
        return f'"{name}"{sep}{json.dumps(self.owner.pseudonym(value))}'


# -------------------------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class PiiPolicy:
    """How an output treats personal data: ``mask`` (pseudonymise) or ``keep`` (in clear)."""

    mode: str = "mask"
    extra_keys: tuple[str, ...] = ()
    salt: str | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"pii mode {self.mode!r}: expected one of {', '.join(MODES)}")

    @property
    def masks(self) -> bool:
        return self.mode == "mask"

    def pseudonymiser(self) -> Pseudonymiser:
        return Pseudonymiser.from_salt(self.salt, extra_keys=self.extra_keys)

    def describe(self) -> dict:
        """What the report says about its own handling of personal data (never the salt itself)."""
        if not self.masks:
            text = "kept in clear (--pii keep): do not share this report"
            return {"mode": "keep", "personal_data": text, "summary": text, "extra_keys": list(self.extra_keys)}
        key = ("derived from --pii-salt (pseudonyms repeat across runs with the same salt)" if self.salt
               else "random for this run (pseudonyms differ between runs)")
        extra = f", plus {', '.join(self.extra_keys)}" if self.extra_keys else ""
        return {
            "mode": "mask",
            "personal_data": "pseudonymised",
            "summary": f"pseudonymised: ids, contact details, names, street addresses, IP addresses and precise "
                       f"location{extra} appear as {PREFIX}<hash> (keyed HMAC-SHA256, key {key.split(' (')[0]})",
            "method": METHOD,
            "key": key,
            "extra_keys": list(self.extra_keys),
        }


# Top-level report sections that are configuration, not event data: left as they are (and tested to hold
# no event data). Everything else, including sections added later, is scrubbed.
REPORT_CONFIG_SECTIONS = frozenset(
    {"tool", "generated_at", "subscriptions", "recommendations", "translation_log", "translation_notes", "privacy",
     "modes"}
)


def protect_report(model: dict, policy: PiiPolicy) -> dict:
    """The report model as shared outputs may show it, with ``privacy`` saying how it was made."""
    if not policy.masks:
        return {**model, "privacy": policy.describe()}
    data_keys = [k for k in model if k not in REPORT_CONFIG_SECTIONS]
    scrubbed = policy.pseudonymiser().scrub_many(model[k] for k in data_keys)
    out = dict(model)
    out.update(zip(data_keys, scrubbed))
    out["privacy"] = policy.describe()
    return out
