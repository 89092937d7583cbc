"""Validation of a mapping (`validate.ts` of the runtime) with its exact messages, and the top-level
preparation both resolvers share (object spread and the root directive)."""

from __future__ import annotations

from actions.jsjson import UNDEFINED, dumps

from .values import (
    MAX_PATTERN_LENGTH,
    MAX_REPLACEMENT_LENGTH,
    ROOT_DIRECTIVE_KEY,
    MappingError,
    ValidationError,
    _js_entries,
    _js_keys,
    _object_spread,
    _utf16_len,
    js_property,
    real_type,
    truthy,
)


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


# Nodes (objects and directives) known to be valid, by `repr`: the mappings of one process share most of
# their sub-objects (compare's recommendation steps change a few keys of the same subscriptions), and
# whether a node is valid does not depend on where it sits (the stack only goes into the messages); a whole
# mapping is not remembered (what it compiles to is, by `repr`, in `compile` and `actions`). The key
# keeps key order and types (1, 1.0 and True differ). Only valid nodes are remembered: an invalid node is
# checked again each time, so it raises the same error, with the messages of its own place.
_VALID_SIZE = 4096
_valid: dict[str, None] = {}
validate_counts = {"checked": 0, "known": 0}  # object/directive nodes validated / found already valid


def _validate(mapping, stack):
    kind = _type_or_directive(mapping)
    if (kind == "directive" or kind == "object") and stack:  # (a whole mapping: its compiled form is cached)
        key = repr(mapping)
        if key in _valid:
            validate_counts["known"] += 1
            return
        validate_counts["checked"] += 1
        if kind == "directive":
            _v_directive(mapping, stack)
        else:
            _v_object(mapping, stack)
        if len(_valid) >= _VALID_SIZE:
            _valid.clear()
        _valid[key] = None
    elif kind == "directive":
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
