"""JavaScript-compatible serialisation: what `JSON.stringify`, `String()` and `URLSearchParams` print.

The real runtime is Node, so byte-exact request bodies need JS rules, not Python's: integer-like object
keys come first in ascending order, integral floats print without `.0`, non-finite numbers become null,
and `undefined` values vanish from objects.
"""

from __future__ import annotations

import json
import math
import re

__all__ = ["UNDEFINED", "dumps", "js_string", "js_number", "url_search_params", "js_key_order"]


class _Undefined:
    """JavaScript `undefined`: a missing value, distinct from null (None)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self):
        return "UNDEFINED"


UNDEFINED = _Undefined()

# An array index key in JS: canonical decimal of an integer in [0, 2**32 - 2].
_INDEX_KEY = re.compile(r"0|[1-9][0-9]{0,9}")
_MAX_INDEX = 2**32 - 2


def _is_index_key(key: str) -> bool:
    return bool(_INDEX_KEY.fullmatch(key)) and int(key) <= _MAX_INDEX


def js_key_order(keys):
    """Keys in the order a JS object enumerates them: index keys ascending, then insertion order."""
    keys = list(keys)
    idx = [k for k in keys if _is_index_key(k)]
    if not idx:
        return keys
    idx.sort(key=int)
    return idx + [k for k in keys if not _is_index_key(k)]


def js_number(value: float | int) -> str:
    """`String(n)` / `JSON.stringify(n)` for a finite number (Number::toString, radix 10)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if abs(value) <= 2**53:
            return str(value)
        value = float(value)
    if value != value or value in (math.inf, -math.inf):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if value == 0:
        return "0"
    # repr gives the shortest round-trip digits, as ECMAScript requires; only the layout differs.
    r = repr(value)
    sign = "-" if r.startswith("-") else ""
    r = r.lstrip("-")
    if "e" in r:
        mant, exp = r.split("e")
        exp_i = int(exp)
    else:
        mant, exp_i = r, 0
    if "." in mant:
        ip, fp = mant.split(".")
    else:
        ip, fp = mant, ""
    fp = fp.rstrip("0")
    digits = (ip + fp).lstrip("0")
    # n: position of the decimal point relative to the digit string (ECMAScript's n)
    lead_zeros = len(ip + fp) - len((ip + fp).lstrip("0"))
    n = len(ip) + exp_i - lead_zeros
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        es = ("+" if e >= 0 else "-") + str(abs(e))
        out = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + es
    return sign + out


def js_string(value) -> str:
    """`String(value)` in JavaScript."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, (list, tuple)):
        # Array.prototype.join: null/undefined items print as ''
        return ",".join("" if v is None or v is UNDEFINED else js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


_encode_str = json.encoder.py_encode_basestring  # escapes only what JSON requires; keeps non-ASCII
try:  # the C accelerator gives the same output, faster
    from _json import encode_basestring as _encode_str  # type: ignore[no-redef]
except ImportError:  # pragma: no cover
    pass


def _dump(value, out: list) -> bool:
    """Append the JSON text of value; False when the value serialises to nothing (undefined).

    The reference form: every value through the general rules. `dumps` takes the fast path below, which
    must give the same text (tests/core/test_jsjson.py holds the two together)."""
    if isinstance(value, str):
        out.append(_encode_str(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(js_number(value))
    elif isinstance(value, float):
        out.append("null" if value != value or value in (math.inf, -math.inf) else js_number(value))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key in js_key_order(value.keys()):
            item = value[key]
            if item is UNDEFINED or callable(item):
                continue
            if not first:
                out.append(",")
            out.append(_encode_str(str(key)))
            out.append(":")
            _dump(item, out)
            first = False
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            if item is UNDEFINED or callable(item):
                out.append("null")
            else:
                _dump(item, out)
        out.append("]")
    elif value is UNDEFINED:
        return False
    else:
        raise TypeError(f"cannot serialise {type(value).__name__} as JSON")
    return True


# ---------------------------------------------------------------------------------------------------------
# fast path: plain dict / list / str / int / float / bool / None dispatched on the exact class; anything
# else (subclasses, tuples, undefined inside containers, callables) goes through `_dump` at that point.

_MAX_SAFE = 2**53
_KEY_TEXT: dict = {}  # object key -> ',"key":' (None: an array-index key, which changes the key order)
_KEY_TEXT_LIMIT = 8192


def _key_text(key):
    """',"key":' for a key enumerated in insertion order, else None (index keys, non-string keys)."""
    text = _KEY_TEXT.get(key)
    if text is not None or key.__class__ is not str:
        return text
    if key[:1].isdigit() and _is_index_key(key):
        return None
    text = "," + _encode_str(key) + ":"
    if len(_KEY_TEXT) < _KEY_TEXT_LIMIT:
        _KEY_TEXT[key] = text
    return text


def _float_text(value: float) -> str:
    if value - value != 0.0:  # NaN, Infinity
        return "null"
    text = repr(value)
    if "e" in text or value == 0:
        return js_number(value)
    # repr writes the shortest round-trip digits in plain notation here, as JS does, plus ".0" when integral
    return text[:-2] if text.endswith(".0") else text


def _fast_dict(d: dict, out: list) -> None:
    append = out.append
    mark = len(out)
    append("{")
    for key, item in d.items():
        text = _KEY_TEXT.get(key)
        if text is None:
            text = _key_text(key)
            if text is None:  # JS enumerates index keys first: the reference rules for this object
                del out[mark:]
                _dump(d, out)
                return
        cls = item.__class__
        if cls is str:
            append(text)
            append(_encode_str(item))
        elif cls is dict:
            append(text)
            _fast_dict(item, out)
        elif cls is int:
            append(text)
            append(str(item) if -_MAX_SAFE <= item <= _MAX_SAFE else js_number(item))
        elif cls is bool:
            append(text)
            append("true" if item else "false")
        elif item is None:
            append(text)
            append("null")
        elif cls is list:
            append(text)
            _fast_list(item, out)
        elif cls is float:
            append(text)
            append(_float_text(item))
        elif item is UNDEFINED or callable(item):
            continue
        else:
            append(text)
            _dump(item, out)
    if len(out) > mark + 1:
        out[mark + 1] = out[mark + 1][1:]  # the first key without its comma
    append("}")


def _fast_list(items: list, out: list) -> None:
    append = out.append
    append("[")
    first = True
    for item in items:
        if first:
            first = False
        else:
            append(",")
        cls = item.__class__
        if cls is str:
            append(_encode_str(item))
        elif cls is dict:
            _fast_dict(item, out)
        elif cls is int:
            append(str(item) if -_MAX_SAFE <= item <= _MAX_SAFE else js_number(item))
        elif cls is bool:
            append("true" if item else "false")
        elif item is None:
            append("null")
        elif cls is list:
            _fast_list(item, out)
        elif cls is float:
            append(_float_text(item))
        elif item is UNDEFINED or callable(item):
            append("null")
        else:
            _dump(item, out)
    append("]")


def dumps(value) -> str:
    """`JSON.stringify(value)`; returns 'undefined' text never: a top-level undefined raises."""
    out: list[str] = []
    cls = value.__class__
    if cls is dict:
        _fast_dict(value, out)
    elif cls is list:
        _fast_list(value, out)
    elif not _dump(value, out):
        raise ValueError("JSON.stringify(undefined) has no text")
    text = "".join(out)
    if text.isascii():
        return text
    # well-formed JSON.stringify writes lone surrogates as \udXXX escapes
    return _LONE_SURROGATE.sub(_escape_lone, text)


def dumps_reference(value) -> str:
    """`dumps` through the general rules only (the reference the fast path is tested against)."""
    out: list[str] = []
    if not _dump(value, out):
        raise ValueError("JSON.stringify(undefined) has no text")
    return _LONE_SURROGATE.sub(_escape_lone, "".join(out))


# In a Python str from JSON every surrogate code point is a lone one (pairs decode to one character).
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_lone(match) -> str:
    return "\\u%04x" % ord(match.group())


_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._")


def _form_encode(text: str) -> str:
    # application/x-www-form-urlencoded byte serializer (WHATWG URL standard)
    parts = []
    # URLSearchParams holds USVStrings: a lone surrogate becomes U+FFFD before UTF-8 encoding
    for b in _LONE_SURROGATE.sub("\ufffd", text).encode("utf-8"):
        if b in _SAFE:
            parts.append(chr(b))
        elif b == 0x20:
            parts.append("+")
        else:
            parts.append("%%%02X" % b)
    return "".join(parts)


def url_search_params(pairs) -> str:
    """`new URLSearchParams(obj).toString()`: pairs is a dict or a list of (name, value)."""
    items = [(k, pairs[k]) for k in js_key_order(pairs)] if isinstance(pairs, dict) else pairs
    return "&".join(_form_encode(js_string(k)) + "=" + _form_encode(js_string(v)) for k, v in items)
