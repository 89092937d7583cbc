"""The one rule for secrets: which keys hold credentials, how a value is masked, and where secrets hide.

Every output of amplitude-migrate goes through this module before it is printed, logged or written:
reports (HTML, Markdown, JSON, terminal), the JSON lines of `actions run` / `classic run`, error
messages, the translation log, Terraform output and the Segment Public API client's error texts.

The rule:

- A key names a credential when, lower-cased with separators removed, it is one of ``SECRET_KEY_NAMES``
  (``apiKey``, ``secret_key``, ``X-Api-Key``, ``Authorization``, ``access_token`` ...). Its value is masked
  at any depth, and so is the ``value`` of a ``{"key" | "name": <credential name>, "value": ...}`` pair
  (the translation log and header lists have that shape).
- A masked value is ``MASK``. Empty values (``None``, ``""``) stay as they are ("not set" reveals
  nothing), and so do numbers and booleans (an event named "Token" keeps its count).
- In free text (messages, URLs, request bodies as text) the rule masks: the known secret values of the
  run, ``Bearer``/``Basic`` credentials, ``key=value`` / ``"key": "value"`` fragments whose key names a
  credential, and the user-info part of URLs (``https://user:password@host``).
- A request written as data (`actions run`, `classic run`) keeps its shape: only the places that carry
  credentials (``api_key`` in the JSON body or form, the ``Authorization`` header) and known secret values
  are masked, so event data is never altered.
"""

from __future__ import annotations

import base64
import copy
import functools
import logging
import re
from typing import Any, Iterable

__all__ = [
    "LOG_FILTER",
    "MASK",
    "SECRET_KEY_NAMES",
    "is_masked",
    "is_secret_key",
    "known_secrets",
    "MaskingWriter",
    "mask_known",
    "mask_text",
    "mask_value",
    "redact",
    "redact_request",
    "secret_values",
]

MASK = "••••••••"

# Key names (lower-cased, separators removed) whose values are credentials.
SECRET_KEY_NAMES = frozenset({
    "apikey", "secretkey", "secret", "token", "authorization", "password", "clientsecret", "accesstoken",
    "refreshtoken", "authtoken", "bearertoken", "apitoken", "xapikey", "writekey", "privatekey",
    "proxyauthorization", "segmenttoken",
})

# Below this length a value is too common to be searched for as a known secret ("eu", "true").
MIN_KNOWN_LENGTH = 4

_SEPARATORS = re.compile(r"[^a-z0-9]")
_AUTH_SCHEME = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_KEY_VALUE = re.compile(
    r"""(?ix)(["']?\b(?:api[_-]?key|secret[_-]?key|access[_-]?token|token|authorization|password)["']?\s*[=:]\s*["']?)"""
    r"""([^&\s"',}]+)"""
)
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s:]+(?::[^/@\s]*)?@")


def is_secret_key(key: Any) -> bool:
    """True when a dict key or header name names a credential (case and separators ignored)."""
    return isinstance(key, str) and _names_secret(key)


@functools.lru_cache(maxsize=4096)  # the same few keys come back on every event
def _names_secret(key: str) -> bool:
    return _SEPARATORS.sub("", key.lower()) in SECRET_KEY_NAMES


_ALREADY_MASKED = re.compile(r"^(?:[•*]{4,}|.*•.*)$", re.S)


def is_masked(value: Any) -> bool:
    """True for a value that is already masked: ours (``MASK``) or Segment's (``••••••••••7d35``)."""
    return isinstance(value, str) and bool(_ALREADY_MASKED.match(value))


def mask_value(value: Any) -> Any:
    """The masked form of a credential's value: empty values, numbers and booleans stay as they are."""
    if value is None or value == "" or isinstance(value, (bool, int, float)):
        return value
    return MASK


def known_secrets(values: Iterable[Any]) -> tuple[str, ...]:
    """The secret strings worth searching for in text, longest first (so a longer secret is masked whole)."""
    found = {v for v in values if isinstance(v, str) and len(v) >= MIN_KNOWN_LENGTH and v != MASK}
    return tuple(sorted(found, key=len, reverse=True))


def secret_values(settings: Any) -> tuple[str, ...]:
    """The secret values a settings object (any depth) holds, plus the HTTP basic-auth encodings the engines
    derive from them (`base64(apiKey:secretKey)`), ready for `mask_text` / `redact` as ``known``."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            api_key, secret_key = value.get("apiKey"), value.get("secretKey")
            if isinstance(api_key, str) and api_key:  # what the engines send as HTTP basic auth
                pair = f"{api_key}:{secret_key if isinstance(secret_key, str) else ''}"
                found.append(base64.b64encode(pair.encode()).decode())
            for k, v in value.items():
                if is_secret_key(k) and isinstance(v, str):
                    found.append(v)
                else:
                    walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    walk(settings)
    return known_secrets(found)


def mask_text(text: str, known: Iterable[str] = ()) -> str:
    """Free text with known secret values, Bearer/Basic credentials, credential `key=value` fragments and
    URL user-info masked."""
    return _mask_text(text, known_secrets(known))


def _mask_text(text: str, known_t: tuple[str, ...]) -> str:
    """`mask_text` with `known_t` already from `known_secrets`. A pattern runs only on a text it can match: an
    ASCII text none of its words are in (lower-cased) cannot. A text that is not ASCII goes through every
    pattern (case-insensitive matching pairs a few non-ASCII letters with ASCII ones: the Kelvin sign with k,
    the long s with s, the dotless i with i), and so does a text an earlier step changed."""
    for secret in known_t:
        if secret in text:
            text = text.replace(secret, MASK)
    if text.isascii():
        low = text.lower()
        changed = False
        if "bearer" in low or "basic" in low:
            masked = _AUTH_SCHEME.sub(_auth_mask, text)
            changed = masked != text
            text = masked
        if changed or "key" in low or "token" in low or "authorization" in low or "password" in low:
            text = _KEY_VALUE.sub(_key_value_mask, text)
    else:
        text = _AUTH_SCHEME.sub(_auth_mask, text)
        text = _KEY_VALUE.sub(_key_value_mask, text)
    if "@" in text and "://" in text:  # the user-info pattern needs both
        text = _URL_USERINFO.sub(_userinfo_mask, text)
    return text


def _auth_mask(m: re.Match) -> str:
    return f"{m.group(1)} {MASK}"


def _key_value_mask(m: re.Match) -> str:
    return m.group(1) + MASK


def _userinfo_mask(m: re.Match) -> str:
    return f"{m.group(1)}{MASK}@"


# `redact` runs once per output of a report (JSON, HTML, Markdown, terminal) and a report's texts repeat: the
# masked form of each text is remembered, per set of known secrets (bounded)
@functools.lru_cache(maxsize=200_000)
def _masked_text(text: str, known_t: tuple[str, ...]) -> str:
    return _mask_text(text, known_t)


_IMMUTABLE = frozenset({int, float, bool, type(None)})


def redact(obj: Any, known: Iterable[str] = ()) -> Any:
    """A deep copy of ``obj`` with every secret masked by the rule above; ``obj`` itself is not changed.
    Dict keys are masked as text too, because event data can put anything there."""
    known_t = known_secrets(known)

    def walk(value: Any) -> Any:
        cls = value.__class__
        if cls is str:
            return _masked_text(value, known_t)
        if cls in _IMMUTABLE:
            return value
        if isinstance(value, dict):
            names_secret = any(is_secret_key(value.get(k)) for k in ("key", "name"))
            out = {}
            for k, v in value.items():
                new_key = _masked_text(k, known_t) if k.__class__ is str else mask_text(k, known_t) \
                    if isinstance(k, str) else k
                if is_secret_key(k) or (names_secret and k == "value"):
                    out[new_key] = mask_value(v)
                else:
                    out[new_key] = walk(v)
            return out
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        if isinstance(value, str):  # a str subclass: masked, not remembered
            return mask_text(value, known_t)
        return copy.copy(value)

    return walk(obj)


def mask_known(value: Any, known: Iterable[str]) -> Any:
    """A copy of ``value`` (any JSON data) with each of the ``known`` secret strings masked wherever it occurs;
    nothing else changes (for outputs that are data, such as the lines of `actions run`)."""
    known_t = known_secrets(known)

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            for secret in known_t:
                if secret in item:
                    item = item.replace(secret, MASK)
            return item
        if isinstance(item, dict):
            return {walk(k): walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    return walk(value) if known_t else value


@functools.lru_cache(maxsize=4096)  # the few keys of request bodies and headers
def _secret_name(key: str) -> bool:
    """Whether a key names a credential."""
    return _names_secret(key)


# `_names_secret` of the exact `str` keys of request parts seen so far (bounded): a look-up instead of a
# call. `_PLAIN_KEYS` holds those that name no credential: a part whose keys are all in it has nothing to mask
# (a key equal to one of them is that same text, or a `str` subclass, which `_mask_credentials` never looks at
# either), and `redact_request` leaves it as it is without calling `_mask_credentials`.
_KEY_NAMES_SECRET: dict[str, bool] = {}
_PLAIN_KEYS: set[str] = set()
_MAX_KEYS = 4096


def _learn_key(key: str) -> bool:
    secret = _names_secret(key)
    if len(_KEY_NAMES_SECRET) < _MAX_KEYS:
        _KEY_NAMES_SECRET[key] = secret
        if not secret:
            _PLAIN_KEYS.add(key)
    return secret


def _mask_credentials(part: Any) -> Any:
    if type(part) is not dict:
        return part
    for key in part:
        if type(key) is str and (_KEY_NAMES_SECRET[key] if key in _KEY_NAMES_SECRET else _learn_key(key)):
            out = dict(part)  # copy only when there is something to mask; in one step, then masked in place
            for k, v in part.items():
                if (type(k) is str or isinstance(k, str)) and _secret_name(k) \
                        and not (v is None or v == "" or isinstance(v, (bool, int, float))):  # `mask_value`
                    out[k] = MASK
            return out
    return part


def redact_request(request: dict, known: Iterable[str] = ()) -> dict:
    """A request (``{method, url, headers, json | form}``) with its credentials masked: ``api_key`` in the
    body or form, credential headers (``Authorization``), URL user-info and any known secret value; event
    data is kept."""
    out = dict(request)
    for part in ("json", "form", "headers"):
        if part in out:
            value = out[part]
            if type(value) is dict:  # what is no object has nothing to mask
                for key in value:
                    if key not in _PLAIN_KEYS:  # a key that may name a credential: the part looked at key by key
                        out[part] = _mask_credentials(value)
                        break
    url = out.get("url")
    if type(url) is str and "@" in url:
        out["url"] = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", url)
    return mask_known(out, known) if known else out


class LogFilter(logging.Filter):
    """Masks log messages by the rule, with the secret values the running command has read (`remember`).
    Attach it to a module's logger: `log.addFilter(masking.LOG_FILTER)`."""

    def __init__(self) -> None:
        super().__init__()
        self.known: tuple[str, ...] = ()

    def remember(self, values: Iterable[Any]) -> None:
        self.known = known_secrets((*self.known, *values))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message, self.known)
        if masked != message:
            record.msg, record.args = masked, None
        return True


LOG_FILTER = LogFilter()


class MaskingWriter:
    """A stream that masks the known secret values in everything written through it: text to a text stream,
    or UTF-8 bytes to a binary one (the JSON lines of `actions run` / `classic run`, written as orjson made
    them). Writers write whole lines or whole documents, so a secret is never split between two writes.

    Bytes are masked with each secret's UTF-8 form, in the same order (longest first). In valid UTF-8 a
    match can only start and end on character boundaries, so this replaces exactly what masking the decoded
    text would, and the output is the text result's encoding. A secret that cannot be UTF-8 (a lone
    surrogate) can occur in no valid UTF-8 output, as it can occur in no text written as UTF-8: it is looked
    for as its "surrogatepass" bytes, which never match either."""

    def __init__(self, stream, known: Iterable[str]):
        self._stream = stream
        self._known = known_secrets(known)
        self._known_bytes = tuple(secret.encode("utf-8", "surrogatepass") for secret in self._known)

    def write(self, text: str | bytes) -> int:
        if text.__class__ is bytes:
            for secret in self._known_bytes:
                if secret in text:
                    text = text.replace(secret, _MASK_BYTES)
        else:
            for secret in self._known:
                if secret in text:
                    text = text.replace(secret, MASK)
        return self._stream.write(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


_MASK_BYTES = MASK.encode("utf-8")
