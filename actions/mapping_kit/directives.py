"""The directive registry and the reference resolver.

`DIRECTIVES` maps each directive of the pinned runtime to its reference implementation: a direct,
line-by-line port of the runtime's resolver (`interpret` walks a mapping with it on every call). The
operations a directive performs once its options are resolved (`_apply_replace`, `_object_assign`,
`_flatten_object`, ...) live here too and are shared with the compiled form (`compile.py`), which must
give exactly what `interpret` gives: the property tests hold the two together.
"""

from __future__ import annotations

import json

from actions.jsjson import UNDEFINED, dumps, js_string

from .paths import get_path, render_template
from .validate import _mapping_to_process, _validate
from .values import (
    LIQUID_MAX_LENGTH,
    MAX_PATTERN_LENGTH,
    MAX_REPLACEMENT_LENGTH,
    MappingError,
    _check_data,
    _directive_name,
    _is_directive,
    _js_entries,
    _js_equal_empty_string,
    _remove_undefined,
    _utf16_len,
    _utf16_units,
    real_type,
    truthy,
)


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
    new_payload = interpret(opts["apply"], payload)
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


def _check_liquid_length(template: str) -> None:
    if _utf16_len(template) > LIQUID_MAX_LENGTH:
        raise MappingError(f"liquid template values are limited to {LIQUID_MAX_LENGTH} characters")


def _liquid_render(parsed, payload):
    data = payload if isinstance(payload, dict) else {}
    try:
        return parsed.render(**{str(k): v for k, v in data.items()})
    except MappingError:
        raise
    except Exception as err:  # the engine's own errors become mapping errors with its message
        raise MappingError(str(err)) from err


def _d_liquid(template, payload):
    if not isinstance(template, str):
        raise MappingError("liquid template value must be a string")
    if template == "":
        return ""
    _check_liquid_length(template)
    env = _liquid_environment()
    try:
        parsed = env.from_string(template)
    except MappingError:
        raise
    except Exception as err:  # the engine's own errors become mapping errors with its message
        raise MappingError(str(err)) from err
    return _liquid_render(parsed, payload)


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


def interpret(mapping, data=UNDEFINED):
    """The reference `transform`: validate, resolve by walking the mapping, drop undefined values."""
    if data is UNDEFINED:
        data = {}
    _check_data(data)
    to_process = _mapping_to_process(mapping)
    _validate(to_process, [])
    return _remove_undefined(_resolve(to_process, data))
