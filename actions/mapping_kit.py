"""Mapping-kit: the directive language of Segment action mappings (`@path`, `@if`, `@template`, ...).

A port of the action runtime's mapping-kit, quirks included, because parity with the real runtime is
the point of this project: a falsy intermediate value ends a path walk and is returned as-is, option
checks use JavaScript truthiness on the raw option, missing values are `UNDEFINED` (not None) until the
end, and strings are formatted the way JavaScript's `String()` does.

Two ways in, one result:
- `transform(mapping, data)` validates, resolves and removes undefined values on every call, like the
  runtime's `transform`;
- `compile_mapping(mapping)` validates once and builds closures once; calling the result on an event
  gives exactly what `transform` gives, faster. The output never shares a dict or list with the input.

`remove_empty_values(payload, fields)` is the framework step run after mapping (drop nulls and empty
strings that the action's field schema does not accept).
"""

from __future__ import annotations

import json
import re

from actions.jsjson import UNDEFINED, dumps, js_key_order, js_string

__all__ = [
    "UNDEFINED",
    "DIRECTIVES",
    "MappingError",
    "ValidationError",
    "transform",
    "compile_mapping",
    "validate_mapping",
    "get_path",
    "js_property",
    "truthy",
    "render_template",
    "remove_empty_values",
    "remove_empty_values_schema",
    "fields_to_schema",
]

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


# ---------------------------------------------------------------------------------------------------
# JavaScript value helpers


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


# ---------------------------------------------------------------------------------------------------
# Path lookup (`get` of the runtime)

# Split at '.', at '[' before a quote or digit, and at runs of ']' after a quote or digit.
_PATH_SPLIT = re.compile(r"""\[(?=["'0-9])|\.|(?<=["'0-9])\]+""")
_PATH_CACHE: dict[str, tuple | None] = {}


def _path_keys(path: str) -> tuple | None:
    """Key tuple of a path; None means the root itself ('' and '.')."""
    keys = _PATH_CACHE.get(path)
    if keys is None and path not in _PATH_CACHE:
        if path == "" or path == ".":
            keys = None
        else:
            keys = tuple(p.replace("'", "").replace('"', "") for p in _PATH_SPLIT.split(path) if p)
        if len(_PATH_CACHE) > 4096:  # bounded: dynamic paths come from event data
            _PATH_CACHE.clear()
        _PATH_CACHE[path] = keys
    return keys


def _walk(obj, keys):
    """Follow keys; a falsy value met on the way is returned as-is (JS `prev && prev[key]`)."""
    if keys is None:
        return obj
    value = obj
    for key in keys:
        if type(value) is dict:
            value = value.get(key, UNDEFINED)
        elif not truthy(value):
            return value
        else:
            value = js_property(value, key)
    return value


def get_path(obj, path: str):
    """The runtime's `get(obj, path)` (no `$.` stripping: that is `@path`'s job)."""
    return _walk(obj, _path_keys(path))


# ---------------------------------------------------------------------------------------------------
# @template rendering

_TRIPLE = re.compile(r"\{\{\{([^}]+)\}\}\}")
_DOUBLE = re.compile(r"\{\{([^}]+)\}\}")


def _placeholder_text(value) -> str:
    if value is None or value is UNDEFINED:
        return ""
    if type(value) is str:
        return value
    return js_string(value)


def render_template(template: str, data) -> str:
    """`{{path}}` / `{{{path}}}` substitution: triple braces first, then double, on the result."""
    if data is UNDEFINED:
        data = {}

    def triple(match):
        return _placeholder_text(get_path(data, _js_trim(match.group(1))))

    def double(match):
        return _placeholder_text(get_path(data, _js_trim(match.group(1))))

    return _DOUBLE.sub(double, _TRIPLE.sub(triple, template))


# ---------------------------------------------------------------------------------------------------
# Validation (`validate.ts` of the runtime), with its exact messages


def _article(type_name: str) -> str:
    return "an" if type_name[:1] in ("a", "e", "i", "o", "u") else "a"


def _type_or_directive(value) -> str:
    kind = real_type(value)
    if kind == "object" and any(str(k).startswith("@") for k in value):
        return "directive"
    return kind


def _verr(message: str, stack: list) -> ValidationError:
    return ValidationError(["/" + "/".join(stack) + " " + message + "."])


def _flatten_errors(errors: list) -> list[str]:
    out: list[str] = []
    for err in errors:
        out.extend(err.errors)
    return out


def _v_directive(obj, stack):
    if not isinstance(obj, dict):
        kind = real_type(obj)
        raise _verr(f"should be a directive object but it is {_article(kind)} {kind}", stack)
    keys = list(obj)
    directive_keys = [k for k in keys if k.startswith("@")]
    if len(directive_keys) > 1:
        raise _verr(f"should only have one @-prefixed key but it has {len(directive_keys)} keys", stack)
    if any(not k.startswith("@") and k != "_metadata" for k in keys):
        raise _verr(f"should only have one @-prefixed key but it has {len(keys)} keys", stack)
    name = directive_keys[0]
    check = _VALIDATORS.get(name)
    if check is None:
        raise _verr(f"has an invalid directive: {name}", stack)
    check(obj[name], stack + [name])


def _v_directive_or_raw(value, stack):
    kind = _type_or_directive(value)
    if kind == "directive":
        _v_directive(value, stack)
    elif kind not in ("object", "array", "boolean", "string", "number", "null"):
        raise _verr(f"should be a mapping directive or a JSON value but it is {_article(kind)} {kind}", stack)


def _v_directive_or_string(value, stack):
    kind = _type_or_directive(value)
    if kind == "directive":
        _v_directive(value, stack)
    elif kind != "string":
        raise _verr(f"should be a string or a mapping directive but it is {_article(kind)} {kind}", stack)


def _v_directive_or_object(value, stack):
    kind = _type_or_directive(value)
    if kind == "directive":
        _v_directive(value, stack)
    elif kind == "object":
        _v_object(value, stack)
    else:
        raise _verr(f"should be a object or a mapping directive but it is {_article(kind)} {kind}", stack)


def _v_string(value, stack):
    kind = _type_or_directive(value)
    if kind != "string":
        raise _verr(f"should be a string but it is {_article(kind)} {kind}", stack)


def _v_string_length(low: int, high: int):
    def check(value, stack):
        if isinstance(value, str) and _utf16_len(value) < low:
            raise _verr(f"should be a string of length {low} or greater", stack)
        if isinstance(value, str) and _utf16_len(value) > high:
            raise _verr(f"should be a string of length {high} or less", stack)

    return check


def _v_allowed_strings(*allowed: str):
    def check(value, stack):
        _v_string(value, stack)
        if value.lower() not in allowed:
            raise _verr(f"should be one of {', '.join(allowed)} but it is {dumps(value)}", stack)

    return check


def _v_boolean(value, stack):
    kind = _type_or_directive(value)
    if kind != "boolean":
        raise _verr(f"should be a boolean but it is {_article(kind)} {kind}", stack)


def _v_array(value, stack):
    kind = real_type(value)
    if kind != "array":
        raise _verr(f"should be an array but it is {_article(kind)} {kind}", stack)


def _chain(*checks):
    def check(value, stack):
        for c in checks:
            c(value, stack)

    return check


def _v_object(value, stack):
    kind = _type_or_directive(value)
    if kind != "object":
        raise _verr(f"should be an object but it is {_article(kind)} {kind}", stack)
    errors = []
    for key, item in _js_entries(value):  # JS key order decides the order of the messages
        try:
            _validate(item, stack + [key])
        except ValidationError as err:
            errors.append(err)
    if errors:
        raise ValidationError(_flatten_errors(errors), aggregate=True)


def _v_object_with_fields(value, fields: dict, stack):
    _v_object(value, stack)
    errors = []
    for prop, (required, check) in fields.items():
        try:
            item = value.get(prop, UNDEFINED)
            if required:
                if item is UNDEFINED:
                    raise _verr(f"should have field {dumps(prop)} but it doesn't", stack)
                check(item, stack + [prop])
            elif item is not UNDEFINED:
                check(item, stack + [prop])
        except ValidationError as err:
            errors.append(err)
    if errors:
        raise ValidationError(_flatten_errors(errors), aggregate=True)


def _fields_validator(fields: dict):
    def check(value, stack):
        _v_object_with_fields(value, fields, stack)

    return check


def _v_array_path(value, stack):
    _v_array(value, stack)
    _v_directive_or_string(value[0] if len(value) > 0 else UNDEFINED, stack)
    _validate(value[1] if len(value) > 1 else UNDEFINED, stack)


def _v_merge(value, stack):
    _v_object_with_fields(
        value,
        {"direction": (False, _v_allowed_strings("left", "right")), "objects": (True, _v_array)},
        stack,
    )
    for item in value["objects"]:
        _v_directive_or_object(item, [])  # the runtime passes no stack here


_VALIDATORS = {
    "@if": _fields_validator(
        {"exists": (False, _v_directive_or_raw), "then": (False, _v_directive_or_raw), "else": (False, _v_directive_or_raw)}
    ),
    "@case": _fields_validator({"operator": (False, _v_string), "value": (False, _v_directive_or_string)}),
    "@replace": _fields_validator(
        {
            "pattern": (True, _chain(_v_string, _v_string_length(1, MAX_PATTERN_LENGTH))),
            "replacement": (False, _chain(_v_string, _v_string_length(0, MAX_REPLACEMENT_LENGTH))),
            "value": (True, _v_directive_or_string),
            "ignorecase": (False, _v_boolean),
            "global": (False, _v_boolean),
        }
    ),
    "@arrayPath": _v_array_path,
    "@path": _v_directive_or_string,
    "@json": _fields_validator(
        {"value": (True, _v_directive_or_raw), "mode": (True, _v_allowed_strings("encode", "decode"))}
    ),
    "@flatten": _fields_validator({"separator": (False, _v_string), "value": (True, _v_directive_or_raw)}),
    "@merge": _v_merge,
    "@template": _v_directive_or_string,
    "@literal": _v_directive_or_raw,
    "@transform": _fields_validator(
        {"apply": (True, _v_directive_or_object), "mapping": (True, _v_directive_or_object)}
    ),
    "@excludeWhenNull": _v_directive_or_raw,
    "@liquid": _v_string,
}


def _validate(mapping, stack):
    kind = _type_or_directive(mapping)
    if kind == "directive":
        _v_directive(mapping, stack)
    elif kind == "object":
        _v_object(mapping, stack)
    elif kind == "array":
        _v_array(mapping, stack)


def validate_mapping(mapping) -> None:
    """Raise `ValidationError` (every message in `.errors`) when the runtime would reject the mapping.

    Checked as `transform` checks it: after the top-level spread and the root-directive rewrite (whose
    own failures raise `MappingError`).
    """
    _validate(_mapping_to_process(mapping), [])


# ---------------------------------------------------------------------------------------------------
# Preparing the top level: object spread and the root directive


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


def _mapping_to_process(mapping):
    """`getMappingToProcess`: spread the mapping; a root directive receives the other keys as `mapping`."""
    keys = _js_keys(mapping)
    spread = _object_spread(mapping)
    if ROOT_DIRECTIVE_KEY not in keys:
        return spread
    customer = {k: v for k, v in spread.items() if k != ROOT_DIRECTIVE_KEY}
    root = spread[ROOT_DIRECTIVE_KEY]
    root_keys = _js_keys(root)
    if len(root_keys) > 1:
        raise MappingError("The root mapping must only have a single directive object")
    inner = js_property(root, root_keys[0]) if root_keys and truthy(root) else UNDEFINED
    if not isinstance(inner, (dict, list)):
        raise MappingError("The root directive must be an object")
    if isinstance(inner, dict):
        # the runtime assigns `rootDirective.mapping`; we build a new object instead of mutating
        with_mapping = {**inner, "mapping": customer}
        if isinstance(root, dict):
            return {root_keys[0]: with_mapping}
        return [with_mapping] + root[1:]
    return root


# ---------------------------------------------------------------------------------------------------
# Interpretive resolution (a direct port; `transform` uses it)


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


def _resolve(mapping, payload):
    if isinstance(mapping, dict):
        if _is_directive(mapping):
            name = _directive_name(mapping)
            fn = DIRECTIVES.get(name)
            if fn is None:
                raise MappingError(f"{name} is not a valid directive, got undefined")
            return fn(mapping[name], payload)
        return {key: _resolve(value, payload) for key, value in _js_entries(mapping)}
    if isinstance(mapping, list):
        return [_resolve(value, payload) for value in mapping]
    return mapping


_CONTAINERS = (dict, list)


def _remove_undefined(value):
    """`removeUndefined`: fresh containers, object keys holding undefined dropped, array slots kept."""
    kind = type(value)
    if kind is dict:
        out = value.copy()  # a C-level copy, then only nested containers and undefined need work
        for key, item in value.items():
            item_kind = type(item)
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


def _resolve_string_option(name: str, option, payload) -> str:
    value = _resolve(option, payload)
    if not isinstance(value, str):
        raise MappingError(f"{name}: expected string, got {real_type(value)}")
    return value


def _d_path(option, payload):
    path = _resolve_string_option("@path", option, payload)
    return get_path(payload, path.replace("$.", "", 1))


def _d_template(option, payload):
    return render_template(_resolve_string_option("@template", option, payload), payload)


def _d_literal(option, payload):
    return _resolve(option, payload)


def _if_condition(opts, payload) -> bool:
    if not truthy(opts.get("exists", UNDEFINED)) and not truthy(opts.get("blank", UNDEFINED)):
        raise MappingError('@if requires an "exists" key or a "blank" key')
    if opts.get("exists", UNDEFINED) is not UNDEFINED:
        value = _resolve(opts["exists"], payload)
        return value is not UNDEFINED and value is not None
    value = _resolve(opts["blank"], payload)
    return value is not UNDEFINED and value is not None and not _js_equal_empty_string(value)


def _d_if(opts, payload):
    if not isinstance(opts, dict):
        raise MappingError('@if requires an object with an "exists" key')
    condition = _if_condition(opts, payload)
    if condition and opts.get("then", UNDEFINED) is not UNDEFINED:
        return _resolve(opts["then"], payload)
    if not condition and truthy(opts.get("else", UNDEFINED)):
        return _resolve(opts["else"], payload)
    return UNDEFINED


def _change_case(value, operator):
    if isinstance(value, str):
        if operator == "lower":
            return value.lower()
        if operator == "upper":
            return value.upper()
        raise MappingError('operator key should have a value of "lower" or "upper"')
    return value


def _d_case(opts, payload):
    if not isinstance(opts, dict):
        raise MappingError('@case requires an object with a "operator" key')
    operator = opts.get("operator", UNDEFINED)
    if not truthy(operator):
        raise MappingError('@case requires a "operator" key')
    if truthy(opts.get("value", UNDEFINED)):
        return _change_case(_resolve(opts["value"], payload), operator)
    return UNDEFINED


def _js_upper_canon(ch: str) -> str:
    """Canonicalize of a non-unicode JS regex with the i flag (simple upper-casing, no ASCII capture)."""
    if ord(ch) > 0xFFFF:
        return ch
    up = ch.upper()
    if len(up) != 1 or (ord(ch) >= 128 and ord(up) < 128):
        return ch
    return up


def _expand_replacement(replacement: str, text: str, start: int, end: int) -> str:
    """JS `String#replace` substitution patterns for a pattern without capture groups."""
    if "$" not in replacement:
        return replacement
    out = []
    i = 0
    n = len(replacement)
    while i < n:
        ch = replacement[i]
        if ch == "$" and i + 1 < n:
            nxt = replacement[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "&":
                out.append(text[start:end])
                i += 2
                continue
            if nxt == "`":
                out.append(text[:start])
                i += 2
                continue
            if nxt == "'":
                out.append(text[end:])
                i += 2
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _literal_replace(value: str, pattern: str, replacement: str, is_global: bool, ignorecase: bool) -> str:
    """`value.replace(new RegExp(escaped(pattern), flags), replacement)`: a literal search."""
    if _utf16_len(pattern) > MAX_PATTERN_LENGTH:
        raise MappingError(f'@replace requires a "pattern" less than {MAX_PATTERN_LENGTH} characters')
    if _utf16_len(replacement) > MAX_REPLACEMENT_LENGTH:
        raise MappingError(f'@replace requires a "replacement" less than {MAX_REPLACEMENT_LENGTH} characters')
    if ignorecase:
        haystack = "".join(_js_upper_canon(c) for c in value)
        needle = "".join(_js_upper_canon(c) for c in pattern)
    else:
        haystack, needle = value, pattern
    out = []
    pos = 0
    while True:
        found = haystack.find(needle, pos)
        if found < 0:
            break
        end = found + len(needle)
        out.append(value[pos:found])
        out.append(_expand_replacement(replacement, value, found, end))
        pos = end
        if not is_global:
            break
    out.append(value[pos:])
    return "".join(out)


def _replace_settings(opts: dict):
    """Defaults the runtime writes into the options (replacement '', ignorecase false, global true)."""
    replacement = opts.get("replacement", UNDEFINED)
    if replacement is None or replacement is UNDEFINED:
        replacement = ""
    pattern2 = opts.get("pattern2", UNDEFINED)
    replacement2 = opts.get("replacement2", UNDEFINED)
    if truthy(pattern2) and (replacement2 is None or replacement2 is UNDEFINED):
        replacement2 = ""
    ignorecase = opts.get("ignorecase", UNDEFINED)
    if ignorecase is None or ignorecase is UNDEFINED:
        ignorecase = False
    is_global = opts.get("global", UNDEFINED)
    if is_global is None or is_global is UNDEFINED:
        is_global = True
    return opts.get("pattern"), replacement, pattern2, replacement2, ignorecase, is_global


def _apply_replace(value, settings) -> str:
    pattern, replacement, pattern2, replacement2, ignorecase, is_global = settings
    if value is True or value is False or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        value = js_string(value)
    if not (
        isinstance(value, str)
        and isinstance(pattern, str)
        and isinstance(replacement, str)
        and isinstance(ignorecase, bool)
        and isinstance(is_global, bool)
    ):
        return ""
    result = _literal_replace(value, pattern, replacement, is_global, ignorecase)
    if truthy(pattern2) and isinstance(pattern2, str) and isinstance(replacement2, str):
        result = _literal_replace(result, pattern2, replacement2, is_global, ignorecase)
    return result


def _check_replace(opts):
    if not isinstance(opts, dict):
        raise MappingError('@replace requires an object with a "pattern" key')
    if not truthy(opts.get("pattern", UNDEFINED)):
        raise MappingError('@replace requires a "pattern" key')


def _d_replace(opts, payload):
    _check_replace(opts)
    settings = _replace_settings(opts)
    if truthy(opts.get("value", UNDEFINED)):
        return _apply_replace(_resolve(opts["value"], payload), settings)
    return UNDEFINED


def _arrify(value) -> list:
    if value is None or value is UNDEFINED:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _shape_applies(root, shape) -> bool:
    return isinstance(root, (dict, list)) and isinstance(shape, dict) and len(shape) > 0


def _d_array_path(data, payload):
    if not isinstance(data, list):
        raise MappingError(f"@arrayPath expected array, got {real_type(data)}")
    path = data[0] if len(data) > 0 else UNDEFINED
    shape = data[1] if len(data) > 1 else UNDEFINED
    if isinstance(path, str):
        root = get_path(payload, path.replace("$.", "", 1))
    else:
        root = _resolve(path, payload)
    if _shape_applies(root, shape):
        return [_resolve(shape, item) for item in _arrify(root)]
    return root


def _js_entries(value) -> list:
    """`Object.entries` for objects and arrays (JS key order: integer-like keys first)."""
    if isinstance(value, list):
        return [(str(i), v) for i, v in enumerate(value)]
    if any(_INDEX_RE.fullmatch(k) for k in value):
        return [(k, value[k]) for k in js_key_order(value)]
    return list(value.items())


def _flatten_object(value, prefix: str, separator: str, omit_arrays: bool, out: dict) -> None:
    if isinstance(value, dict) or (not omit_arrays and isinstance(value, list)):
        for key, item in _js_entries(value):
            _flatten_object(item, f"{prefix}{separator}{key}" if prefix else key, separator, omit_arrays, out)
        return
    out[prefix] = value


def _flatten_settings(opts):
    if not isinstance(opts, dict):
        raise MappingError('@flatten requires an object with a "separator" key')
    if not truthy(opts.get("separator", UNDEFINED)):
        raise MappingError('@flatten requires a "separator" key')


def _d_flatten(opts, payload):
    _flatten_settings(opts)
    separator = _resolve(opts["separator"], payload)
    if not isinstance(separator, str):
        raise MappingError("@flatten requires a string separator")
    value = _resolve(opts.get("value", UNDEFINED), payload)
    out: dict = {}
    _flatten_object(value, "", separator, truthy(opts.get("omitArrays", UNDEFINED)), out)
    return out


def _json_number(text: str):
    number = float(text)
    if number.is_integer() and abs(number) <= 2**53:
        return int(number)
    return number


def _json_int(text: str):
    number = int(text)
    return number if abs(number) <= 2**53 else float(number)


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def _json_decode(text: str):
    """`JSON.parse`: strict JSON (no NaN/Infinity); numbers as JS doubles; failure returns the text."""
    try:
        return json.loads(text, parse_float=_json_number, parse_int=_json_int, parse_constant=_reject_constant)
    except ValueError:
        return text
    except RecursionError:
        return text


def _check_json(opts):
    if not isinstance(opts, dict):
        raise MappingError('@json requires an object with a "value" key')
    if not truthy(opts.get("mode", UNDEFINED)):
        raise MappingError('@json requires a "mode" key')
    if not truthy(opts.get("value", UNDEFINED)):
        raise MappingError('@json requires a "value" key')


def _apply_json(mode, value):
    if mode == "encode":
        if value is UNDEFINED:
            return UNDEFINED
        return dumps(value)
    if mode == "decode":
        if isinstance(value, str):
            return _json_decode(value)
        return value
    return UNDEFINED


def _d_json(opts, payload):
    _check_json(opts)
    return _apply_json(opts["mode"], _resolve(opts["value"], payload))


def _object_assign(sources) -> dict:
    """`Object.assign({}, ...sources)`."""
    out: dict = {}
    for source in sources:
        if isinstance(source, dict):
            out.update(source)
        elif isinstance(source, list):
            for i, item in enumerate(source):
                out[str(i)] = item
        elif isinstance(source, str):
            for i, unit in enumerate(_utf16_units(source)):
                out[str(i)] = unit
    return out


def _check_merge(opts):
    if not isinstance(opts, dict):
        raise MappingError('@merge requires an object with an "objects" key and a "direction" key')
    if not truthy(opts.get("direction", UNDEFINED)):
        raise MappingError('@merge requires a "direction" key')


def _check_merge_objects(objects):
    if not truthy(objects):
        raise MappingError('@merge requires a "objects" key')
    if not isinstance(objects, list):
        kind = real_type(objects)
        raise MappingError(f"@merge: expected opts.array, got {'object' if kind in ('object', 'null') else kind}")


def _d_merge(opts, payload):
    _check_merge(opts)
    direction = _resolve(opts["direction"], payload)
    objects = opts.get("objects", UNDEFINED)
    _check_merge_objects(objects)
    resolved = [_resolve(v, payload) for v in objects]
    if direction == "left":
        resolved.reverse()
    return _object_assign(resolved)


def _check_transform(opts):
    if not isinstance(opts, dict):
        raise MappingError('@transform requires an object with an "apply" key and a "mapping" key')
    if not truthy(opts.get("mapping", UNDEFINED)):
        raise MappingError('@transform requires a "mapping" key')
    if not truthy(opts.get("apply", UNDEFINED)):
        raise MappingError('@transform requires a "apply" key')
    if not isinstance(opts["apply"], dict):
        raise MappingError('@transform "apply" key should be an object')


def _d_transform(opts, payload):
    _check_transform(opts)
    new_payload = transform(opts["apply"], payload)
    return _resolve(opts["mapping"], new_payload)


def _clean_nulls(value):
    """`@excludeWhenNull`: null-valued keys become undefined, nested objects too; arrays untouched."""
    if isinstance(value, dict):
        out = dict(value)
        for key, item in value.items():
            if item is None:
                out[key] = UNDEFINED
            elif isinstance(item, dict):
                out[key] = _clean_nulls(item)
        return out
    return value


def _d_exclude_when_null(value, payload):
    resolved = _resolve(value, payload)
    if resolved is None:
        return UNDEFINED
    return _clean_nulls(resolved)


_LIQUID_DISABLED_TAGS = ("case", "for", "include", "layout", "render", "tablerow")
_LIQUID_DISABLED_FILTERS = (
    "array_to_sentence_string", "concat", "find", "find_exp", "find_index", "find_index_exp", "group_by",
    "group_by_exp", "has", "has_exp", "map", "newline_to_br", "reject", "reject_exp", "reverse", "sort",
    "sort_natural", "uniq", "where_exp", "type",
)  # fmt: skip
_liquid_env = None


def _liquid_environment():
    """A Liquid engine restricted like the runtime's (same disabled tags and filters)."""
    global _liquid_env
    if _liquid_env is not None:
        return _liquid_env
    try:
        import liquid
        from liquid.exceptions import LiquidSyntaxError
        from liquid.tag import Tag
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise MappingError("@liquid needs the package python-liquid (pip install python-liquid)") from err

    def disabled_tag(tag_name):
        class Disabled(Tag):
            name = tag_name
            block = False

            def parse(self, stream):
                raise LiquidSyntaxError(f'tag "{tag_name}" is disabled', token=stream.current)

        return Disabled

    def disabled_filter(filter_name):
        def fail(*_args, **_kwargs):
            raise MappingError(f'filter "{filter_name}" is disabled')

        return fail

    env = liquid.Environment(strict_filters=False)  # LiquidJS ignores unknown filters by default
    for tag in _LIQUID_DISABLED_TAGS:
        env.tags[tag] = disabled_tag(tag)(env)
    for name in _LIQUID_DISABLED_FILTERS:
        env.filters[name] = disabled_filter(name)
    _liquid_env = env
    return env


def _d_liquid(template, payload):
    if not isinstance(template, str):
        raise MappingError("liquid template value must be a string")
    if template == "":
        return ""
    if _utf16_len(template) > LIQUID_MAX_LENGTH:
        raise MappingError(f"liquid template values are limited to {LIQUID_MAX_LENGTH} characters")
    env = _liquid_environment()
    data = payload if isinstance(payload, dict) else {}
    try:
        return env.from_string(template).render(**{str(k): v for k, v in data.items()})
    except MappingError:
        raise
    except Exception as err:  # the engine's own errors become mapping errors with its message
        raise MappingError(str(err)) from err


DIRECTIVES = {
    "@if": _d_if,
    "@case": _d_case,
    "@replace": _d_replace,
    "@arrayPath": _d_array_path,
    "@path": _d_path,
    "@template": _d_template,
    "@literal": _d_literal,
    "@flatten": _d_flatten,
    "@json": _d_json,
    "@merge": _d_merge,
    "@transform": _d_transform,
    "@excludeWhenNull": _d_exclude_when_null,
    "@liquid": _d_liquid,
}


def _check_data(data):
    kind = real_type(data)
    if kind != "object":
        raise MappingError(f"data must be an object, got {kind}")


def transform(mapping, data=UNDEFINED):
    """Validate the mapping, resolve it against `data` and drop undefined values (the runtime's `transform`)."""
    if data is UNDEFINED:
        data = {}
    _check_data(data)
    to_process = _mapping_to_process(mapping)
    _validate(to_process, [])
    return _remove_undefined(_resolve(to_process, data))


# ---------------------------------------------------------------------------------------------------
# Compilation: the same semantics as `_resolve`, with the static work done once.
#
# `_compile(node, out)` returns fn(payload). With out=False fn returns the raw value the runtime's
# `resolve` returns (may contain UNDEFINED, may share containers with the payload). With out=True the
# node sits where only `removeUndefined` will look at it, so fn returns removeUndefined(raw) directly:
# fresh containers, no undefined object values. That skips a final pass over the output.


def _const(value, out: bool):
    if out and isinstance(value, (dict, list)):
        snapshot = _remove_undefined(value)
        return lambda payload: _remove_undefined(snapshot)
    snapshot = _remove_undefined(value) if isinstance(value, (dict, list)) else value
    return lambda payload: snapshot


def _has_directive(value) -> bool:
    if isinstance(value, dict):
        if _is_directive(value):
            return True
        return any(_has_directive(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_directive(v) for v in value)
    return False


def _compile(node, out: bool):
    if isinstance(node, dict):
        if _is_directive(node):
            name = _directive_name(node)
            builder = _BUILDERS.get(name)
            if builder is None:
                if name not in DIRECTIVES:
                    message = f"{name} is not a valid directive, got undefined"

                    def unknown(payload):
                        raise MappingError(message)

                    return unknown
                fn = _generic_builder(name, node[name])
                return _finish(fn, out)
            return builder(node[name], out)
        if not _has_directive(node):
            return _const(node, out)
        return _compile_object(node, out)
    if isinstance(node, list):
        if not _has_directive(node):
            return _const(node, out)
        fns = [_compile(v, out) for v in node]
        return lambda payload: [fn(payload) for fn in fns]
    return lambda payload: node


def _finish(fn, out: bool):
    """Wrap a raw-producing fn for an output position."""
    if not out:
        return fn

    def clean(payload):
        value = fn(payload)
        return _remove_undefined(value) if isinstance(value, _CONTAINERS) else value

    return clean


def _generic_builder(name, option):
    impl = DIRECTIVES[name]
    return lambda payload: impl(option, payload)


def _path_step(value, key):
    """One step of a path walk from a value that is not a plain object."""
    return js_property(value, key) if truthy(value) else value


class _ObjectCodegen:
    """Generate one straight-line function for an object node of a mapping.

    Preset mappings are dozens of `@path` fields sharing prefixes (`context.device.*`): every distinct
    prefix is looked up once, at the top of the function (lookups are pure and cannot fail). Nested
    plain objects, `@literal` and `@if` are emitted inline, in JS key order, with lazy `@if` branches;
    any other directive is a call to its compiled closure at the same place.
    """

    def __init__(self):
        self.namespace = {
            "U": UNDEFINED,
            "C": _CONTAINERS,
            "clean": _remove_undefined,
            "step": _path_step,
            "blank": _js_equal_empty_string,
        }
        self.head: list[str] = []
        self.body: list[str] = []
        self.prefixes: dict[tuple, str] = {(): "payload"}
        self.count = 0

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def bind(self, value, prefix: str) -> str:
        name = self.fresh(prefix)
        self.namespace[name] = value
        return name

    def path(self, keys: tuple) -> str:
        if keys in self.prefixes:
            return self.prefixes[keys]
        parent = self.path(keys[:-1])
        name = self.fresh("p")
        self.prefixes[keys] = name
        key = self.bind(keys[-1], "k")
        self.head.append(
            f"    {name} = {parent}.get({key}, U) if type({parent}) is dict "
            f"else ({parent} if {parent} is U or {parent} is None else step({parent}, {key}))"
        )
        return name

    def emit(self, line: str, depth: int) -> None:
        self.body.append("    " * depth + line)

    def node(self, value, out: bool, depth: int) -> str:
        """Emit code computing `value`; return the name holding it."""
        if isinstance(value, dict) and _is_directive(value):
            name = _directive_name(value)
            option = value[name]
            if name == "@path" and isinstance(option, str):
                source = self.path(_path_keys(option.replace("$.", "", 1)) or ())
                if not out:
                    return source
                result = self.fresh("x")
                self.emit(f"{result} = clean({source}) if isinstance({source}, C) else {source}", depth)
                return result
            if name == "@literal":
                return self.node(option, out, depth)
            if name == "@if" and isinstance(option, dict) and (
                truthy(option.get("exists", UNDEFINED)) or truthy(option.get("blank", UNDEFINED))
            ):
                return self.branch(option, out, depth)
        elif isinstance(value, dict) and _has_directive(value):
            result = self.fresh("r")
            self.emit(f"{result} = {{}}", depth)
            for key, child in _js_entries(value):
                source = self.node(child, out, depth)
                out_key = self.bind(key, "o")
                if out:
                    self.emit(f"if {source} is not U:", depth)
                    self.emit(f"    {result}[{out_key}] = {source}", depth)
                else:
                    self.emit(f"{result}[{out_key}] = {source}", depth)
            return result
        elif value is None or isinstance(value, (str, int, float)):
            return self.bind(value, "c")
        fn = self.bind(_compile(value, out), "f")
        result = self.fresh("x")
        self.emit(f"{result} = {fn}(payload)", depth)
        return result

    def branch(self, option: dict, out: bool, depth: int) -> str:
        use_exists = option.get("exists", UNDEFINED) is not UNDEFINED
        test = self.node(option["exists"] if use_exists else option["blank"], False, depth)
        condition = f"{test} is not U and {test} is not None"
        if not use_exists:
            condition += f" and not blank({test})"
        result = self.fresh("b")
        self.emit(f"if {condition}:", depth)
        if option.get("then", UNDEFINED) is not UNDEFINED:
            self.emit(f"{result} = {self.node(option['then'], out, depth + 1)}", depth + 1)
        else:
            self.emit(f"{result} = U", depth + 1)
        self.emit("else:", depth)
        if truthy(option.get("else", UNDEFINED)):
            self.emit(f"{result} = {self.node(option['else'], out, depth + 1)}", depth + 1)
        else:
            self.emit(f"{result} = U", depth + 1)
        return result

    def build(self, value, out: bool):
        result = self.node(value, out, 1)
        source = "\n".join(["def build(payload):", *self.head, *self.body, f"    return {result}"])
        exec(compile(source, "<mapping>", "exec"), self.namespace)  # noqa: S102 - code generated above
        return self.namespace["build"]


def _compile_object(node: dict, out: bool):
    return _ObjectCodegen().build(node, out)


def _b_path(option, out):
    if isinstance(option, str):
        keys = _path_keys(option.replace("$.", "", 1))
        if out:

            def path_out(payload):
                value = _walk(payload, keys)
                return _remove_undefined(value) if isinstance(value, _CONTAINERS) else value

            return path_out
        return lambda payload: _walk(payload, keys)
    inner = _compile(option, False)

    def dynamic(payload):
        path = inner(payload)
        if not isinstance(path, str):
            raise MappingError(f"@path: expected string, got {real_type(path)}")
        return get_path(payload, path.replace("$.", "", 1))

    return _finish(dynamic, out)


def _compile_template(template: str):
    """Pre-split a template whose first (triple-brace) pass has nothing to replace."""
    if _TRIPLE.search(template):
        return lambda payload: render_template(template, payload)
    parts = []
    pos = 0
    for match in _DOUBLE.finditer(template):
        if match.start() > pos:
            parts.append(template[pos : match.start()])
        parts.append(_path_keys(_js_trim(match.group(1))) or ())
        pos = match.end()
    if pos < len(template):
        parts.append(template[pos:])
    if not any(isinstance(p, tuple) for p in parts):
        return lambda payload: template

    def render(payload):
        if payload is UNDEFINED:
            payload = {}
        chunks = []
        for part in parts:
            if type(part) is str:
                chunks.append(part)
            else:
                value = _walk(payload, part or None)
                chunks.append(value if type(value) is str else _placeholder_text(value))
        return "".join(chunks)

    return render


def _b_template(option, out):
    if isinstance(option, str):
        return _compile_template(option)
    inner = _compile(option, False)

    def dynamic(payload):
        template = inner(payload)
        if not isinstance(template, str):
            raise MappingError(f"@template: expected string, got {real_type(template)}")
        return render_template(template, payload)

    return dynamic


def _b_literal(option, out):
    return _compile(option, out)


def _b_if(opts, out):
    if not isinstance(opts, dict):

        def not_object(payload):
            raise MappingError('@if requires an object with an "exists" key')

        return not_object
    if not truthy(opts.get("exists", UNDEFINED)) and not truthy(opts.get("blank", UNDEFINED)):

        def missing(payload):
            raise MappingError('@if requires an "exists" key or a "blank" key')

        return missing
    use_exists = opts.get("exists", UNDEFINED) is not UNDEFINED
    test = _compile(opts["exists"] if use_exists else opts["blank"], False)
    has_then = opts.get("then", UNDEFINED) is not UNDEFINED
    then_fn = _compile(opts["then"], out) if has_then else None
    else_fn = _compile(opts["else"], out) if truthy(opts.get("else", UNDEFINED)) else None

    def run(payload):
        value = test(payload)
        if use_exists:
            condition = value is not UNDEFINED and value is not None
        else:
            condition = value is not UNDEFINED and value is not None and not _js_equal_empty_string(value)
        if condition:
            return then_fn(payload) if then_fn is not None else UNDEFINED
        return else_fn(payload) if else_fn is not None else UNDEFINED

    return run


def _b_array_path(data, out):
    if not isinstance(data, list):
        message = f"@arrayPath expected array, got {real_type(data)}"

        def not_array(payload):
            raise MappingError(message)

        return not_array
    path = data[0] if len(data) > 0 else UNDEFINED
    shape = data[1] if len(data) > 1 else UNDEFINED
    if isinstance(path, str):
        keys = _path_keys(path.replace("$.", "", 1))

        def root_fn(payload):
            return _walk(payload, keys)

    else:
        root_fn = _compile(path, False)
    shape_fn = _compile(shape, out) if isinstance(shape, dict) and len(shape) > 0 else None

    def run(payload):
        root = root_fn(payload)
        if shape_fn is not None and isinstance(root, _CONTAINERS):
            return [shape_fn(item) for item in (root if isinstance(root, list) else [root])]
        if out and isinstance(root, _CONTAINERS):
            return _remove_undefined(root)
        return root

    return run


def _b_case(opts, out):
    if not isinstance(opts, dict) or not truthy(opts.get("operator", UNDEFINED)):
        return _generic_builder("@case", opts)
    operator = opts["operator"]
    if not truthy(opts.get("value", UNDEFINED)):
        return lambda payload: UNDEFINED
    value_fn = _compile(opts["value"], False)
    return _finish(lambda payload: _change_case(value_fn(payload), operator), out)


def _b_replace(opts, out):
    if not isinstance(opts, dict) or not truthy(opts.get("pattern", UNDEFINED)):
        return _generic_builder("@replace", opts)
    settings = _replace_settings(opts)
    if not truthy(opts.get("value", UNDEFINED)):
        return lambda payload: UNDEFINED
    value_fn = _compile(opts["value"], False)
    return lambda payload: _apply_replace(value_fn(payload), settings)


def _b_exclude_when_null(value, out):
    inner = _compile(value, False)

    def run(payload):
        resolved = inner(payload)
        if resolved is None:
            return UNDEFINED
        return _clean_nulls(resolved)

    return _finish(run, out)


def _b_json(opts, out):
    try:
        _check_json(opts)
    except MappingError:
        return _generic_builder("@json", opts)
    mode = opts["mode"]
    value_fn = _compile(opts["value"], False)
    return _finish(lambda payload: _apply_json(mode, value_fn(payload)), out)


def _b_transform(opts, out):
    try:
        _check_transform(opts)
    except MappingError:
        return _generic_builder("@transform", opts)
    try:
        apply_fn = compile_mapping(opts["apply"])
    except MappingError as err:  # validation of `apply` happens when the directive runs
        failure = err

        def invalid(payload):
            _check_data(payload)
            raise failure

        return invalid
    mapping_fn = _compile(opts["mapping"], out)
    return lambda payload: mapping_fn(apply_fn(payload))


_BUILDERS = {
    "@path": _b_path,
    "@template": _b_template,
    "@literal": _b_literal,
    "@if": _b_if,
    "@arrayPath": _b_array_path,
    "@case": _b_case,
    "@replace": _b_replace,
    "@excludeWhenNull": _b_exclude_when_null,
    "@json": _b_json,
    "@transform": _b_transform,
}


def compile_mapping(mapping):
    """Validate once and return fn(data) giving exactly `transform(mapping, data)`."""
    to_process = _mapping_to_process(mapping)
    _validate(to_process, [])
    fn = _compile(to_process, True)

    def apply(data=UNDEFINED):
        if data is UNDEFINED:
            data = {}
        if type(data) is not dict:
            _check_data(data)
        return fn(data)

    return apply


# ---------------------------------------------------------------------------------------------------
# removeEmptyValues: after mapping, with the action's field schema


def _as_list(value) -> list:
    if value is None or value is UNDEFINED:
        return []
    return value if isinstance(value, list) else [value]


def remove_empty_values_schema(obj, schema: dict | None = None, is_root: bool = False):
    """`removeEmptyValues(obj, jsonSchema, isRoot)` of the runtime; returns a new value, UNDEFINED when dropped."""
    schema = schema or {}
    if not truthy(schema.get("type", UNDEFINED)) and not truthy(schema.get("enum", UNDEFINED)):
        return obj
    if isinstance(obj, list):
        items = schema.get("items", UNDEFINED)
        if not truthy(items):
            return obj
        return [item for item in obj if remove_empty_values_schema(item, items) is not UNDEFINED]
    if isinstance(obj, dict):
        properties = schema.get("properties", UNDEFINED)
        if not truthy(properties):
            return obj
        result = {}
        for key, value in obj.items():
            value = remove_empty_values_schema(value, properties.get(key))
            if value is UNDEFINED:
                continue
            if is_root and value == "" and isinstance(value, str):
                continue
            result[key] = value
        return result
    types = _as_list(schema.get("type"))
    if obj is None and "null" not in types:
        return UNDEFINED
    if isinstance(obj, str) and obj == "" and "string" not in types:
        return UNDEFINED
    return obj


_JSON_TYPES = {"string": "string", "text": "string", "password": "string", "datetime": ["string", "number"]}


def _field_flag(field: dict, *names):
    for name in names:
        if name in field:
            return field[name]
    return None


def fields_to_schema(fields: dict) -> dict:
    """The parts of the runtime's `fieldsToJsonSchema` that `removeEmptyValues` reads (type, enum, items, properties)."""
    properties = {}
    for key, field in fields.items():
        field_type = field.get("type")
        schema_type = _JSON_TYPES.get(field_type, field_type)
        schema: dict = {"type": schema_type}
        choices = field.get("choices")
        if choices:
            schema["enum"] = [c.get("value") if isinstance(c, dict) else c for c in choices]
        if _field_flag(field, "allow_null", "allowNull"):
            schema["type"] = (schema_type if isinstance(schema_type, list) else [schema_type]) + ["null"]
            if "enum" in schema:
                schema["enum"] = schema["enum"] + [None]
        multiple = bool(field.get("multiple"))
        if multiple:
            schema["items"] = {"type": schema_type}
            schema["type"] = "array"
            if "enum" in schema:
                schema["items"]["enum"] = schema.pop("enum")
        nested = field.get("properties")
        if schema_type == "object" and nested:
            sub = fields_to_schema(nested)
            if multiple:
                schema["items"] = sub
            else:
                schema.update(sub)  # the runtime spreads the nested schema: type becomes "object"
        properties[key] = schema
    return {"type": "object", "properties": properties}


_SCHEMA_CACHE: dict[int, tuple] = {}


def remove_empty_values(payload, fields: dict):
    """The framework's `removeEmptyValues(payload, fieldsToJsonSchema(fields), isRoot=True)`."""
    cached = _SCHEMA_CACHE.get(id(fields))
    if cached is None or cached[0] is not fields:
        if len(_SCHEMA_CACHE) > 256:
            _SCHEMA_CACHE.clear()
        cached = (fields, fields_to_schema(fields))
        _SCHEMA_CACHE[id(fields)] = cached
    return remove_empty_values_schema(payload, cached[1], True)
