"""JavaScript value semantics the mapping language relies on: types, truthiness, property access,
UTF-16 lengths, key order, `undefined` removal, and the errors of the language."""

from __future__ import annotations

import re

from actions.jsjson import UNDEFINED, js_key_order, js_string


ROOT_DIRECTIVE_KEY = "__segment_internal_directive"


MAX_PATTERN_LENGTH = 10


MAX_REPLACEMENT_LENGTH = 10


LIQUID_MAX_LENGTH = 1000


class MappingError(Exception):
    """A mapping failed while it was resolved (a plain `Error` in the runtime)."""

    js_name = "Error"


class ValidationError(MappingError):
    """The mapping is invalid; `errors` lists every message (the runtime aggregates per object)."""

    def __init__(self, errors: list[str], aggregate: bool = False):
        self.errors = list(errors)
        self.aggregate = aggregate
        super().__init__("\n".join(self.errors))

    @property
    def js_name(self) -> str:  # type: ignore[override]
        return "AggregateError" if self.aggregate else "ValidationError"


def real_type(value) -> str:
    """`realTypeOf` of the runtime: Object.prototype.toString, lower-cased."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__.lower()


def truthy(value) -> bool:
    """JavaScript truthiness: [] and {} are truthy, "", 0, NaN, null and undefined are not."""
    if value is None or value is UNDEFINED or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, str):
        return value != ""
    if isinstance(value, (int, float)):
        return value == value and value != 0
    return True


def _utf16_units(text: str) -> list[str]:
    """The UTF-16 code units of a string, each as a one-character str (JS indexes strings this way)."""
    if all(ord(c) < 0x10000 for c in text):
        return list(text)
    raw = text.encode("utf-16-le", "surrogatepass")
    return [chr(int.from_bytes(raw[i : i + 2], "little")) for i in range(0, len(raw), 2)]


def _utf16_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


_INDEX_RE = re.compile(r"0|[1-9][0-9]*")


def js_property(value, key: str):
    """`value[key]` in JavaScript for JSON values (arrays and strings by index, `length`), UNDEFINED when absent."""
    if isinstance(value, dict):
        return value.get(key, UNDEFINED)
    if isinstance(value, list):
        if _INDEX_RE.fullmatch(key):
            i = int(key)
            return value[i] if i < len(value) else UNDEFINED
        if key == "length":
            return len(value)
        return UNDEFINED
    if isinstance(value, str):
        if _INDEX_RE.fullmatch(key):
            units = _utf16_units(value)
            i = int(key)
            return units[i] if i < len(units) else UNDEFINED
        if key == "length":
            return _utf16_len(value)
        return UNDEFINED
    return UNDEFINED


_JS_WS = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def _js_trim(text: str) -> str:
    return text.strip(_JS_WS)


def _js_equal_empty_string(value) -> bool:
    """`value == ''` with JavaScript's loose equality (used by `@if blank`)."""
    if isinstance(value, str):
        return value == ""
    if value is True or value is False:
        return value is False
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, list):
        # an array compares through its string form (Array#join)
        return js_string(value) == ""
    return False  # objects print as "[object Object]"; null/undefined are never == ''


def _js_entries(value) -> list:
    """`Object.entries` for objects and arrays (JS key order: integer-like keys first)."""
    if isinstance(value, list):
        return [(str(i), v) for i, v in enumerate(value)]
    if any(_INDEX_RE.fullmatch(k) for k in value):
        return [(k, value[k]) for k in js_key_order(value)]
    return list(value.items())


def _object_spread(value) -> dict:
    """`{...value}` in JavaScript."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    if isinstance(value, str):
        return {str(i): c for i, c in enumerate(_utf16_units(value))}
    return {}


def _js_keys(value) -> list:
    """`Object.keys(value)` (throws for null/undefined like JS)."""
    if value is None or value is UNDEFINED:
        raise MappingError("Cannot convert undefined or null to object")
    if isinstance(value, dict):
        return list(value)
    if isinstance(value, list):
        return [str(i) for i in range(len(value))]
    if isinstance(value, str):
        return [str(i) for i in range(_utf16_len(value))]
    return []


def _is_directive(obj: dict) -> bool:
    has = False
    for key in obj:
        if key.startswith("@"):
            has = True
        elif key != "_metadata":
            return False
    return has


def _directive_name(obj: dict) -> str:
    for key in obj:
        if key.startswith("@"):
            return key
    raise AssertionError("not a directive")  # pragma: no cover


_CONTAINERS = (dict, list)


def _remove_undefined(value):
    """`removeUndefined`: fresh containers, object keys holding undefined dropped, array slots kept."""
    kind = type(value)
    if kind is dict:
        out = value.copy()  # a C-level copy, then only nested containers and undefined need work
        for key, item in value.items():
            item_kind = type(item)
            if item_kind is str or item_kind is int or item_kind is float or item_kind is bool or item is None:
                continue  # the usual values: nothing to do, without the tests below
            if item_kind is dict or item_kind is list:
                out[key] = _remove_undefined(item)
            elif item is UNDEFINED:
                del out[key]
            elif isinstance(item, _CONTAINERS):
                out[key] = _remove_undefined(item)
        return out
    if kind is list:
        return [_remove_undefined(item) if isinstance(item, _CONTAINERS) else item for item in value]
    if isinstance(value, dict):
        return _remove_undefined(dict(value))
    if isinstance(value, list):
        return _remove_undefined(list(value))
    return value


def _check_data(data):
    kind = real_type(data)
    if kind != "object":
        raise MappingError(f"data must be an object, got {kind}")
