"""`removeEmptyValues`: the framework step after mapping that drops nulls and empty strings the action's
field schema does not accept, with the parts of `fieldsToJsonSchema` it reads."""

from __future__ import annotations

from actions.jsjson import UNDEFINED

from .values import truthy


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
