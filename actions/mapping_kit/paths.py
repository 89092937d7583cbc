"""Path lookup (`get` of the runtime) and `{{path}}` template rendering."""

from __future__ import annotations

import re

from actions.jsjson import UNDEFINED, js_string

from .values import _js_trim, js_property, truthy


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
