"""What the Segment actions framework does between the mapping and an action's perform, and how it sends.

`compile_schema(fields)` prepares, once per action, the steps applied to every resolved payload:
removal of empty values (`remove-empty-values.ts`, root-level `''` and disallowed nulls), wrapping of single
values for list fields (`arrifyFields`), then JSON-schema validation as AJV runs it for the framework
(`coerceTypes: 'array'`, `removeAdditional`, `allErrors`): type coercion, unknown keys dropped, required fields,
choices, integers and the `date-like` format, with the runtime's human-readable messages
(`@segment/ajv-human-errors`). The event itself is never modified: changed objects are copied.
"""

from __future__ import annotations

import math
import re

from .endpoints import endpoint_for
from .enrich import _LAST_PLAIN, _PLAIN_ISO_UTC, truthy
from .jsjson import UNDEFINED, js_number, js_string

__all__ = [
    "ActionError",
    "AggregateAjvError",
    "HTTPError",
    "STATUS_TEXT",
    "PayloadSchema",
    "compile_schema",
    "merge_default_mapping",
    "event_request",
    "form_request",
    "js_to_number",
    "json_schema_types",
]


class ActionError(Exception):
    """An error as the runtime reports it: class name, message and HTTP-like status (None when unset)."""

    name = "Error"
    status: int | None = None

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def as_dict(self) -> dict:
        return {"name": self.name, "message": self.message, "status": self.status}


class AggregateAjvError(ActionError):
    """Payload validation failed; the runtime sets status 400 when a subscription throws it."""

    name = "AggregateAjvError"
    status = 400

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))


class HTTPError(ActionError):
    """A non-2xx answer; the message is the status text."""

    name = "HTTPError"

    def __init__(self, status: int, message: str | None = None):
        super().__init__(message if message is not None else STATUS_TEXT.get(status, ""), status)


# Node's http.STATUS_CODES (the status text of a non-2xx answer becomes the error message)
STATUS_TEXT = {
    300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
    305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request",
    401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    406: "Not Acceptable", 407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict",
    410: "Gone", 411: "Length Required", 412: "Precondition Failed", 413: "Payload Too Large",
    414: "URI Too Long", 415: "Unsupported Media Type", 416: "Range Not Satisfiable", 417: "Expectation Failed",
    418: "I'm a Teapot", 421: "Misdirected Request", 422: "Unprocessable Entity", 423: "Locked",
    424: "Failed Dependency", 425: "Too Early", 426: "Upgrade Required", 428: "Precondition Required",
    429: "Too Many Requests", 431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout", 505: "HTTP Version Not Supported", 506: "Variant Also Negotiates",
    507: "Insufficient Storage", 508: "Loop Detected", 509: "Bandwidth Limit Exceeded", 510: "Not Extended",
    511: "Network Authentication Required",
}  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# requests (the framework's request client, minus the network)

JSON_CONTENT_TYPE = "application/json"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded;charset=UTF-8"


def event_request(settings: dict, payload: dict, events: list, options) -> dict:
    """POST {api_key, events, options} to httpapi, or batch when use_batch_endpoint is set."""
    return api_request(
        settings, "batch" if truthy(payload.get("use_batch_endpoint", UNDEFINED)) else "httpapi", events, options
    )


def api_request(settings: dict, api: str, events: list, options) -> dict:
    """`event_request` with the endpoint (httpapi or batch) already chosen."""
    body = {}
    api_key = settings.get("apiKey", UNDEFINED)
    if api_key is not UNDEFINED:
        body["api_key"] = api_key
    body["events"] = events
    if options is not UNDEFINED:
        body["options"] = options
    return {
        "method": "POST",
        "url": endpoint_for(api, settings.get("endpoint", UNDEFINED)),
        "headers": {"content-type": JSON_CONTENT_TYPE},
        "json": body,
    }


def form_request(url: str, fields: dict) -> dict:
    """POST a URLSearchParams body: every value as JS `String(value)` (undefined -> 'undefined')."""
    return {
        "method": "POST",
        "url": url,
        "headers": {"content-type": FORM_CONTENT_TYPE},
        "form": {key: js_string(value) for key, value in fields.items()},
    }


# ---------------------------------------------------------------------------------------------------------
# mapping defaults


def merge_default_mapping(fields: dict, mapping: dict | None) -> dict:
    """The test harness's `useDefaultMappings`: every field's default, then the user's keys over them.

    A user key replaces the whole default of that field; key order is field order, then extra user keys.
    """
    merged = {key: spec.get("default", UNDEFINED) for key, spec in fields.items()}
    merged.update(mapping or {})
    return {key: value for key, value in merged.items() if value is not UNDEFINED}


# ---------------------------------------------------------------------------------------------------------
# JavaScript value helpers

_UNSET = object()  # "no coercion applied" / "value removed"

_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
    "\u2028\u2029\u202f\u205f\u3000\ufeff"  # fmt: skip
_DECIMAL = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Infinity)")
_RADIX = re.compile(r"0([xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")


def js_to_number(text: str) -> float | int:
    """`Number(text)` for a string (StringToNumber): NaN when it is not a numeric literal."""
    s = text.strip(_JS_SPACE)
    if not s:
        return 0
    if _DECIMAL.fullmatch(s):
        if s.endswith("Infinity"):
            return -math.inf if s[0] == "-" else math.inf
        value = float(s)
        return int(value) if value.is_integer() and abs(value) <= 2**53 else value
    m = _RADIX.fullmatch(s)
    if m:
        base = {"x": 16, "o": 8, "b": 2}[m.group(1)[0].lower()]
        return _as_double(int(m.group(1)[1:], base))
    return math.nan


def _as_double(n: int) -> int | float:
    return n if abs(n) <= 2**53 else float(n)


def _is_num(v) -> bool:
    return (v.__class__ is int or v.__class__ is float) or (isinstance(v, (int, float)) and not isinstance(v, bool))


def _js_number_value(v):
    """`+v` as Python: integral finite results as int."""
    if v.__class__ is bool:
        return 1 if v else 0
    if v is None:
        return 0
    if isinstance(v, str):
        return js_to_number(v)
    return v


def _humanize_type_of(v) -> str:
    if v is UNDEFINED:
        return "undefined"
    if v is None:
        return "null"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    return "an object"


def _humanize_list(items: list[str], conjunction: str) -> str:
    if not items:
        return "nothing"
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"{items[0]} {conjunction} {items[1]}"
    return f"{', '.join(items[:-1])}, {conjunction} {items[-1]}"


def _article(text: str) -> str:
    return "an" if text[:1] in ("a", "e", "i", "o", "u") else "a"


def _sentence(preamble: str, rest: str) -> str:
    text = f"{preamble} {rest}"
    return text[:1].upper() + text[1:] + "."


_IS_DATE_LIKE = None
# string -> its `date-like` verdict, for strings other than plain ISO timestamps (a pure function of the
# string; session ids and date-only times repeat over a stream); short strings only, 4,096 of them
_DATE_LIKE: dict = {}


def _date_like(value: str) -> bool:
    """The schema's `date-like` format (the date helpers own the parsing rules)."""
    global _IS_DATE_LIKE
    if _PLAIN_ISO_UTC.fullmatch(value):
        return True
    known = _DATE_LIKE.get(value)
    if known is not None:
        return known
    if _IS_DATE_LIKE is None:
        from .dayjs import is_date_like

        _IS_DATE_LIKE = is_date_like
    known = _IS_DATE_LIKE(value)
    if len(_DATE_LIKE) < 4096 and len(value) <= 64 and value.__class__ is str:
        _DATE_LIKE[value] = known
    return known


def _js_json_string(value) -> str:
    from .jsjson import dumps

    return dumps(value)


# ---------------------------------------------------------------------------------------------------------
# type checks and coercions (AJV with coerceTypes: 'array', strictNumbers)


def json_schema_types(spec: dict) -> list[str]:
    """The JSON-schema `type` list of a field (fields-to-jsonschema.ts), before `multiple` wraps it."""
    t = spec.get("type")
    if t in ("string", "text", "password"):
        types = ["string"]
    elif t == "datetime":
        types = ["string", "number"]
    else:
        types = [t]
    if spec.get("allow_null"):
        types = types + ["null"]
    return types


def _type_matcher(types: list[str]):
    wanted = set(types)
    if "number" in wanted:
        wanted.discard("integer")

    def matches(v) -> bool:
        if v is None:
            return "null" in wanted
        cls = v.__class__
        if cls is str:
            return "string" in wanted
        if cls is bool:
            return "boolean" in wanted
        if cls is dict:
            return "object" in wanted
        if cls is list:
            return "array" in wanted
        if cls is int:
            return "number" in wanted or "integer" in wanted
        if cls is float:
            if not math.isfinite(v):
                return False
            return "number" in wanted or ("integer" in wanted and v.is_integer())
        if isinstance(v, str):
            return "string" in wanted
        if isinstance(v, dict):
            return "object" in wanted
        if isinstance(v, (list, tuple)):
            return "array" in wanted
        return False

    return matches


def _coerce_string(v):
    if v.__class__ is bool:
        return "true" if v else "false"
    if _is_num(v):
        return js_number(v)
    if v is None:
        return ""
    return _UNSET


def _coerce_number(v):
    if v.__class__ is bool or v is None:
        return _js_number_value(v)
    if isinstance(v, str) and v:
        n = js_to_number(v)
        if n == n:
            return n
    return _UNSET


def _coerce_integer(v):
    if v.__class__ is bool or v is None:
        return _js_number_value(v)
    if isinstance(v, str) and v:
        n = js_to_number(v)
        # !(data % 1): Infinity % 1 is NaN, and !NaN is true
        if n == n and (not math.isfinite(n) or n % 1 == 0):
            return n
    return _UNSET


def _coerce_boolean(v):
    if v == "false" or v is None or (_is_num(v) and v == 0):
        return False
    if v == "true" or (_is_num(v) and v == 1):
        return True
    return _UNSET


def _coerce_null(v):
    if v == "" or v is False or (_is_num(v) and v == 0):
        return None
    return _UNSET


def _coerce_array(v):
    if v is None or isinstance(v, (str, bool, int, float)):
        return [v]
    return _UNSET


_COERCE = {
    "string": _coerce_string,
    "number": _coerce_number,
    "integer": _coerce_integer,
    "boolean": _coerce_boolean,
    "null": _coerce_null,
    "array": _coerce_array,
}


# ---------------------------------------------------------------------------------------------------------
# compiled schema


def _choice_values(choices) -> list:
    return [c if isinstance(c, str) else c.get("value") for c in choices]


def _in_enum(v, allowed: list) -> bool:
    for a in allowed:
        if a is None:
            if v is None:
                return True
        elif isinstance(a, str):
            if isinstance(v, str) and v == a:
                return True
        elif a.__class__ is bool:
            if v is a:
                return True
        elif _is_num(a) and _is_num(v) and a == v:
            return True
    return False


class _Node:
    """One JSON-schema node compiled to a check(value, path, errors) -> value function."""

    __slots__ = ("check", "types", "multiple", "rev")


def _compile_node(spec: dict | None, *, item_of: dict | None = None, additional: bool = False):
    """Compile a field spec (or, with item_of, the item schema of a `multiple` field)."""
    node = _Node()
    if item_of is not None:
        base = item_of
        types = json_schema_types(base)
        types = [t for t in types if t != "null"]
        title = None
        enum = _choice_values(base["choices"]) if base.get("choices") else None
        props_spec = base.get("properties") if base.get("type") == "object" else None
        additional = bool(base.get("additional_properties"))
        multiple = False
        fmt_date = False  # the item schema carries only type (and enum), no format
        items = None
    else:
        base = spec
        multiple = bool(spec.get("multiple"))
        title = spec.get("label")
        fmt_date = spec.get("type") == "datetime" and not multiple
        if multiple:
            types = ["array"]
            enum = None
            props_spec = None
            items = _compile_node(None, item_of=spec)
        else:
            types = json_schema_types(spec)
            enum = _choice_values(spec["choices"]) if spec.get("choices") else None
            if enum is not None and spec.get("allow_null"):
                enum = enum + [None]
            props_spec = spec.get("properties") if spec.get("type") == "object" else None
            additional = bool(spec.get("additional_properties"))
            items = None
    node.types = types
    node.multiple = multiple

    matches = _type_matcher(types)
    coerce_to = [_COERCE[t] for t in types if t in _COERCE]
    props = {k: _compile_node(s) for k, s in props_spec.items()} if props_spec else None
    type_text = _humanize_list(types, "or")
    type_rest = f"must be {_article(type_text)} {type_text} but it was "
    enum_rest = f"must be one of: {_humanize_list([_js_json_string(a) for a in enum], 'or')}" if enum else ""

    def preamble(path: str) -> str:
        if title:
            return title
        return "the root value" if path == "" else f"the value at {path}"

    simple_string = types == ["string"] and enum is None and not fmt_date
    single_type = len(set(types) - ({"integer"} if "number" in types else set())) == 1

    def check(v, path, errs):
        cls = v.__class__
        if simple_string and cls is str:
            return v
        out = v
        if not matches(v):
            coerced = _UNSET
            if coerce_to:
                if cls is list and len(v) == 1:
                    v = v[0]
                    # AJV checks the unwrapped item with AND over the types: only one type can pass
                    if single_type and matches(v):
                        coerced = v
                if coerced is _UNSET:
                    for fn in coerce_to:
                        coerced = fn(v)
                        if coerced is not _UNSET:
                            break
            if coerced is _UNSET:
                errs.append(_sentence(preamble(path), type_rest + _humanize_type_of(v)))
            else:
                if coerced.__class__ is float and coerced.is_integer() and abs(coerced) <= 2**53:
                    coerced = int(coerced)
                v = out = coerced
        if enum is not None and not _in_enum(v, enum):
            errs.append(_sentence(preamble(path), enum_rest))
        if fmt_date and v.__class__ is str:
            if not _date_like(v):
                errs.append(_sentence(preamble(path), "must be a valid date-like string but it was not"))
        if props is not None and v.__class__ is dict:
            out = _check_object(v, props, additional, path, errs)
        elif items is not None and v.__class__ is list:
            out = _check_items(v, items, path, errs)
        return out

    node.check = check

    # remove-empty-values for this node (non-root call): nulls and '' the type does not allow
    allows_null = "null" in types
    allows_string = "string" in types

    def rev(v):
        if v is None:
            return v if allows_null else _UNSET
        cls = v.__class__
        if cls is str:
            return _UNSET if (not allows_string and v == "") else v
        if cls is dict:
            if props is not None:
                out = {}
                for key, value in v.items():
                    sub = props.get(key)
                    if sub is not None:
                        value = sub.rev(value)
                        if value is _UNSET:
                            continue
                    out[key] = value
                return out
            return v
        if cls is list:
            if items is not None:
                # filter only: the kept items are not cleaned themselves
                return [x for x in v if items.rev(x) is not _UNSET]
            return v
        return v

    node.rev = rev
    return node


def _check_object(d: dict, props: dict, additional: bool, path: str, errs: list) -> dict:
    out = d
    if not additional:
        for key in d:
            if key not in props:
                out = {k: v for k, v in d.items() if k in props}
                break
    for key, node in props.items():
        if key in out:
            value = out[key]
            new = node.check(value, f"{path}/{key}", errs)
            if new is not value:
                if out is d:
                    out = dict(d)
                out[key] = new
    return out


def _check_items(items_list: list, node: _Node, path: str, errs: list) -> list:
    out = items_list
    for i, value in enumerate(items_list):
        new = node.check(value, f"{path}/{i}", errs)
        if new is not value:
            if out is items_list:
                out = list(items_list)
            out[i] = new
    return out


def _fast_classes(node: _Node, spec: dict) -> frozenset:
    """Value classes a root field accepts as they are (no removal, coercion or check can apply)."""
    if spec.get("multiple") or spec.get("choices"):
        return frozenset()
    types = node.types
    classes = set()
    if "string" in types and spec.get("type") != "datetime":
        classes.add(str)
    if "number" in types or "integer" in types:
        classes.add(int)
    if "boolean" in types:
        classes.add(bool)
    if "null" in types:
        classes.add(type(None))
    if types == ["object"] and not spec.get("properties"):
        classes.add(dict)
    return frozenset(classes)


def _fast_value(node: _Node, spec: dict):
    """A test that a value of a class not kept as it is by `_fast_classes` needs no change either, or None:
    finite floats of number fields, valid date strings of datetime fields, objects of plain strings, lists
    of objects of plain values."""
    if spec.get("choices"):
        return None
    if spec.get("multiple"):
        return _fast_items(spec)
    if spec.get("type") == "datetime" and "string" in node.types:
        # a string is kept as it is when it is not empty (removeEmptyValues) and `date-like` (else the check
        # reports it); strings in the everyday form are, without asking the date parser
        number = "number" in node.types
        iso = _PLAIN_ISO_UTC.fullmatch

        def unchanged_date(v) -> bool:
            cls = v.__class__
            if cls is str:
                if iso(v) is not None:
                    _LAST_PLAIN[0] = v  # `enrich.is_plain_iso` written out: remembered for `plain_iso_ms`
                    return True
                return v != "" and _date_like(v)
            return number and cls is float and v - v == 0.0

        return unchanged_date
    if "number" in node.types:

        def finite(v) -> bool:
            return v.__class__ is float and v - v == 0.0

        return finite
    return _fast_object(spec)


# per sub-field type: (classes its check keeps as they are, which floats it keeps: 0 none, 1 finite, 2 finite
# and integral); the types `_fast_items` knows
_ITEM_KINDS = {
    "string": (frozenset((str,)), 0),
    "text": (frozenset((str,)), 0),
    "password": (frozenset((str,)), 0),
    "number": (frozenset((int,)), 1),
    "integer": (frozenset((int,)), 2),
    "boolean": (frozenset((bool,)), 0),
}


def _fast_items(spec: dict):
    """For a list field of objects whose sub-fields are plain values (`products`): a test that a list needs
    no change. Its removeEmptyValues only drops items that are null or '' (never an object), and its check
    changes an object item only by dropping unknown keys (no additional properties) or coercing a sub-field
    value whose class its type does not take as it is."""
    props = spec.get("properties")
    if spec.get("type") != "object" or not props:
        return None
    kinds = {}
    for key, sub in props.items():
        kind = _ITEM_KINDS.get(sub.get("type"))
        if kind is None or sub.get("multiple") or sub.get("allow_null") or sub.get("choices"):
            return None
        kinds[key] = kind
    additional = bool(spec.get("additional_properties"))

    def unchanged_items(v) -> bool:
        if v.__class__ is not list:
            return False
        for item in v:
            if item.__class__ is not dict:
                return False
            for key, value in item.items():
                kind = kinds.get(key)
                if kind is None:
                    if additional:
                        continue
                    return False
                cls = value.__class__
                if cls in kind[0]:
                    continue
                floats = kind[1]
                if cls is float and floats and value - value == 0.0 and (floats == 1 or value.is_integer()):
                    continue
                return False
        return True

    return unchanged_items


def _fast_object(spec: dict):
    """For an object field whose sub-fields are plain strings: a test that a dict needs no change."""
    props = spec.get("properties")
    if spec.get("multiple") or spec.get("type") != "object" or not props:
        return None
    allowed = {}
    for key, sub in props.items():
        if sub.get("type") not in ("string", "text", "password") or sub.get("multiple") or sub.get("allow_null"):
            return None
        allowed[key] = frozenset(_choice_values(sub["choices"])) if sub.get("choices") else None
    additional = bool(spec.get("additional_properties"))

    def unchanged(d) -> bool:
        if d.__class__ is not dict:
            return False
        for key, value in d.items():
            if key in allowed:
                if value.__class__ is not str:
                    return False
                choices = allowed[key]
                if choices is not None and value not in choices:
                    return False
            elif not additional:
                return False
        return True

    # what the test reads, for generated code that writes it out (mapping_kit.compile)
    unchanged.allowed = allowed
    unchanged.additional = additional
    return unchanged


class PayloadSchema:
    """An action's fields compiled once; `prepare(payload)` returns the payload perform() receives."""

    def __init__(self, fields: dict):
        self.fields = fields
        self._nodes = {key: _compile_node(spec) for key, spec in fields.items()}
        self._required = [key for key, spec in fields.items() if spec.get("required") is True]
        self.required = frozenset(self._required)
        self._index = {key: i for i, key in enumerate(fields)}
        # per root field: (node, classes kept as they are, a test for other values kept as they are, or None)
        self._root = {
            key: (node, _fast_classes(node, fields[key]), _fast_value(node, fields[key]))
            for key, node in self._nodes.items()
        }

    def remove_empty_values(self, payload: dict) -> dict:
        """The runtime's removeEmptyValues at the root (plus the wrapping of single values of `multiple`
        fields): the first stage of `prepare`, without validation."""
        return self._remove_empty(payload)[0]

    def prepare(self, payload: dict) -> dict:
        """Empty-value removal, list wrapping and validation; raises AggregateAjvError."""
        out, slow = self._remove_empty(payload)
        return self.finish(out, slow)

    def root_steps(self) -> dict:
        """Per root field, the steps of `_remove_empty` for generated code: (classes kept as they are,
        a test for other values kept as they are or None, fn(out, key, value, slow) for the rest)."""
        return {key: (fast, fast_value, self._slow_step) for key, (_node, fast, fast_value) in self._root.items()}

    def _slow_step(self, out: dict, key: str, value, slow: list) -> None:
        node = self._root[key][0]
        value = node.rev(value)
        if value is _UNSET or (value.__class__ is str and value == ""):
            return
        if node.multiple and value is not None and value.__class__ is not list:
            value = [value]
        out[key] = value
        slow.append(key)

    def finish(self, out: dict, slow: list | None) -> dict:
        """Validation after empty-value removal: required fields, then the keys that need the full check."""
        root = self._root
        errs: list[str] = []
        for key in self._required:
            if key not in out:
                errs.append(f"The root value is missing the required field '{key}'.")
        if slow is not None:
            if len(slow) > 1:
                slow.sort(key=self._index.__getitem__)
            for key in slow:
                value = out[key]
                new = root[key][0].check(value, "/" + key, errs)
                if new is not value:
                    out[key] = new
        if errs:
            raise AggregateAjvError(errs)
        return out

    def _remove_empty(self, payload: dict) -> tuple[dict, list | None]:
        # (payload without empty values, the keys whose values need the full check)
        root = self._root
        out = {}
        slow = None
        for key, value in payload.items():
            entry = root.get(key)
            if entry is None:
                continue  # additionalProperties false at the root: unknown keys are removed
            node, fast, fast_value = entry
            cls = value.__class__
            if cls in fast:
                if cls is str and value == "":
                    continue
                out[key] = value
                continue
            if fast_value is not None and fast_value(value):
                out[key] = value
                continue
            if slow is None:
                slow = []
            self._slow_step(out, key, value, slow)
        return out, slow


def compile_schema(fields: dict) -> PayloadSchema:
    return PayloadSchema(fields)
